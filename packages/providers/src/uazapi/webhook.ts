// Uazapi GO webhook bodies → canonical events. The real envelope is flat and keyed by `EventType`
// (the vendor spec's `{event, instance, data}` is not what the server sends), message timestamps are
// milliseconds while receipts carry seconds, numeric strings or ISO strings, and booleans sometimes
// arrive as "True"/"False". Everything here reads defensively and never trusts a field's type.
import { createHash } from 'node:crypto';
import {
  type CallEvent,
  type CanonicalEvent,
  type ChatRef,
  type ConnectionEvent,
  type ConnectionState,
  type ContactCard,
  canonicalPhone,
  type DeliveryStatus,
  isGroupJid,
  isLidJid,
  type MediaKind,
  type MessageContent,
  type MessageEvent,
  type MessageKeyRef,
  normalizeJid,
  type ParsedWebhook,
  type PresenceEvent,
  type PresenceState,
  phoneFromJid,
  type SenderRef,
  type StatusEvent,
} from '@whatpro/domain';
import { ProviderError } from '../errors.ts';
import { asBool, asNumber, asRecord, asString, toEpochMs } from '../parse.ts';

export interface UazapiWebhookOptions {
  /** The `track_source` this Hub stamps on its sends; a `track_id` under another source is not ours. */
  trackSource: string;
  now: () => number;
}

type Rec = Record<string, unknown>;

/** A non-empty string, or undefined. */
const text = (v: unknown): string | undefined => {
  const s = asString(v);
  return s && s.trim() !== '' ? s : undefined;
};

const jid = (v: unknown): string | undefined => {
  const s = text(v);
  return s?.includes('@') ? normalizeJid(s) : undefined;
};

const phoneOf = (j: string | undefined): string | undefined => (j ? (phoneFromJid(j) ?? undefined) : undefined);
const lidOf = (v: unknown): string | undefined => {
  const j = jid(v);
  return j && isLidJid(j) ? j : undefined;
};

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/** Drops undefined fields so parsed events compare cleanly and serialise small. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function connectionStateOf(status: unknown, reason?: unknown, type?: unknown): ConnectionState {
  const s = (asString(status) ?? '').toLowerCase();
  if (s === 'connected' || s === 'open') return 'open';
  if (s === 'connecting') return 'connecting';
  const r = asString(reason) ?? '';
  return asString(type) === 'LoggedOut' || r.startsWith('401') || /logged out/i.test(r) ? 'logged_out' : 'closed';
}

// ----- messages ---------------------------------------------------------------------------------

const MEDIA_BY_MESSAGE_TYPE: Record<string, MediaKind> = {
  ImageMessage: 'image',
  VideoMessage: 'video',
  PtvMessage: 'video',
  AudioMessage: 'audio',
  DocumentMessage: 'document',
  DocumentWithCaptionMessage: 'document',
  StickerMessage: 'sticker',
};

// `mediaType` is an open set on the wire (`1p_sticker`, `user_created_sticker`, `gif`, …).
function mediaKindOf(messageType: string, mediaType: string, content: Rec | undefined): MediaKind | undefined {
  let kind = MEDIA_BY_MESSAGE_TYPE[messageType];
  if (!kind) {
    if (mediaType.includes('sticker')) kind = 'sticker';
    else if (mediaType === 'image') kind = 'image';
    else if (mediaType === 'video' || mediaType === 'gif' || mediaType === 'ptv') kind = 'video';
    else if (mediaType === 'ptt' || mediaType === 'audio' || mediaType === 'myaudio') kind = 'audio';
    else if (mediaType === 'document') kind = 'document';
    else if (content && text(content.URL) && text(content.mimetype)) {
      const mime = text(content.mimetype) as string;
      kind = mime.startsWith('image/') ? 'image' : mime.startsWith('video/') ? 'video' : mime.startsWith('audio/') ? 'audio' : 'document';
    }
  }
  if (kind === 'audio' && (mediaType === 'ptt' || asBool(content?.PTT) === true)) return 'voice';
  return kind;
}

/** vCard TEL lines, preferring the WhatsApp id (`waid=`) over the formatted number. */
export function vcardPhones(vcard: string): string[] {
  const phones: string[] = [];
  for (const line of vcard.split(/\r?\n/)) {
    const m = /^(?:item\d+\.)?TEL([^:]*):(.*)$/i.exec(line.trim());
    if (!m) continue;
    const waid = /waid=(\d+)/i.exec(m[1] ?? '')?.[1];
    const phone = canonicalPhone(waid ?? m[2] ?? '');
    if (phone && !phones.includes(phone)) phones.push(phone);
  }
  return phones;
}

