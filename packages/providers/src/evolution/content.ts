// Turns the Baileys `message` object Evolution forwards (after its own `prepareMessage` clean-up) into
// canonical message content. `messageType` is trusted over key order because `messageContextInfo`
// (device metadata) and Evolution's own extras (`base64`, `mediaUrl`) sit beside the content.
import type { ContactCard, MediaKind, MediaRef, MessageContent, MessageKeyRef } from '@whatpro/domain';
import { canonicalPhone, normalizeJid } from '@whatpro/domain';
import { asBool, asNumber, asRecord, asString } from '../parse.ts';

type Rec = Record<string, unknown>;

/** Keys of `message` that are never the content itself. */
const NOT_CONTENT = new Set(['messageContextInfo', 'base64', 'mediaUrl', 'speechToText', 'contextInfo']);

/** Wrappers whose `message` holds the real content. */
const WRAPPERS = [
  'ephemeralMessage',
  'viewOnceMessage',
  'viewOnceMessageV2',
  'viewOnceMessageV2Extension',
  'documentWithCaptionMessage',
  'editedMessage',
  'groupMentionedMessage',
];

const MEDIA_KIND: Record<string, MediaKind> = {
  imageMessage: 'image',
  videoMessage: 'video',
  ptvMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  stickerMessage: 'sticker',
};

/** Where the adapter finds a media file again: read back only by `downloadMedia`. */
export interface EvolutionMediaHandle {
  messageId: string;
  remoteJid?: string;
  fromMe?: boolean;
  messageType: string;
}

export interface ContentContext {
  messageId: string;
  remoteJid?: string;
  fromMe: boolean;
  /** Inline bytes and storage URL Evolution adds next to the content. */
  base64?: string;
  mediaUrl?: string;
}

export interface ReadContent {
  content: MessageContent;
  /** The proto node the content came from (its `contextInfo` may hold the quote). */
  node?: Rec;
}

/** The content type of a Baileys message: the first key that is content, unwrapping wrappers. */
export function contentType(message: Rec, declared?: string): string | undefined {
  if (declared && declared !== 'unknown' && message[declared] !== undefined) return declared;
  return Object.keys(message).find((k) => !NOT_CONTENT.has(k) && message[k] !== null && message[k] !== undefined);
}

function unwrap(message: Rec, type: string | undefined): { message: Rec; type: string | undefined } {
  let current = message;
  let currentType = type;
  for (let depth = 0; depth < 4 && currentType && WRAPPERS.includes(currentType); depth++) {
    const inner = asRecord(asRecord(current[currentType])?.message);
    if (!inner) break;
    current = inner;
    currentType = contentType(inner);
  }
  return { message: current, type: currentType };
}

function vcardPhones(vcard: string): string[] {
  const phones: string[] = [];
  for (const line of vcard.split(/\r?\n/)) {
    if (!/^(item\d+\.)?TEL/i.test(line)) continue;
    const waid = /waid=(\d+)/i.exec(line)?.[1];
    const value = waid ?? line.slice(line.lastIndexOf(':') + 1);
    const phone = canonicalPhone(value);
    if (phone && !phones.includes(phone)) phones.push(phone);
  }
  return phones;
}

function contactCard(node: Rec | undefined): ContactCard | undefined {
  if (!node) return undefined;
  const vcard = asString(node.vcard);
  const name = asString(node.displayName) ?? (vcard ? /^FN:(.*)$/im.exec(vcard)?.[1]?.trim() : undefined) ?? '';
  const card: ContactCard = { name, phones: vcard ? vcardPhones(vcard) : [] };
  if (vcard) card.vcard = vcard;
  return card;
}

function keyRef(key: Rec | undefined, fallbackChat?: string): MessageKeyRef | undefined {
  const id = asString(key?.id);
  if (!id) return undefined;
  const ref: MessageKeyRef = { id };
  const chat = asString(key?.remoteJid) ?? fallbackChat;
  if (chat) ref.chatJid = normalizeJid(chat);
  const fromMe = asBool(key?.fromMe);
  if (fromMe !== undefined) ref.fromMe = fromMe;
  const participant = asString(key?.participant);
  if (participant) ref.participant = normalizeJid(participant);
  return ref;
}

function textOf(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  const r = asRecord(node);
  return asString(r?.text) ?? asString(r?.conversation) ?? asString(asRecord(r?.extendedTextMessage)?.text);
}

function media(kind: MediaKind, type: string, node: Rec, ctx: ContentContext): MessageContent {
  const ref: MediaRef = {
    handle: {
      messageId: ctx.messageId,
      remoteJid: ctx.remoteJid,
      fromMe: ctx.fromMe,
      messageType: type,
    } satisfies EvolutionMediaHandle as unknown as Record<string, unknown>,
  };
  const mimeType = asString(node.mimetype);
  if (mimeType) ref.mimeType = mimeType;
  const fileName = asString(node.fileName);
  if (fileName) ref.fileName = fileName;
  const size = asNumber(node.fileLength);
  if (size !== undefined) ref.sizeBytes = size;
  // `node.url` is the encrypted WhatsApp CDN blob, useless without the media key: never exposed.
  if (ctx.mediaUrl) ref.url = ctx.mediaUrl;
  if (ctx.base64) ref.base64 = ctx.base64;
  const caption = asString(node.caption);
  const finalKind: MediaKind = kind === 'audio' && asBool(node.ptt) ? 'voice' : kind;
  return caption ? { type: finalKind, media: ref, caption } : { type: finalKind, media: ref };
}

