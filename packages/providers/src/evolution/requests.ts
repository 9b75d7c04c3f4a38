// SendCommand → the Evolution endpoint and body that carry it (v2.3.7 DTOs and JSON schemas).
import type { MediaSource, MessageKeyRef, SendCommand } from '@whatpro/domain';
import { isLidJid } from '@whatpro/domain';
import { displayPhone, toEvolutionNumber, toRemoteJid } from './identity.ts';

export interface EvolutionRequest {
  method: 'POST' | 'DELETE';
  /** Path without the instance segment, e.g. `/message/sendText`. */
  path: string;
  body: Record<string, unknown>;
}

const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'application/zip': 'zip',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'video/mp4': 'mp4',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
};

/** Evolution wants raw base64 (no data-URI prefix) or a URL in the same string field. */
function mediaField(source: MediaSource): string {
  if ('url' in source) return source.url;
  return source.base64.replace(/^data:[^;,]*(;[^,]*)?,/, '');
}

/** Options every message endpoint shares (`Metadata` in Evolution's DTOs). */
function metadata(command: SendCommand): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (command.delayMs !== undefined && command.delayMs > 0) out.delay = Math.round(command.delayMs);
  // Evolution reloads the quoted message from its database by id, so the id is all it needs.
  if (command.replyTo) out.quoted = { key: { id: command.replyTo.id } };
  return out;
}

/** The message key Evolution passes to Baileys as-is (reactions, edits, deletes, read receipts). */
export function messageKey(target: MessageKeyRef, to: string, defaultFromMe: boolean): Record<string, unknown> {
  const key: Record<string, unknown> = {
    remoteJid: target.chatJid ?? toRemoteJid(to),
    fromMe: target.fromMe ?? defaultFromMe,
    id: target.id,
  };
  if (target.participant) key.participant = target.participant;
  return key;
}

/** A read receipt key: 2.3.x silently skips `@lid` keys, so the phone JID wins when both are known. */
export function readKey(message: MessageKeyRef, chat: string): Record<string, unknown> {
  const chatJid = toRemoteJid(chat);
  const remoteJid = message.chatJid && !(isLidJid(message.chatJid) && !isLidJid(chatJid)) ? message.chatJid : chatJid;
  return { remoteJid, fromMe: message.fromMe ?? false, id: message.id };
}

export function sendRequest(command: SendCommand): EvolutionRequest {
  const number = toEvolutionNumber(command.to);
  switch (command.type) {
    case 'text': {
      const body: Record<string, unknown> = { number, text: command.text, ...metadata(command) };
      if (command.linkPreview !== undefined) body.linkPreview = command.linkPreview;
      // The schema requires at least one item when `mentioned` is present.
      if (command.mentions?.length) body.mentioned = command.mentions.map(toEvolutionNumber);
      return { method: 'POST', path: '/message/sendText', body };
    }
    case 'voice':
      // sendWhatsAppAudio converts to OGG/Opus and sends a push-to-talk voice note.
      return {
        method: 'POST',
        path: '/message/sendWhatsAppAudio',
        body: { number, audio: mediaField(command.source), ...metadata(command), encoding: true },
      };
    case 'sticker':
      return { method: 'POST', path: '/message/sendSticker', body: { number, sticker: mediaField(command.source), ...metadata(command) } };
    case 'image':
    case 'video':
    case 'document':
    case 'audio': {
      const body: Record<string, unknown> = { number, mediatype: command.type };
      const mimeType = command.mimeType ?? ('mimeType' in command.source ? command.source.mimeType : undefined);
      if (mimeType) body.mimetype = mimeType;
      if (command.caption) body.caption = command.caption;
      body.media = mediaField(command.source);
      let fileName = command.fileName;
      // Evolution needs a file name for base64 documents; it also derives the mimetype from it.
      if (!fileName && command.type === 'document' && 'base64' in command.source) {
        fileName = `document.${EXTENSIONS[mimeType?.split(';')[0]?.trim() ?? ''] ?? 'bin'}`;
      }
      if (fileName) body.fileName = fileName;
      return { method: 'POST', path: '/message/sendMedia', body: { ...body, ...metadata(command) } };
    }
    case 'location':
      // name and address are required by the schema, even when empty.
      return {
        method: 'POST',
        path: '/message/sendLocation',
        body: {
          number,
          latitude: command.latitude,
          longitude: command.longitude,
          name: command.name ?? '',
          address: command.address ?? '',
          ...metadata(command),
        },
      };
    case 'contact': {
      // One vCard entry per phone: Evolution's entries carry a single number each.
      const contact = command.phones.map((phone) => {
        const entry: Record<string, unknown> = {
          fullName: command.name,
          wuid: phone.replace(/\D+/g, ''),
          phoneNumber: displayPhone(phone),
        };
        if (command.organization) entry.organization = command.organization;
        if (command.email) entry.email = command.email;
        return entry;
      });
      return { method: 'POST', path: '/message/sendContact', body: { number, contact, ...metadata(command) } };
    }
    case 'reaction':
      return {
        method: 'POST',
        path: '/message/sendReaction',
        body: { key: messageKey(command.target, command.to, false), reaction: command.emoji },
      };
    case 'edit':
      return {
        method: 'POST',
        path: '/chat/updateMessage',
        body: { number, text: command.text, key: messageKey({ ...command.target, participant: undefined }, command.to, true) },
      };
    case 'delete':
      return { method: 'DELETE', path: '/chat/deleteMessageForEveryone', body: messageKey(command.target, command.to, true) };
  }
}
