// Evolution webhook envelope → canonical events. The envelope is
// `{ event, instance, data, destination, date_time, sender, server_url, apikey }`; `event` arrives as
// `messages.upsert` from the webhook and as `MESSAGES_UPSERT` from some relays, so both are accepted.
import { createHash } from 'node:crypto';
import type {
  CallEvent,
  CanonicalEvent,
  ConnectionEvent,
  DeliveryStatus,
  MessageEvent,
  ParsedWebhook,
  PresenceEvent,
  PresenceState,
  SenderRef,
  StatusEvent,
} from '@whatpro/domain';
import { isGroupJid, normalizeJid, phoneFromJid } from '@whatpro/domain';
import { ProviderError } from '../errors.ts';
import { asBool, asNumber, asRecord, asString, toEpochMs } from '../parse.ts';
import { editedText, keyRef, readContent } from './content.ts';
import { chatFrom, personFrom } from './identity.ts';

type Rec = Record<string, unknown>;

interface Envelope {
  event: string;
  instance: string;
  data: unknown;
  /** The instance owner's JID (not the message author). */
  owner?: string;
  /** Delivery time: server wall clock, only a fallback when the payload has no timestamp of its own. */
  at: number;
}

/** `MESSAGES_UPSERT`, `messages.upsert`, `group-participants.update` → `messages.upsert` style. */
export function normalizeEventName(event: string): string {
  return event.trim().toLowerCase().replace(/[_-]/g, '.');
}

const STATUS_BY_NAME: Record<string, DeliveryStatus | null> = {
  ERROR: 'failed',
  PENDING: null,
  SERVER_ACK: 'sent',
  DELIVERY_ACK: 'delivered',
  READ: 'read',
  PLAYED: 'played',
  DELETED: 'deleted',
};
const STATUS_BY_CODE = ['ERROR', 'PENDING', 'SERVER_ACK', 'DELIVERY_ACK', 'READ', 'PLAYED'];

/** Evolution statuses come as names (`DELIVERY_ACK`) or Baileys' numeric codes (3). */
export function deliveryStatus(raw: unknown): DeliveryStatus | null | undefined {
  const code = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : undefined;
  const name = code !== undefined ? STATUS_BY_CODE[code] : asString(raw)?.toUpperCase();
  if (!name) return undefined;
  return name in STATUS_BY_NAME ? STATUS_BY_NAME[name] : undefined;
}

const PRESENCE: Record<string, PresenceState> = {
  composing: 'typing',
  recording: 'recording',
  paused: 'paused',
  available: 'available',
  unavailable: 'unavailable',
};

const CALL_STATUS: Record<string, CallEvent['status']> = {
  offer: 'offer',
  ringing: 'offer',
  accept: 'accept',
  reject: 'reject',
  timeout: 'timeout',
  terminate: 'terminate',
};

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

function ownerRef(owner: string | undefined, name?: string): SenderRef {
  const ref = personFrom([owner]);
  return name ? { ...ref, name } : ref;
}

/** A `messages.upsert` / `send.message` item (Evolution's prepared message). */
function messageEvent(env: Envelope, data: Rec, fromApi: boolean): MessageEvent | undefined {
  const key = asRecord(data.key);
  const id = asString(key?.id);
  if (!key || !id) return undefined;
  const fromMe = asBool(key.fromMe) ?? fromApi;
  const pushName = asString(data.pushName);
  const remoteJid = asString(key.remoteJid);
  const group = !!remoteJid && isGroupJid(normalizeJid(remoteJid));
  // In groups the author is the participant; otherwise the contact is both chat and author.
  const contactName = !fromMe && !group ? pushName : undefined;
  const chat = chatFrom([key.remoteJid, key.remoteJidAlt, key.senderPn, key.senderLid], contactName);
  const sender = fromMe
    ? ownerRef(env.owner, pushName && pushName !== 'Você' ? pushName : undefined)
    : group
      ? personFrom([key.participant, key.participantAlt, key.participantPn, key.participantLid, data.participant], pushName)
      : personFrom([key.remoteJid, key.remoteJidAlt, key.senderPn, key.senderLid], pushName);

  const message = asRecord(data.message) ?? {};
  const { content, node } = readContent(
    message,
    asString(data.messageType),
    {
      messageId: id,
      remoteJid: chat.jid,
      fromMe,
      base64: asString(message.base64),
      mediaUrl: asString(message.mediaUrl),
    },
    data.pollUpdates,
  );
  const context = asRecord(data.contextInfo) ?? asRecord(node?.contextInfo);

  const event: MessageEvent = {
    kind: 'message',
    dedupeKey: `message:${id}`,
    timestamp: toEpochMs(data.messageTimestamp, env.at),
    messageId: id,
    chat,
    sender,
    fromMe,
    content,
  };
  if (fromApi) event.fromApi = true;
  const stanzaId = asString(context?.stanzaId);
  if (stanzaId) {
    const participant = asString(context?.participant);
    const quoted = keyRef({ id: stanzaId, remoteJid: asString(context?.remoteJid) ?? chat.jid, participant });
    if (quoted) {
      if (participant && env.owner) quoted.fromMe = normalizeJid(participant) === normalizeJid(env.owner);
      event.replyTo = quoted;
    }
  }
  const mentioned = Array.isArray(context?.mentionedJid) ? context.mentionedJid.map(asString).filter((j): j is string => !!j) : [];
  if (mentioned.length) event.mentions = mentioned.map(normalizeJid);
  if (asBool(context?.isForwarded)) event.forwarded = true;
  return event;
}

