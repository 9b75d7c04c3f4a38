// ProviderAdapter for Evolution API v2 (Baileys channel), written against 2.3.7's source
// (shared/contracts/evolution.md). Server-level calls use the global API key; everything about one
// instance uses that instance's own token. Tokens travel only in the `apikey` header.
import type {
  ConnectionInfo,
  CreatedInstance,
  DownloadedMedia,
  InstanceCredentials,
  MediaRef,
  MessageKeyRef,
  ParsedWebhook,
  PresenceState,
  ProviderAdapter,
  ProviderCapabilities,
  ProviderSettingKey,
  ProviderSettings,
  RemoteInstance,
  SendCommand,
  SendResult,
  SettingsResult,
  WebhookConfig,
} from '@whatpro/domain';
import { normalizeJid, phoneFromJid } from '@whatpro/domain';
import { ProviderError, unsupported } from '../errors.ts';
import { HttpClient, providerMessage, type RequestOptions } from '../http.ts';
import { asBool, asRecord, asString, toEpochMs } from '../parse.ts';
import type { EvolutionMediaHandle } from './content.ts';
import { toEvolutionNumber } from './identity.ts';
import { readKey, sendRequest } from './requests.ts';
import { connectionState, parseEvolutionWebhook } from './webhook.ts';

export interface EvolutionAdapterOptions {
  baseUrl: string;
  /** The server's global API key (`AUTHENTICATION_API_KEY`): instance create and list only. */
  adminToken: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /**
   * Ask Evolution to inline media as base64 in webhooks. Saves a download round trip; Evolution reads
   * it when the instance connects, so a change needs a restart to apply.
   */
  webhookBase64?: boolean;
  /** How long `connect` keeps asking for a pair code that Evolution has not produced yet. */
  pairCodeWait?: { attempts: number; intervalMs: number };
}

/** Events the Hub consumes; anything else would only cost webhook traffic. */
export const EVOLUTION_WEBHOOK_EVENTS = [
  'QRCODE_UPDATED',
  'CONNECTION_UPDATE',
  'MESSAGES_UPSERT',
  'MESSAGES_UPDATE',
  'MESSAGES_EDITED',
  'MESSAGES_DELETE',
  'SEND_MESSAGE',
  'PRESENCE_UPDATE',
  'CALL',
] as const;

/** Presence shown when the caller gives no duration: Evolution sends `paused` once the delay ends. */
export const DEFAULT_PRESENCE_MS = 3000;

const PRESENCE_OUT: Record<PresenceState, string> = {
  typing: 'composing',
  recording: 'recording',
  paused: 'paused',
  available: 'available',
  unavailable: 'unavailable',
};

export const EVOLUTION_CAPABILITIES: ProviderCapabilities = {
  sends: {
    text: true,
    image: true,
    video: true,
    document: true,
    audio: true,
    voice: true,
    sticker: true,
    location: true,
    contact: true,
    reaction: true,
    edit: true,
    delete: true,
  },
  settings: {
    rejectCalls: true,
    rejectCallMessage: true,
    ignoreGroups: true,
    alwaysOnline: true,
    autoReadMessages: true,
    readStatus: true,
    syncFullHistory: true,
  },
  pairCode: true,
  restart: true,
  // Evolution has no rename endpoint: an instance's name is its identity in every path.
  rename: false,
  // 2.3.7 generates message ids itself and echoes nothing of ours; echoes are matched by message id.
  trackId: false,
  presence: { typing: true, recording: true, paused: true, available: true, unavailable: true },
};

/** Our settings → Evolution's `/settings/set` fields (all six booleans are required there). */
const SETTING_FIELDS = {
  rejectCalls: 'rejectCall',
  ignoreGroups: 'groupsIgnore',
  alwaysOnline: 'alwaysOnline',
  autoReadMessages: 'readMessages',
  readStatus: 'readStatus',
  syncFullHistory: 'syncFullHistory',
} as const satisfies Partial<Record<ProviderSettingKey, string>>;

type Rec = Record<string, unknown>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const instancePath = (instance: InstanceCredentials) => `/${encodeURIComponent(instance.name)}`;

export class EvolutionAdapter implements ProviderAdapter {
  readonly kind = 'evolution' as const;
  readonly capabilities = EVOLUTION_CAPABILITIES;
  private readonly http: HttpClient;
  private readonly base64: boolean;
  private readonly pairCodeWait: { attempts: number; intervalMs: number };

  constructor(private readonly options: EvolutionAdapterOptions) {
    this.http = new HttpClient({
      provider: 'evolution',
      baseUrl: options.baseUrl,
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
      errorMessage: evolutionErrorMessage,
    });
    this.base64 = options.webhookBase64 ?? true;
    this.pairCodeWait = options.pairCodeWait ?? { attempts: 3, intervalMs: 1000 };
  }

