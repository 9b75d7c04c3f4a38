// The canonical vocabulary (ARCHITECTURE §3). Provider adapters translate their payloads into these
// shapes and back; nothing past an adapter sees a provider's field names.

export type ProviderKind = 'uazapi' | 'evolution';

/** Who a conversation is with: a person or a group. */
export interface ChatRef {
  /** Canonical JID of the chat (`…@s.whatsapp.net`, `…@g.us` or `…@lid`). */
  jid: string;
  isGroup: boolean;
  /** Canonical E.164 phone (`+5511987654321`) when known; never for groups. */
  phoneE164?: string;
  /** The `@lid` form of the same person, when the payload reveals it. */
  lid?: string;
  /** Push name, saved name or group subject. */
  name?: string;
}

/** Who wrote a message: the contact, a group participant, or the instance itself (`fromMe`). */
export interface SenderRef {
  jid: string;
  phoneE164?: string;
  lid?: string;
  name?: string;
}

/**
 * How to obtain a media file. `handle` is opaque outside the adapter that produced it and is passed
 * back to that adapter's `downloadMedia`.
 */
export interface MediaRef {
  mimeType?: string;
  fileName?: string;
  sizeBytes?: number;
  /** Public or provider-hosted URL, when the payload has one. */
  url?: string;
  /** Inline bytes, when the provider sent them in the webhook. */
  base64?: string;
  handle: Record<string, unknown>;
}

export type MediaKind = 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker';

export interface ContactCard {
  name: string;
  phones: string[];
  vcard?: string;
}

export type MessageContent =
  | { type: 'text'; text: string }
  | { type: MediaKind; media: MediaRef; caption?: string }
  | { type: 'location'; latitude: number; longitude: number; name?: string; address?: string; live?: boolean }
  | { type: 'contacts'; contacts: ContactCard[] }
  | { type: 'reaction'; target: MessageKeyRef; emoji: string }
  | { type: 'edit'; target: MessageKeyRef; text: string }
  | { type: 'delete'; target: MessageKeyRef }
  /** Poll votes, list and button replies, and anything else that can only be shown as text. */
  | { type: 'unsupported'; description: string; text?: string };

/** Enough to address one WhatsApp message again (reply, react, edit, delete). */
export interface MessageKeyRef {
  id: string;
  chatJid?: string;
  fromMe?: boolean;
  participant?: string;
}

interface EventBase {
  /** Stable across redeliveries of the same fact; the Hub's dedupe key. */
  dedupeKey: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

export interface MessageEvent extends EventBase {
  kind: 'message';
  messageId: string;
  chat: ChatRef;
  sender: SenderRef;
  fromMe: boolean;
  content: MessageContent;
  replyTo?: MessageKeyRef;
  /** The id the Hub attached when it sent this message itself (echo recognition). */
  trackId?: string;
  /** Sent through the provider's API rather than typed on the phone. */
  fromApi?: boolean;
  forwarded?: boolean;
  mentions?: string[];
}

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'played' | 'failed' | 'deleted';

export interface StatusEvent extends EventBase {
  kind: 'status';
  messageIds: string[];
  chat: ChatRef;
  status: DeliveryStatus;
  fromMe: boolean;
  error?: string;
}

export type PresenceState = 'typing' | 'recording' | 'paused' | 'available' | 'unavailable';

export interface PresenceEvent extends EventBase {
  kind: 'presence';
  chat: ChatRef;
  sender?: SenderRef;
  state: PresenceState;
}

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'logged_out';

export interface ConnectionEvent extends EventBase {
  kind: 'connection';
  state: ConnectionState;
  qrCode?: string;
  pairCode?: string;
  jid?: string;
  phoneE164?: string;
  profileName?: string;
  reason?: string;
}

export interface CallEvent extends EventBase {
  kind: 'call';
  callId: string;
  chat: ChatRef;
  status: 'offer' | 'accept' | 'reject' | 'timeout' | 'terminate';
  isVideo: boolean;
}

export type CanonicalEvent = MessageEvent | StatusEvent | PresenceEvent | ConnectionEvent | CallEvent;

/** What one provider webhook delivery contains. */
export interface ParsedWebhook {
  /** The provider's name or id for the instance, as the payload states it. */
  instanceKey: string;
  /** The instance token the payload carries, when it carries one (checked against ours). */
  instanceToken?: string;
  events: CanonicalEvent[];
  /** Event types that were recognised but deliberately not turned into canonical events. */
  ignored: string[];
}