function editEvent(
  env: Envelope,
  targetId: string,
  text: string,
  chatCandidates: unknown[],
  fromMe: boolean,
  participant?: unknown,
  at?: number,
): MessageEvent {
  const chat = chatFrom(chatCandidates);
  const hash = shortHash(text);
  const sender = fromMe ? ownerRef(env.owner) : chat.isGroup ? personFrom([participant]) : personFrom(chatCandidates);
  return {
    kind: 'message',
    // messages.edited and messages.update both report one edit: same key, so the Hub keeps one.
    dedupeKey: `edit:${targetId}:${hash}`,
    timestamp: at ?? env.at,
    messageId: `${targetId}:edit:${hash}`,
    chat,
    sender,
    fromMe,
    content: { type: 'edit', target: { id: targetId, chatJid: chat.jid, fromMe }, text },
  };
}

/** `messages.update`: a delivery status, or (2.3.7+) an edit carried in `message.editedMessage`. */
function updateEvents(env: Envelope, data: Rec): CanonicalEvent[] {
  const id = asString(data.keyId) ?? asString(asRecord(data.key)?.id);
  if (!id) return [];
  const fromMe = asBool(data.fromMe) ?? asBool(asRecord(data.key)?.fromMe) ?? false;
  const remote = data.remoteJid ?? asRecord(data.key)?.remoteJid;
  const candidates = [remote, data.remoteJidAlt];
  const edited = asRecord(asRecord(data.message)?.editedMessage);
  if (edited) {
    const text = editedText(edited);
    if (text !== undefined) return [editEvent(env, id, text, candidates, fromMe, data.participant)];
  }
  const status = deliveryStatus(data.status);
  if (!status) return [];
  const event: StatusEvent = {
    kind: 'status',
    dedupeKey: `status:${id}:${status}`,
    timestamp: env.at,
    messageIds: [id],
    chat: chatFrom(candidates),
    status,
    fromMe,
  };
  return [event];
}

/** `messages.edited`: the raw protocolMessage, keyed from the *editor's* point of view. */
function editedEvents(env: Envelope, data: Rec): CanonicalEvent[] {
  const key = asRecord(data.key);
  const id = asString(key?.id);
  const type = asString(data.type) ?? '';
  if (!id || !(type === 'MESSAGE_EDIT' || type === '14')) return [];
  const remote = asString(key?.remoteJid);
  // A contact's edit is keyed as "their message to us": remoteJid is our own JID and the chat is not in
  // the payload. Evolution 2.3.7 reports the same edit in messages.update with the chat, so it is left
  // to that event rather than attributed to the wrong conversation.
  if (!remote || (env.owner && normalizeJid(remote) === normalizeJid(env.owner))) return [];
  const text = editedText(asRecord(data.editedMessage));
  if (text === undefined) return [];
  const fromMe = asBool(key?.fromMe) ?? true;
  return [editEvent(env, id, text, [remote], fromMe, key?.participant, toEpochMs(data.timestampMs, env.at))];
}

/** `messages.delete`: the Baileys key of the deleted message (+ `status: "DELETED"` in 2.3.7). */
function deleteEvents(env: Envelope, data: Rec): CanonicalEvent[] {
  const key = asRecord(data.key) ?? data;
  const id = asString(key.id);
  if (!id) return [];
  const fromMe = asBool(key.fromMe) ?? false;
  const chat = chatFrom([key.remoteJid, key.remoteJidAlt]);
  const participant = asString(key.participant);
  const sender = fromMe
    ? ownerRef(env.owner)
    : chat.isGroup
      ? personFrom([participant, key.participantAlt])
      : personFrom([key.remoteJid, key.remoteJidAlt]);
  const target = keyRef({ id, remoteJid: chat.jid, fromMe, participant: participant || undefined });
  if (!target) return [];
  const event: MessageEvent = {
    kind: 'message',
    dedupeKey: `delete:${id}`,
    timestamp: env.at,
    messageId: `${id}:delete`,
    chat,
    sender,
    fromMe,
    content: { type: 'delete', target },
  };
  return [event];
}

function connectionBase(env: Envelope, what: string): Pick<ConnectionEvent, 'kind' | 'dedupeKey' | 'timestamp'> {
  return { kind: 'connection', dedupeKey: `connection:${env.instance}:${what}:${env.at}`, timestamp: env.at };
}

/** Evolution's instance state (`open`, `connecting`, `close`, `refused`) with the close reason. */
export function connectionState(state: string | undefined, statusReason?: number): ConnectionEvent['state'] {
  if (state === 'open') return 'open';
  if (state === 'connecting') return 'connecting';
  // 401 is WhatsApp's loggedOut: the session is gone and needs a new QR.
  return statusReason === 401 ? 'logged_out' : 'closed';
}

