// The port every provider adapter implements (ARCHITECTURE §3). Use-cases depend on this, never on
// an adapter.
import type { ConnectionState, MediaRef, MessageKeyRef, ParsedWebhook, PresenceState, ProviderKind } from './events.ts';

/** What an adapter needs to act on one instance. */
export interface InstanceCredentials {
  /** Provider's instance name (Evolution `instanceName`, Uazapi `name`). */
  name: string;
  /** Provider's instance id, when it has one distinct from the name. */
  id?: string;
  /** Per-instance token (Uazapi `token` header, Evolution instance `apikey`). */
  token: string;
}

export interface CreatedInstance extends InstanceCredentials {
  status: ConnectionState;
}

export interface ConnectionInfo {
  state: ConnectionState;
  /** Data URL (`data:image/png;base64,…`) or raw QR string, as the provider gives it. */
  qrCode?: string;
  pairCode?: string;
  jid?: string;
  phoneE164?: string;
  profileName?: string;
  reason?: string;
}

export interface RemoteInstance extends InstanceCredentials {
  state: ConnectionState;
  jid?: string;
  phoneE164?: string;
  profileName?: string;
}

/** Behaviour a provider may or may not support; see `capabilities.settings`. */
export interface ProviderSettings {
  rejectCalls?: boolean;
  rejectCallMessage?: string;
  ignoreGroups?: boolean;
  alwaysOnline?: boolean;
  autoReadMessages?: boolean;
  readStatus?: boolean;
  syncFullHistory?: boolean;
}

export type ProviderSettingKey = keyof ProviderSettings;

export interface SettingsResult {
  applied: ProviderSettingKey[];
  /** Settings this provider cannot honour: reported to the operator, never silently dropped. */
  unsupported: ProviderSettingKey[];
}

export interface WebhookConfig {
  url: string;
  enabled?: boolean;
}

/** A destination: phone (E.164 or digits), user JID, group JID or LID. */
export type ChatAddress = string;

interface SendBase {
  to: ChatAddress;
  /** Our own id for this send, echoed back by providers that support it. */
  trackId?: string;
  replyTo?: MessageKeyRef;
  /** Presence shown before sending, when the provider supports a delay. */
  delayMs?: number;
}

export type MediaSource = { url: string } | { base64: string; mimeType: string };

export type SendCommand =
  | (SendBase & { type: 'text'; text: string; linkPreview?: boolean; mentions?: string[] })
  | (SendBase & {
      type: 'image' | 'video' | 'document' | 'audio' | 'voice' | 'sticker';
      source: MediaSource;
      caption?: string;
      fileName?: string;
      mimeType?: string;
    })
  | (SendBase & { type: 'location'; latitude: number; longitude: number; name?: string; address?: string })
  | (SendBase & { type: 'contact'; name: string; phones: string[]; organization?: string; email?: string })
  | (SendBase & { type: 'reaction'; target: MessageKeyRef; emoji: string })
  | (SendBase & { type: 'edit'; target: MessageKeyRef; text: string })
  | (SendBase & { type: 'delete'; target: MessageKeyRef });

export type SendType = SendCommand['type'];

export interface SendResult {
  messageId: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
  trackId?: string;
}

export interface DownloadedMedia {
  data: Buffer;
  mimeType: string;
  fileName?: string;
}

export interface ProviderCapabilities {
  sends: Record<SendType, boolean>;
  settings: Record<ProviderSettingKey, boolean>;
  pairCode: boolean;
  restart: boolean;
  rename: boolean;
  /** Echoes a track id we attach to a send, so our own messages are recognised. */
  trackId: boolean;
  presence: Record<PresenceState, boolean>;
}

export interface ProviderAdapter {
  readonly kind: ProviderKind;
  readonly capabilities: ProviderCapabilities;

  // Instance lifecycle (server-level credentials for create and list).
  createInstance(input: { name: string; webhook?: WebhookConfig }): Promise<CreatedInstance>;
  listInstances(): Promise<RemoteInstance[]>;
  connect(instance: InstanceCredentials, options?: { phone?: string }): Promise<ConnectionInfo>;
  getConnection(instance: InstanceCredentials): Promise<ConnectionInfo>;
  disconnect(instance: InstanceCredentials): Promise<void>;
  restart(instance: InstanceCredentials): Promise<ConnectionInfo>;
  deleteInstance(instance: InstanceCredentials): Promise<void>;
  rename(instance: InstanceCredentials, name: string): Promise<void>;
  updateSettings(instance: InstanceCredentials, settings: ProviderSettings): Promise<SettingsResult>;
  configureWebhook(instance: InstanceCredentials, webhook: WebhookConfig): Promise<void>;

  // Messaging.
  send(instance: InstanceCredentials, command: SendCommand): Promise<SendResult>;
  markRead(instance: InstanceCredentials, chat: ChatAddress, messages: MessageKeyRef[]): Promise<void>;
  setPresence(instance: InstanceCredentials, chat: ChatAddress, state: PresenceState, durationMs?: number): Promise<void>;
  downloadMedia(instance: InstanceCredentials, media: MediaRef, message?: MessageKeyRef): Promise<DownloadedMedia>;

  // Inbound.
  parseWebhook(body: unknown): ParsedWebhook;
}

export type ProviderErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'unsupported'
  | 'invalid_response';