  private call<T = unknown>(apikey: string, req: RequestOptions & { raw?: false }): Promise<T> {
    return this.http.request<T>({ ...req, headers: { ...req.headers, apikey } });
  }

  private admin<T = unknown>(req: RequestOptions & { raw?: false }): Promise<T> {
    return this.call<T>(this.options.adminToken, req);
  }

  private onInstance<T = unknown>(instance: InstanceCredentials, req: RequestOptions & { raw?: false }): Promise<T> {
    return this.call<T>(instance.token, { ...req, path: `${req.path}${instancePath(instance)}` });
  }

  /** Some failures arrive as HTTP 200 with `{ error: true, message }` (connect, restart). */
  private failOnErrorBody(body: unknown, where: string): void {
    const r = asRecord(body);
    if (r && asBool(r.error) === true && r.status === undefined) {
      const message = asString(r.message);
      throw new ProviderError('evolution', 'server', `evolution could not ${where}${message ? `: ${message}` : ''}`, {
        httpStatus: 200,
        providerMessage: message,
      });
    }
  }

  private webhookBody(webhook: WebhookConfig): Rec {
    return {
      enabled: webhook.enabled ?? true,
      url: webhook.url,
      byEvents: false,
      base64: this.base64,
      events: [...EVOLUTION_WEBHOOK_EVENTS],
    };
  }

  async createInstance(input: { name: string; webhook?: WebhookConfig }): Promise<CreatedInstance> {
    const body: Rec = { instanceName: input.name, integration: 'WHATSAPP-BAILEYS', qrcode: false };
    if (input.webhook && input.webhook.enabled !== false) {
      const { enabled: _enabled, ...webhook } = this.webhookBody(input.webhook);
      body.webhook = webhook;
    }
    const response = asRecord(await this.admin({ method: 'POST', path: '/instance/create', body }));
    const instance = asRecord(response?.instance);
    // 2.3.7 answers `hash: "<token>"`; the v2.1 docs show `hash: { apikey }`.
    const token = asString(response?.hash) ?? asString(asRecord(response?.hash)?.apikey);
    if (!token) throw new ProviderError('evolution', 'invalid_response', 'evolution created the instance but returned no token');
    const created: CreatedInstance = {
      name: asString(instance?.instanceName) ?? input.name,
      token,
      status: connectionState(asString(instance?.status)),
    };
    const id = asString(instance?.instanceId);
    if (id) created.id = id;
    return created;
  }

  async listInstances(): Promise<RemoteInstance[]> {
    const rows = await this.admin<unknown>({ path: '/instance/fetchInstances' });
    return (Array.isArray(rows) ? rows : []).map((row) => toRemoteInstance(asRecord(row) ?? {}));
  }

  private toConnectionInfo(body: unknown): ConnectionInfo {
    const r = asRecord(body) ?? {};
    const instance = asRecord(r.instance);
    if (instance && (instance.state !== undefined || instance.status !== undefined)) {
      return { state: connectionState(asString(instance.state) ?? asString(instance.status)) };
    }
    const info: ConnectionInfo = { state: 'connecting' };
    const qr = asString(r.base64) ?? asString(r.code);
    if (qr) info.qrCode = qr;
    const pairCode = asString(r.pairingCode);
    if (pairCode) info.pairCode = pairCode;
    return info;
  }

  async connect(instance: InstanceCredentials, options: { phone?: string } = {}): Promise<ConnectionInfo> {
    const number = options.phone ? toEvolutionNumber(options.phone) : undefined;
    const ask = async () => {
      const body = await this.onInstance(instance, { path: '/instance/connect', query: { number } });
      this.failOnErrorBody(body, 'connect the instance');
      return this.toConnectionInfo(body);
    };
    // Evolution requests the pair code a second after the first QR and answers connect after two, so
    // the first answer can lack it; while connecting, connect returns the current code without side effects.
    const withPairCode = async () => {
      let info = await ask();
      for (let i = 0; number && info.state === 'connecting' && !info.pairCode && i < this.pairCodeWait.attempts; i++) {
        await sleep(this.pairCodeWait.intervalMs);
        info = await ask();
      }
      return info;
    };
    const info = await withPairCode();
    if (!number || info.state !== 'connecting' || info.pairCode) return info;
    // The running session was started for a QR code, and Evolution ignores a number while connecting:
    // end that session and start one for the number.
    await this.disconnect(instance);
    return withPairCode();
  }