function pollText(node: Rec): string {
  const name = asString(node.name) ?? '';
  const options = Array.isArray(node.options)
    ? node.options.map((o) => asString(asRecord(o)?.optionName)).filter((o): o is string => !!o)
    : [];
  return [name, ...options.map((o) => `- ${o}`)].join('\n');
}

/** Decrypted poll votes (2.3.7 `pollUpdates`): names of the options chosen, when present. */
function pollVoteText(pollUpdates: unknown): string | undefined {
  if (!Array.isArray(pollUpdates)) return undefined;
  const names: string[] = [];
  for (const u of pollUpdates) {
    const r = asRecord(u);
    const selected = Array.isArray(r?.selectedOptions) ? r.selectedOptions : r?.name !== undefined ? [r.name] : [];
    for (const s of selected) {
      const name = asString(s) ?? asString(asRecord(s)?.name);
      if (name) names.push(name);
    }
  }
  return names.length ? names.join(', ') : undefined;
}

function interactiveReply(type: string, node: Rec): string | undefined {
  switch (type) {
    case 'listResponseMessage':
      return asString(node.title) ?? asString(asRecord(node.singleSelectReply)?.selectedRowId);
    case 'buttonsResponseMessage':
      return asString(node.selectedDisplayText) ?? asString(node.selectedButtonId);
    case 'templateButtonReplyMessage':
      return asString(node.selectedDisplayText) ?? asString(node.selectedId);
    case 'interactiveResponseMessage': {
      const body = asString(asRecord(node.body)?.text);
      if (body) return body;
      const params = asString(asRecord(node.nativeFlowResponseMessage)?.paramsJson);
      if (!params) return undefined;
      try {
        const parsed = asRecord(JSON.parse(params));
        return asString(parsed?.id) ?? params;
      } catch {
        return params;
      }
    }
    default:
      return undefined;
  }
}

const REVOKE = new Set(['REVOKE', '0']);
const MESSAGE_EDIT = new Set(['MESSAGE_EDIT', '14']);

/** Canonical content of one Baileys message, or an `unsupported` description that can be shown as text. */
export function readContent(message: Rec, declaredType: string | undefined, ctx: ContentContext, pollUpdates?: unknown): ReadContent {
  const { message: inner, type } = unwrap(message, contentType(message, declaredType));
  if (!type) return { content: { type: 'unsupported', description: 'empty' } };
  const value = inner[type];
  const node = asRecord(value) ?? {};

  if (type === 'conversation') return { content: { type: 'text', text: asString(value) ?? '' } };
  if (type === 'extendedTextMessage') return { content: { type: 'text', text: asString(node.text) ?? '' }, node };

  const kind = MEDIA_KIND[type];
  if (kind) return { content: media(kind, type, node, ctx), node };

  switch (type) {
    case 'locationMessage':
    case 'liveLocationMessage': {
      const content: MessageContent = {
        type: 'location',
        latitude: asNumber(node.degreesLatitude) ?? 0,
        longitude: asNumber(node.degreesLongitude) ?? 0,
      };
      const name = asString(node.name);
      const address = asString(node.address);
      if (name) content.name = name;
      if (address) content.address = address;
      if (type === 'liveLocationMessage') content.live = true;
      return { content, node };
    }
    case 'contactMessage': {
      const card = contactCard(node);
      return { content: { type: 'contacts', contacts: card ? [card] : [] }, node };
    }
    case 'contactsArrayMessage': {
      const cards = (Array.isArray(node.contacts) ? node.contacts : [])
        .map((c) => contactCard(asRecord(c)))
        .filter((c): c is ContactCard => !!c);
      return { content: { type: 'contacts', contacts: cards }, node };
    }
    case 'reactionMessage': {
      const target = keyRef(asRecord(node.key), ctx.remoteJid);
      if (!target) return { content: { type: 'unsupported', description: type } };
      return { content: { type: 'reaction', target, emoji: asString(node.text) ?? '' } };
    }
    case 'protocolMessage': {
      const protocolType = asString(node.type) ?? '';
      const target = keyRef(asRecord(node.key), ctx.remoteJid);
      if (target && REVOKE.has(protocolType)) return { content: { type: 'delete', target } };
      if (target && MESSAGE_EDIT.has(protocolType)) {
        const edited = asRecord(node.editedMessage);
        const text = edited ? (textOf(edited) ?? captionOf(edited)) : undefined;
        return { content: { type: 'edit', target, text: text ?? '' } };
      }
      return { content: { type: 'unsupported', description: `protocolMessage:${protocolType}` } };
    }
    case 'pollCreationMessage':
    case 'pollCreationMessageV2':
    case 'pollCreationMessageV3':
      return { content: { type: 'unsupported', description: 'poll', text: pollText(node) }, node };
    case 'pollUpdateMessage': {
      const text = pollVoteText(pollUpdates);
      return {
        content: text ? { type: 'unsupported', description: 'poll_vote', text } : { type: 'unsupported', description: 'poll_vote' },
      };
    }
    default: {
      const text = interactiveReply(type, node);
      if (text !== undefined) return { content: { type: 'unsupported', description: type, text }, node };
      return { content: { type: 'unsupported', description: type }, node };
    }
  }
}

/** Caption of an edited media message (`imageMessage.caption`, …). */
export function captionOf(message: Rec): string | undefined {
  for (const key of Object.keys(message)) {
    const caption = asString(asRecord(message[key])?.caption);
    if (caption !== undefined) return caption;
  }
  return undefined;
}

/** Text of an edit payload, whichever of Evolution's shapes it came in. */
export function editedText(edited: Rec | undefined): string | undefined {
  if (!edited) return undefined;
  const inner = asRecord(edited.message) ?? edited;
  return textOf(inner) ?? captionOf(inner);
}

export { keyRef };