function contactCards(messageType: string, content: Rec | undefined): ContactCard[] {
  const one = (c: Rec | undefined): ContactCard | undefined => {
    const vcard = text(c?.vcard);
    const name = text(c?.displayName) ?? (vcard ? /^FN:(.*)$/im.exec(vcard)?.[1]?.trim() : undefined);
    if (!name && !vcard) return undefined;
    return compact({ name: name ?? '', phones: vcard ? vcardPhones(vcard) : [], vcard });
  };
  if (messageType === 'ContactsArrayMessage' && Array.isArray(content?.contacts)) {
    return content.contacts.map((c) => one(asRecord(c))).filter((c): c is ContactCard => !!c);
  }
  const card = one(content);
  return card ? [card] : [];
}

function quotedId(v: unknown): string | undefined {
  const r = asRecord(v);
  return r ? (text(r.messageid) ?? text(r.id)) : text(v);
}

function contentOf(m: Rec, chatJid: string): MessageContent {
  const messageType = asString(m.messageType) ?? '';
  const mediaType = (asString(m.mediaType) ?? '').toLowerCase();
  const type = asString(m.type) ?? '';
  const raw = m.content;
  const content = asRecord(raw);
  const body = text(m.text) ?? (typeof raw === 'string' ? text(raw) : text(content?.text));

  const reactionTarget =
    text(m.reaction) ?? (type === 'reaction' || messageType === 'ReactionMessage' ? text(asRecord(content?.key)?.ID) : undefined);
  if (reactionTarget) {
    return { type: 'reaction', target: { id: reactionTarget, chatJid }, emoji: asString(m.text) ?? asString(content?.text) ?? '' };
  }
  const edited = text(m.edited);
  if (edited) return { type: 'edit', target: { id: edited, chatJid }, text: body ?? text(content?.caption) ?? '' };

  if (messageType === 'ProtocolMessage') {
    const key = asRecord(content?.key);
    const protoType = content?.type;
    if (key && text(key.ID) && (protoType === 0 || protoType === 'REVOKE'))
      return { type: 'delete', target: { id: text(key.ID) as string, chatJid } };
  }

  if (messageType === 'LocationMessage' || messageType === 'LiveLocationMessage' || mediaType === 'location') {
    const latitude = asNumber(content?.degreesLatitude);
    const longitude = asNumber(content?.degreesLongitude);
    if (latitude !== undefined && longitude !== undefined) {
      return compact({
        type: 'location' as const,
        latitude,
        longitude,
        name: text(content?.name),
        address: text(content?.address),
        live: messageType === 'LiveLocationMessage' ? true : undefined,
      });
    }
  }

  if (messageType === 'ContactMessage' || messageType === 'ContactsArrayMessage' || mediaType === 'vcard') {
    const contacts = contactCards(messageType, content);
    if (contacts.length) return { type: 'contacts', contacts };
  }

  // Poll votes and list/button replies can only be shown as the option the contact picked.
  const vote = text(m.vote);
  if (messageType === 'PollUpdateMessage' || type === 'poll') {
    if (messageType.startsWith('PollCreationMessage')) {
      const options = text(m.convertOptions);
      return compact({
        type: 'unsupported' as const,
        description: 'poll',
        text: [body, options?.split('|').join(' / ')].filter(Boolean).join(': ') || undefined,
      });
    }
    return compact({ type: 'unsupported' as const, description: 'poll_vote', text: vote ?? body });
  }
  if (messageType.startsWith('PollCreationMessage')) return compact({ type: 'unsupported' as const, description: 'poll', text: body });
  if (messageType === 'ListResponseMessage' || mediaType === 'list_response') {
    return compact({
      type: 'unsupported' as const,
      description: 'list_response',
      text: vote ?? text(content?.title) ?? body ?? text(m.buttonOrListid),
    });
  }
  if (
    messageType === 'ButtonsResponseMessage' ||
    messageType === 'TemplateButtonReplyMessage' ||
    messageType === 'InteractiveResponseMessage'
  ) {
    return compact({
      type: 'unsupported' as const,
      description: 'button_response',
      text: vote ?? text(content?.selectedDisplayText) ?? body ?? text(m.buttonOrListid),
    });
  }

  const mediaContent = asRecord(asRecord(content?.message)?.documentMessage) ?? content;
  const kind = mediaKindOf(messageType, mediaType, mediaContent);
  if (kind) {
    const fileUrl = text(m.fileURL);
    const media = compact({
      mimeType: text(mediaContent?.mimetype),
      fileName: text(mediaContent?.fileName),
      sizeBytes: asNumber(mediaContent?.fileLength),
      url: fileUrl && /^https?:\/\//.test(fileUrl) ? fileUrl : undefined,
      handle: { messageId: text(m.messageid) },
    });
    return compact({ type: kind, media, caption: text(mediaContent?.caption) ?? body });
  }

  if (body !== undefined || messageType === 'Conversation' || messageType === 'ExtendedTextMessage')
    return { type: 'text', text: body ?? '' };
  return compact({ type: 'unsupported' as const, description: messageType || type || 'unknown', text: body });
}

