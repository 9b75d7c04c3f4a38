// The wire shapes of Evolution API 2.3.7 as the simulator produces them: message ids in WhatsApp's
// formats, Baileys proto nodes with 2.3.x serialisation quirks (byte arrays as `{"0":..}` maps,
// protobuf Longs as `{low,high,unsigned}`), vCards, and the `prepareMessage` envelope.
import { createHash, createHmac, randomBytes } from 'node:crypto';

export type Rec = Record<string, unknown>;

const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();

/** Ids WhatsApp Web (and so Baileys/Evolution API sends) generates: `3EB0` + 18 hex. */
export const webMessageId = () => `3EB0${hex(9)}`;
/** Ids Android phones generate: 32 upper-case hex. */
export const phoneMessageId = () => hex(16);
/** Evolution's database ids (cuid-like) that appear as `messageId` in `messages.update`. */
export const dbId = () =>
  `cm${randomBytes(11)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')}`;

/** A Uint8Array as Evolution 2.3.x serialises it into JSON. */
export function byteMap(bytes: Uint8Array): Record<string, number> {
  const out: Record<string, number> = {};
  bytes.forEach((b, i) => {
    out[String(i)] = b;
  });
  return out;
}

/** A protobuf Long as it appears in 2.3.x JSON. */
export function long(value: number, unsigned = true): { low: number; high: number; unsigned: boolean } {
  const high = Math.floor(value / 2 ** 32);
  const low = value - high * 2 ** 32;
  return { low: low | 0, high, unsigned };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

const CDN_PATH = () => `/v/t62.7118-24/${Date.now()}_${hex(8)}_n.enc?ccb=11-4&oh=01_Q5Aa&oe=${hex(4)}&_nc_sid=5e03e0`;

export type SimMediaKind = 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker';

export const NODE_BY_KIND: Record<SimMediaKind, string> = {
  image: 'imageMessage',
  video: 'videoMessage',
  audio: 'audioMessage',
  voice: 'audioMessage',
  document: 'documentMessage',
  sticker: 'stickerMessage',
};

/** A media proto node (`imageMessage`, …) describing `data`, as WhatsApp would after upload. */
export function mediaNode(kind: SimMediaKind, data: Buffer, opts: { mimeType: string; caption?: string; fileName?: string }): Rec {
  const directPath = CDN_PATH();
  const node: Rec = {
    url: `https://mmg.whatsapp.net${directPath}&mms3=true`,
    mimetype: kind === 'voice' ? 'audio/ogg; codecs=opus' : opts.mimeType,
    fileSha256: byteMap(createHash('sha256').update(data).digest()),
    fileLength: long(data.length),
    mediaKey: byteMap(randomBytes(32)),
    fileEncSha256: byteMap(randomBytes(32)),
    directPath,
    mediaKeyTimestamp: long(nowSeconds(), false),
  };
  if (kind === 'image' || kind === 'video') Object.assign(node, { height: 1280, width: 960 });
  if (kind === 'video' || kind === 'audio' || kind === 'voice') node.seconds = Math.max(1, Math.round(data.length / 16000));
  if (kind === 'voice') Object.assign(node, { ptt: true, waveform: byteMap(randomBytes(16)) });
  if (kind === 'audio') node.ptt = false;
  if (kind === 'document') Object.assign(node, { fileName: opts.fileName ?? 'document', title: opts.fileName ?? 'document', pageCount: 1 });
  if (kind === 'sticker')
    Object.assign(node, { isAnimated: false, isAvatar: false, isAiSticker: false, isLottie: false, height: 64, width: 64 });
  if (opts.caption) node.caption = opts.caption;
  return node;
}

/** The vCard Evolution builds for `sendContact` (and phones send for contact cards). */
export function vcard(entry: {
  fullName: string;
  wuid?: string;
  phoneNumber: string;
  organization?: string;
  email?: string;
  url?: string;
}): string {
  const wuid = entry.wuid ?? entry.phoneNumber.replace(/\D+/g, '');
  const lines = ['BEGIN:VCARD', 'VERSION:3.0', `N:${entry.fullName}`, `FN:${entry.fullName}`];
  if (entry.organization) lines.push(`ORG:${entry.organization};`);
  if (entry.email) lines.push(`EMAIL:${entry.email}`);
  if (entry.url) lines.push(`URL:${entry.url}`);
  lines.push(`item1.TEL;waid=${wuid}:${entry.phoneNumber}`, 'item1.X-ABLabel:Celular', 'END:VCARD');
  return lines.join('\n');
}

/** Evolution's `prepareMessage` output: the `messages.upsert` / `send.message` data and send response. */
export function preparedMessage(input: {
  key: Rec;
  pushName: string;
  status: string;
  message: Rec;
  messageType: string;
  contextInfo?: Rec;
  instanceId: string;
  source: string;
  timestamp?: number;
}): Rec {
  const out: Rec = { key: input.key, pushName: input.pushName, status: input.status, message: input.message };
  if (input.contextInfo) out.contextInfo = input.contextInfo;
  out.messageType = input.messageType;
  out.messageTimestamp = input.timestamp ?? nowSeconds();
  out.instanceId = input.instanceId;
  out.source = input.source;
  return out;
}

/** The raw Baileys WAMessage (protobuf toJSON: Longs and enums as strings) of edits and revokes. */
export function protocolMessageResponse(remoteJid: string, target: Rec, type: 'REVOKE' | 'MESSAGE_EDIT', text?: string): Rec {
  const now = Date.now();
  const protocolMessage: Rec = { key: target, type };
  if (type === 'MESSAGE_EDIT') Object.assign(protocolMessage, { editedMessage: { conversation: text ?? '' }, timestampMs: String(now) });
  return {
    key: { remoteJid, fromMe: true, id: webMessageId() },
    message: { protocolMessage },
    messageTimestamp: String(Math.floor(now / 1000)),
    status: 'PENDING',
  };
}

/** A QR payload in WhatsApp's format: `2@<ref>,<noise key>,<identity key>,<adv secret>`. */
export const qrString = () =>
  `2@${randomBytes(48).toString('base64')},${randomBytes(32).toString('base64')},${randomBytes(32).toString('base64')},${randomBytes(16).toString('base64')}`;

/** WhatsApp pair codes: 8 characters from this alphabet (no I, O or U). */
export function pairCode(): string {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';
  return Array.from(randomBytes(8), (b) => alphabet[b % alphabet.length]).join('');
}

/** An HS256 JWT as Evolution signs webhook calls when a `jwt_key` header is configured. */
export function webhookJwt(secret: string): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const unsigned = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ iat, exp: iat + 600, app: 'evolution', action: 'webhook' })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