  async getConnection(instance: InstanceCredentials): Promise<ConnectionInfo> {
    const body = asRecord(await this.onInstance(instance, { path: '/instance/connectionState' }));
    const state = connectionState(asString(asRecord(body?.instance)?.state));
    if (state !== 'open') return { state };
    const rows = await this.call<unknown>(instance.token, { path: '/instance/fetchInstances', query: { instanceName: instance.name } });
    const row = (Array.isArray(rows) ? rows : [rows])
      .map((r) => asRecord(r))
      .find((r) => r && (r.name ?? r.instanceName) === instance.name);
    if (!row) return { state };
    const { jid, phoneE164, profileName } = toRemoteInstance(row);
    const info: ConnectionInfo = { state };
    if (jid) info.jid = jid;
    if (phoneE164) info.phoneE164 = phoneE164;
    if (profileName) info.profileName = profileName;
    return info;
  }

  async disconnect(instance: InstanceCredentials): Promise<void> {
    try {
      await this.onInstance(instance, { method: 'DELETE', path: '/instance/logout' });
    } catch (error) {
      // Before 2.4 logging out a closed instance is a 400; the goal (not connected) is already met.
      if (!(error instanceof ProviderError && error.kind === 'bad_request' && /not connected/i.test(error.providerMessage ?? '')))
        throw error;
    }
  }

  async restart(instance: InstanceCredentials): Promise<ConnectionInfo> {
    const body = await this.onInstance(instance, { method: 'POST', path: '/instance/restart' });
    // A closed instance cannot restart (`{error:true}` with 200): connecting it is what a restart means then.
    if (asBool(asRecord(body)?.error) === true) return this.connect(instance);
    return this.toConnectionInfo(body);
  }

  async deleteInstance(instance: InstanceCredentials): Promise<void> {
    const remove = () => this.onInstance(instance, { method: 'DELETE', path: '/instance/delete' });
    try {
      await remove();
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      const message = error.providerMessage ?? '';
      if (error.kind === 'not_found' && /does not exist/i.test(message)) return;
      // Older servers refuse to delete an open instance; 2.3.7 logs it out itself.
      if (error.kind === 'bad_request' && /disconnected/i.test(message)) {
        await this.disconnect(instance);
        await remove();
        return;
      }
      throw error;
    }
  }

  async rename(): Promise<void> {
    throw unsupported('evolution', 'renaming an instance');
  }

  async updateSettings(instance: InstanceCredentials, settings: ProviderSettings): Promise<SettingsResult> {
    const requested = (Object.keys(settings) as ProviderSettingKey[]).filter((k) => settings[k] !== undefined);
    if (requested.length === 0) return { applied: [], unsupported: [] };
    const fields = Object.entries(SETTING_FIELDS) as [keyof typeof SETTING_FIELDS, string][];
    const complete = fields.every(([ours]) => settings[ours] !== undefined) && settings.rejectCallMessage !== undefined;
    // /settings/set replaces the whole record and requires every boolean, so unspecified ones keep
    // their current value.
    const current = complete ? {} : (asRecord(await this.onInstance(instance, { path: '/settings/find' })) ?? {});
    const body: Rec = {};
    for (const [ours, theirs] of fields) body[theirs] = settings[ours] ?? asBool(current[theirs]) ?? false;
    body.msgCall = settings.rejectCallMessage ?? asString(current.msgCall) ?? '';
    await this.onInstance(instance, { method: 'POST', path: '/settings/set', body });
    const unsupportedKeys = requested.filter((k) => !this.capabilities.settings[k]);
    return { applied: requested.filter((k) => this.capabilities.settings[k]), unsupported: unsupportedKeys };
  }

  async configureWebhook(instance: InstanceCredentials, webhook: WebhookConfig): Promise<void> {
    await this.onInstance(instance, { method: 'POST', path: '/webhook/set', body: { webhook: this.webhookBody(webhook) } });
  }

  async send(instance: InstanceCredentials, command: SendCommand): Promise<SendResult> {
    const request = sendRequest(command);
    const delay = typeof request.body.delay === 'number' ? request.body.delay : 0;
    const response = asRecord(
      await this.onInstance(instance, {
        method: request.method,
        path: request.path,
        body: request.body,
        // Evolution holds the request open while it shows the delay's typing presence.
        timeoutMs: delay ? (this.options.timeoutMs ?? 15_000) + delay : undefined,
      }),
    );
    const key = asRecord(response?.key);
    let messageId = asString(key?.id);
    if (!messageId && (command.type === 'edit' || command.type === 'delete')) messageId = command.target.id;
    if (!messageId)
      throw new ProviderError('evolution', 'invalid_response', `evolution accepted a ${command.type} send but returned no message id`);
    return { messageId, timestamp: toEpochMs(response?.messageTimestamp) };
  }