function parseMessage(body: Rec, m: Rec, chatInfo: Rec | undefined, opts: UazapiWebhookOptions): MessageEvent | undefined {
  const messageId = text(m.messageid) ?? text(m.id)?.split(':').pop();
  if (!messageId) return undefined;
  const fromMe = asBool(m.fromMe) ?? false;
  const chatJid = jid(m.chatid) ?? jid(chatInfo?.wa_chatid) ?? '';
  const isGroup = asBool(m.isGroup) ?? isGroupJid(chatJid);
  const senderPn = jid(m.sender_pn);
  const senderLid = lidOf(m.sender_lid) ?? lidOf(m.sender);
  const senderName = text(m.senderName);

  let chat: ChatRef;
  if (isGroup) {
    const groupName = text(m.groupName);
    chat = compact({
      jid: chatJid,
      isGroup: true,
      name: groupName && groupName !== 'Unknown' ? groupName : (text(chatInfo?.name) ?? text(chatInfo?.wa_name)),
    });
  } else {
    // On fromMe messages sender_* describe the instance owner, so only the chat fields name the peer.
    const lid =
      lidOf(m.chatlid) ?? lidOf(chatInfo?.wa_chatlid) ?? (isLidJid(chatJid) ? chatJid : undefined) ?? (fromMe ? undefined : senderLid);
    const phone = phoneOf(chatJid) ?? (fromMe ? undefined : phoneOf(senderPn));
    const name = text(chatInfo?.wa_contactName) ?? text(chatInfo?.wa_name) ?? text(chatInfo?.name) ?? (fromMe ? undefined : senderName);
    chat = compact({ jid: chatJid, isGroup: false, phoneE164: phone, lid, name });
  }

  let sender: SenderRef;
  if (fromMe) {
    const owner = text(m.owner) ?? text(body.owner);
    const ownerJid = senderPn ?? (owner ? `${owner.replace(/\D+/g, '')}@s.whatsapp.net` : chatJid);
    sender = compact({ jid: ownerJid, phoneE164: phoneOf(ownerJid), lid: senderLid, name: senderName });
  } else {
    const senderJid = senderPn ?? jid(m.sender) ?? chatJid;
    sender = compact({
      jid: senderJid,
      phoneE164: phoneOf(senderPn) ?? phoneOf(jid(m.sender)) ?? (isGroup ? undefined : chat.phoneE164),
      lid: senderLid,
      name: senderName,
    });
  }

  const content = contentOf(m, chatJid);
  const context = asRecord(asRecord(m.content)?.contextInfo);
  const quoted = quotedId(m.quoted);
  let replyTo: MessageKeyRef | undefined;
  if (quoted && content.type !== 'reaction' && content.type !== 'edit') {
    replyTo = compact({ id: quoted, chatJid, participant: isGroup ? jid(context?.participant) : undefined });
  }
  const mentions = Array.isArray(context?.mentionedJid) ? context.mentionedJid.map(jid).filter((j): j is string => !!j) : [];
  const trackId = text(m.track_id);
  const trackSource = text(m.track_source);

  return compact({
    kind: 'message' as const,
    dedupeKey: `uazapi:msg:${text(m.id) ?? messageId}`,
    timestamp: toEpochMs(m.messageTimestamp, opts.now()),
    messageId,
    chat,
    sender,
    fromMe,
    content,
    replyTo,
    trackId: trackId && trackSource === opts.trackSource ? trackId : undefined,
    fromApi: asBool(m.wasSentByApi),
    forwarded: asBool(context?.isForwarded) || undefined,
    mentions: mentions.length ? mentions : undefined,
  });
}

// ----- messages_update (receipts and deletions) ----------------------------------------------------