function connectionEvents(env: Envelope, data: Rec): CanonicalEvent[] {
  const state = asString(data.state);
  const reason = asNumber(data.statusReason);
  const mapped = connectionState(state, reason);
  const event: ConnectionEvent = { ...connectionBase(env, `${state}:${reason ?? ''}`), state: mapped };
  const wuid = asString(data.wuid);
  if (mapped === 'open' && wuid) {
    event.jid = normalizeJid(wuid);
    const phone = phoneFromJid(wuid);
    if (phone) event.phoneE164 = phone;
  }
  const profileName = asString(data.profileName);
  if (mapped === 'open' && profileName) event.profileName = profileName;
  if (mapped !== 'open' && mapped !== 'connecting')
    event.reason = state === 'refused' ? `refused:${reason ?? ''}` : String(reason ?? state ?? '');
  return [event];
}

function qrEvents(env: Envelope, data: Rec): CanonicalEvent[] {
  const qr = asRecord(data.qrcode);
  if (!qr) {
    // QR limit reached: Evolution stops trying and the instance needs a fresh connect.
    const message = asString(data.message);
    if (!message) return [];
    return [{ ...connectionBase(env, `qr-limit`), state: 'closed', reason: message } satisfies ConnectionEvent];
  }
  const code = asString(qr.code);
  const event: ConnectionEvent = {
    kind: 'connection',
    dedupeKey: `qr:${env.instance}:${shortHash(`${code ?? ''}|${asString(qr.pairingCode) ?? ''}`)}`,
    timestamp: env.at,
    state: 'connecting',
  };
  const image = asString(qr.base64) ?? code;
  if (image) event.qrCode = image;
  const pairCode = asString(qr.pairingCode);
  if (pairCode) event.pairCode = pairCode;
  return [event];
}

function presenceEvents(env: Envelope, data: Rec): CanonicalEvent[] {
  const id = asString(data.id);
  const presences = asRecord(data.presences);
  if (!id || !presences) return [];
  const chat = chatFrom([id]);
  const events: CanonicalEvent[] = [];
  for (const [jid, value] of Object.entries(presences)) {
    const state = PRESENCE[asString(asRecord(value)?.lastKnownPresence) ?? ''];
    if (!state) continue;
    const event: PresenceEvent = {
      kind: 'presence',
      dedupeKey: `presence:${env.instance}:${normalizeJid(jid)}:${state}:${env.at}`,
      timestamp: env.at,
      chat,
      state,
    };
    if (chat.isGroup) event.sender = personFrom([jid]);
    events.push(event);
  }
  return events;
}

function callEvents(env: Envelope, data: Rec): CanonicalEvent[] {
  const id = asString(data.id);
  const status = CALL_STATUS[asString(data.status) ?? ''];
  if (!id || !status) return [];
  const event: CallEvent = {
    kind: 'call',
    dedupeKey: `call:${id}:${status}`,
    timestamp: toEpochMs(data.date, env.at),
    callId: id,
    chat: chatFrom([data.chatId, data.from]),
    status,
    isVideo: asBool(data.isVideo) ?? false,
  };
  return [event];
}

const asList = (data: unknown): Rec[] =>
  (Array.isArray(data) ? data : [data]).map((d) => asRecord(d)).filter((d): d is Rec => d !== undefined);

const HANDLERS: Record<string, (env: Envelope, data: Rec) => CanonicalEvent[]> = {
  'messages.upsert': (env, d) => [messageEvent(env, d, false)].filter((e): e is MessageEvent => !!e),
  'send.message': (env, d) => [messageEvent(env, d, true)].filter((e): e is MessageEvent => !!e),
  'messages.update': updateEvents,
  'messages.edited': editedEvents,
  'messages.delete': deleteEvents,
  'connection.update': connectionEvents,
  'qrcode.updated': qrEvents,
  'presence.update': presenceEvents,
  call: callEvents,
};

export function parseEvolutionWebhook(body: unknown): ParsedWebhook {
  let parsed = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      parsed = JSON.parse(body.toString());
    } catch {
      throw new ProviderError('evolution', 'bad_request', 'evolution webhook body is not JSON');
    }
  }
  const root = asRecord(parsed);
  const rawEvent = asString(root?.event);
  const instance = asString(root?.instance);
  if (!root || !rawEvent || !instance) {
    throw new ProviderError('evolution', 'bad_request', 'evolution webhook without event or instance');
  }
  const event = normalizeEventName(rawEvent);
  const env: Envelope = {
    event,
    instance,
    data: root.data,
    owner: asString(root.sender) || undefined,
    at: toEpochMs(root.date_time),
  };
  const result: ParsedWebhook = { instanceKey: instance, events: [], ignored: [] };
  const token = asString(root.apikey);
  if (token) result.instanceToken = token;
  const handler = HANDLERS[event];
  if (!handler) {
    result.ignored.push(event);
    return result;
  }
  for (const item of asList(env.data)) result.events.push(...handler(env, item));
  if (result.events.length === 0) result.ignored.push(event);
  return result;
}