  async markRead(instance: InstanceCredentials, chat: string, messages: MessageKeyRef[]): Promise<void> {
    if (messages.length === 0) return;
    await this.onInstance(instance, {
      method: 'POST',
      path: '/chat/markMessageAsRead',
      body: { readMessages: messages.map((m) => readKey(m, chat)) },
    });
  }

  async setPresence(instance: InstanceCredentials, chat: string, state: PresenceState, durationMs?: number): Promise<void> {
    const delay = Math.max(0, Math.round(durationMs ?? (state === 'typing' || state === 'recording' ? DEFAULT_PRESENCE_MS : 0)));
    await this.onInstance(instance, {
      method: 'POST',
      path: '/chat/sendPresence',
      body: { number: toEvolutionNumber(chat), presence: PRESENCE_OUT[state], delay },
      // The call returns only after the presence has been shown for `delay`.
      timeoutMs: (this.options.timeoutMs ?? 15_000) + delay,
    });
  }

  async downloadMedia(instance: InstanceCredentials, media: MediaRef, message?: MessageKeyRef): Promise<DownloadedMedia> {
    const withName = (data: Buffer, mimeType: string, fileName?: string): DownloadedMedia =>
      fileName ? { data, mimeType, fileName } : { data, mimeType };
    const fallbackMime = media.mimeType ?? 'application/octet-stream';
    if (media.base64) return withName(Buffer.from(media.base64, 'base64'), fallbackMime, media.fileName);
    const handle = media.handle as Partial<EvolutionMediaHandle>;
    const id = handle.messageId ?? message?.id;
    if (media.url) {
      try {
        const url = new URL(media.url);
        // Storage URLs (S3/MinIO) are public or presigned: no Evolution credentials go there.
        const storage = new HttpClient({
          provider: 'evolution',
          baseUrl: url.origin,
          timeoutMs: this.options.timeoutMs,
          fetch: this.options.fetch,
        });
        const raw = await storage.request({ path: `${url.pathname}${url.search}`, raw: true });
        return withName(raw.data, media.mimeType ?? raw.contentType, media.fileName);
      } catch (error) {
        // Presigned URLs expire; Evolution can still fetch the file from WhatsApp by message id.
        if (!id) throw error;
      }
    }
    if (!id) throw new ProviderError('evolution', 'bad_request', 'evolution media has neither inline data, a URL nor a message id');
    const body = asRecord(
      await this.onInstance(instance, {
        method: 'POST',
        path: '/chat/getBase64FromMediaMessage',
        body: { message: { key: { id } }, convertToMp4: false },
        timeoutMs: Math.max(this.options.timeoutMs ?? 15_000, 60_000),
      }),
    );
    const base64 = asString(body?.base64);
    if (!base64) throw new ProviderError('evolution', 'invalid_response', 'evolution returned no media data');
    return withName(Buffer.from(base64, 'base64'), asString(body?.mimetype) ?? fallbackMime, asString(body?.fileName) ?? media.fileName);
  }

  parseWebhook(body: unknown): ParsedWebhook {
    return parseEvolutionWebhook(body);
  }
}

/** Evolution's envelope `{status, error: "Bad Request", response: {message}}` keeps the real message inside. */
function evolutionErrorMessage(body: unknown): string | undefined {
  const response = asRecord(asRecord(body)?.response);
  return response ? providerMessage(response) : undefined;
}

/** A `fetchInstances` row (Prisma `Instance`; v2.1 wrapped it in `{ instance }`). */
function toRemoteInstance(row: Rec): RemoteInstance {
  const legacy = asRecord(row.instance);
  const r = legacy ?? row;
  const name = asString(r.name) ?? asString(r.instanceName) ?? '';
  const out: RemoteInstance = {
    name,
    token: asString(r.token) ?? asString(r.apikey) ?? '',
    state: connectionState(
      asString(r.connectionStatus) ?? asString(r.status),
      typeof r.disconnectionReasonCode === 'number' ? r.disconnectionReasonCode : undefined,
    ),
  };
  const id = asString(r.id) ?? asString(r.instanceId);
  if (id) out.id = id;
  const owner = asString(r.ownerJid) ?? asString(r.owner);
  if (owner) {
    out.jid = normalizeJid(owner);
    const phone = phoneFromJid(owner);
    if (phone) out.phoneE164 = phone;
  }
  const profileName = asString(r.profileName);
  if (profileName) out.profileName = profileName;
  return out;
}

export function createEvolutionAdapter(options: EvolutionAdapterOptions): EvolutionAdapter {
  return new EvolutionAdapter(options);
}