const STATUS_BY_STATE: Record<string, DeliveryStatus> = {
  sent: 'sent',
  serverack: 'sent',
  delivered: 'delivered',
  read: 'read',
  played: 'played',
  deleted: 'deleted',
  failed: 'failed',
  error: 'failed',
};
// Receipt types that describe our own devices or transport retries, not the peer (uazapi.md §d.4).
const IGNORED_RECEIPT_TYPES = new Set(['played-self', 'read-self', 'inactive', 'sender', 'peer_msg', 'retry']);

function chatOfEvent(ev: Rec, fromMe: boolean): ChatRef {
  const chatJid = jid(ev.Chat) ?? jid(ev.chatid) ?? '';
  const isGroup = asBool(ev.IsGroup) ?? isGroupJid(chatJid);
  if (isGroup) return { jid: chatJid, isGroup: true };
  // In a 1:1 chat the other party of a receipt or presence is the peer unless it came from our own device.
  const peerPn = fromMe ? undefined : (jid(ev.sender_pn) ?? jid(ev.SenderPN));
  return compact({
    jid: chatJid,
    isGroup: false,
    phoneE164: phoneOf(chatJid) ?? phoneOf(peerPn),
    lid: isLidJid(chatJid) ? chatJid : fromMe ? undefined : (lidOf(ev.sender_lid) ?? lidOf(ev.Sender)),
  });
}

function parseStatus(body: Rec, opts: UazapiWebhookOptions, ignored: string[]): StatusEvent | undefined {
  const ev = asRecord(body.event);
  const state = (asString(body.state) ?? '').toLowerCase();
  const status = STATUS_BY_STATE[state];
  const receiptType = (asString(ev?.Type) ?? '').toLowerCase();
  const ids = Array.isArray(ev?.MessageIDs) ? ev.MessageIDs.map(text).filter((s): s is string => !!s) : [];
  if (!ev || !status || ids.length === 0 || IGNORED_RECEIPT_TYPES.has(receiptType)) {
    ignored.push(`messages_update:${asString(body.state) || receiptType || 'unknown'}`);
    return undefined;
  }
  const byUs = asBool(ev.IsFromMe) ?? false;
  const chat = chatOfEvent(ev, byUs);
  // `fromMe` here says whose messages these are: the author revokes their own message, while a
  // receipt comes from the other side of the message.
  const fromMe = status === 'deleted' ? byUs : !byUs;
  return {
    kind: 'status',
    dedupeKey: text(body.event_id) ?? `uazapi:status:${status}:${chat.jid}:${ids.join(',')}`,
    timestamp: toEpochMs(ev.Timestamp, opts.now()),
    messageIds: ids,
    chat,
    status,
    fromMe,
  };
}

// ----- presence, connection, call -------------------------------------------------------------------

function parsePresence(body: Rec, opts: UazapiWebhookOptions, ignored: string[]): PresenceEvent | undefined {
  const ev = asRecord(body.event);
  if (!ev) {
    ignored.push('presence:empty');
    return undefined;
  }
  // The instance's own typing is echoed back; passing it on would show the contact typing.
  if (asBool(ev.IsFromMe)) {
    ignored.push('presence:self');
    return undefined;
  }
  const raw = (asString(ev.State) ?? '').toLowerCase();
  let state: PresenceState | undefined;
  if (raw === 'composing') state = asString(ev.Media) === 'audio' ? 'recording' : 'typing';
  else if (raw === 'recording') state = 'recording';
  else if (raw === 'paused') state = 'paused';
  else if (raw === 'available' || raw === 'unavailable') state = raw;
  if (!state) {
    ignored.push(`presence:${raw || 'unknown'}`);
    return undefined;
  }
  const chat = chatOfEvent(ev, false);
  const senderJid = jid(ev.sender_pn) ?? jid(ev.Sender);
  const now = opts.now();
  return compact({
    kind: 'presence' as const,
    // Presence has no id of its own; a repeated "typing" is harmless, a dropped one is not.
    dedupeKey: text(body.event_id) ?? `uazapi:presence:${chat.jid}:${state}:${now}`,
    timestamp: now,
    chat,
    sender: senderJid
      ? compact({ jid: senderJid, phoneE164: phoneOf(jid(ev.sender_pn)) ?? phoneOf(senderJid), lid: lidOf(ev.sender_lid) })
      : undefined,
    state,
  });
}

function parseConnection(body: Rec, opts: UazapiWebhookOptions): ConnectionEvent {
  const inst = asRecord(body.instance) ?? {};
  const state = connectionStateOf(inst.status, inst.lastDisconnectReason, body.type);
  const owner = text(body.owner);
  // `owner` keeps the last paired number while disconnected: only trust it when open.
  const phone = state === 'open' && owner ? (canonicalPhone(owner) ?? undefined) : undefined;
  const qrCode = state === 'connecting' ? text(inst.qrcode) : undefined;
  const pairCode = state === 'connecting' ? text(inst.paircode) : undefined;
  const reason = state === 'open' ? undefined : text(inst.lastDisconnectReason);
  const now = opts.now();
  return compact({
    kind: 'connection' as const,
    // No id before `event_id` existed: a repeated connection state is harmless, a lost one is not.
    dedupeKey: text(body.event_id) ?? `uazapi:connection:${state}:${now}:${shortHash(`${qrCode ?? ''}${pairCode ?? ''}${reason ?? ''}`)}`,
    timestamp: toEpochMs(inst.lastDisconnect, now),
    state,
    qrCode,
    pairCode,
    // The JID keeps the number as WhatsApp knows it (maybe without the Brazilian ninth digit).
    jid: phone ? `${(owner as string).replace(/\D+/g, '')}@s.whatsapp.net` : undefined,
    phoneE164: phone,
    profileName: state === 'open' ? text(inst.profileName) : undefined,
    reason,
  });
}

// No capture of a uazapi call webhook exists (uazapi.md §d.8); this reads whatsmeow's call events
// (`CallOffer`, `CallAccept`, `CallTerminate`, …) as they would serialise under `event`.
function parseCall(body: Rec, opts: UazapiWebhookOptions, ignored: string[]): CallEvent | undefined {
  const ev = asRecord(body.event) ?? {};
  const callId = text(ev.CallID) ?? text(ev.callId) ?? text(ev.id);
  const from = jid(ev.From) ?? jid(ev.CallCreator) ?? jid(ev.from);
  const type = (asString(body.type) ?? asString(ev.Type) ?? '').toLowerCase();
  if (!callId || !from) {
    ignored.push(`call:${type || 'unknown'}`);
    return undefined;
  }
  let status: CallEvent['status'] = 'offer';
  if (type.includes('accept')) status = 'accept';
  else if (type.includes('reject')) status = 'reject';
  else if (type.includes('timeout') || /timeout/i.test(asString(ev.Reason) ?? '')) status = 'timeout';
  else if (type.includes('terminate')) status = 'terminate';
  const isVideo = asBool(ev.IsVideo ?? ev.isVideo) ?? (asString(ev.Media) === 'video' || JSON.stringify(ev.Data ?? '').includes('"video"'));
  const groupJid = jid(ev.GroupJID);
  const chatJid = groupJid ?? from;
  const senderPn = jid(ev.CallCreatorAlt) ?? jid(ev.sender_pn);
  return {
    kind: 'call',
    dedupeKey: text(body.event_id) ?? `uazapi:call:${callId}:${status}`,
    timestamp: toEpochMs(ev.Timestamp, opts.now()),
    callId,
    chat: compact({
      jid: chatJid,
      isGroup: !!groupJid,
      phoneE164: groupJid ? undefined : (phoneOf(from) ?? phoneOf(senderPn)),
      lid: groupJid ? undefined : isLidJid(from) ? from : undefined,
    }),
    status,
    isVideo,
  };
}

export function parseUazapiWebhook(body: unknown, opts: UazapiWebhookOptions): ParsedWebhook {
  const b = asRecord(body);
  if (!b) throw new ProviderError('uazapi', 'bad_request', 'uazapi webhook body is not a JSON object');
  const instance = asRecord(b.instance);
  const parsed: ParsedWebhook = {
    instanceKey: text(b.instanceName) ?? text(instance?.name) ?? '',
    events: [],
    ignored: [],
  };
  const token = text(b.token);
  if (token) parsed.instanceToken = token;

  const eventType = asString(b.EventType);
  const push = (e: CanonicalEvent | undefined) => {
    if (e) parsed.events.push(e);
  };
  switch (eventType) {
    case 'messages': {
      const m = asRecord(b.message);
      const event = m ? parseMessage(b, m, asRecord(b.chat), opts) : undefined;
      if (!event) parsed.ignored.push('messages:no-id');
      push(event);
      break;
    }
    case 'messages_update':
      push(parseStatus(b, opts, parsed.ignored));
      break;
    case 'presence':
      push(parsePresence(b, opts, parsed.ignored));
      break;
    case 'connection':
      push(parseConnection(b, opts));
      break;
    case 'call':
      push(parseCall(b, opts, parsed.ignored));
      break;
    default:
      // Groups, history, chats, labels… and whatever a newer build adds: acknowledged, not mapped.
      parsed.ignored.push(eventType ?? 'unknown');
  }
  return parsed;
}
