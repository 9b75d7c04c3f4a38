// A fake Uazapi GO server: a real HTTP server with the endpoints the adapter calls, the real request
// and response shapes, instance state (QR rotating while connecting, pair code, connecting → connected
// → disconnected) and webhooks in the real flat format, delivered to the configured URL with retries.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import QRCode from 'qrcode';
import type { FailureRule, InboundMessageInput, ProviderSimulator, RecordedRequest, SentMessage, SimulatorOptions } from '../types.ts';
import {
  apiMessageId,
  chatObject,
  formatPhone,
  hex,
  instanceId,
  instanceObject,
  lidFor,
  messageObject,
  phoneMessageId,
  type SimInstance,
  uazDate,
  type WebhookConfig,
} from './payloads.ts';

export interface UazapiSimulatorOptions extends SimulatorOptions {
  /** Delivery attempts per webhook (real servers retry; captured errors show `attempts: 3`). */
  webhookAttempts?: number;
  webhookRetryDelayMs?: number;
  /** Demo: the contact's phone acknowledges API sends (delivered, then read) after this long. */
  autoAckMs?: number;
  /** Bodies above this size are refused with 413 `File size exceeds limit`. */
  maxMediaBytes?: number;
  /** Address advertised as `BaseUrl` and in file links (default: the listening address). */
  publicUrl?: string;
}

export interface UazapiSimulator extends ProviderSimulator {
  readonly kind: 'uazapi';
  /** The instance's current webhook configuration, as `GET /webhook` would answer. */
  webhooks(instance: string): WebhookConfig[];
  /** Resolves once every webhook queued so far (e.g. echoes of API sends) was delivered or given up. */
  settled(instance?: string): Promise<void>;
  /** Raw state for assertions: status, QR, pair code, owner. */
  state(instance: string): { status: string; qrcode: string; paircode: string; owner: string; name: string } | undefined;
}

interface StoredMessage {
  instance: string;
  messageid: string;
  chatid: string;
  chatlid: string;
  fromMe: boolean;
  isGroup: boolean;
  sender: { pn: string; lid: string };
  text: string;
  trackSource: string;
  trackId: string;
  media?: { data: Buffer; mimetype: string; fileName?: string; kind: string };
  at: number;
}

type Json = Record<string, unknown>;
type Reply = { status: number; body: unknown; headers?: Record<string, string> };

class HttpReply extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'object' && body ? String((body as Json).error) : String(body));
  }
}
const fail = (status: number, error: string): never => {
  throw new HttpReply(status, { error });
};

const WEBHOOK_EVENTS = new Set([
  'connection',
  'history',
  'messages',
  'messages_update',
  'newsletter_messages',
  'call',
  'contacts',
  'presence',
  'groups',
  'labels',
  'chats',
  'chat_labels',
  'blocks',
  'sender',
]);
const EXCLUDE_FILTERS = new Set(['wasSentByApi', 'wasNotSentByApi', 'fromMeYes', 'fromMeNo', 'isGroupYes', 'isGroupNo', 'IsGroupNo']);
const MEDIA_TYPES = new Set(['image', 'video', 'document', 'audio', 'myaudio', 'ptt', 'ptv', 'sticker']);
const SENT_TYPE: Record<string, string> = {
  image: 'image',
  video: 'video',
  ptv: 'video',
  document: 'document',
  audio: 'audio',
  myaudio: 'voice',
  ptt: 'voice',
  sticker: 'sticker',
};
const MESSAGE_TYPE: Record<string, string> = {
  image: 'ImageMessage',
  video: 'VideoMessage',
  ptv: 'PtvMessage',
  document: 'DocumentMessage',
  audio: 'AudioMessage',
  myaudio: 'AudioMessage',
  ptt: 'AudioMessage',
  voice: 'AudioMessage',
  sticker: 'StickerMessage',
};
const INBOUND_MEDIA_TYPE: Record<string, string> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  voice: 'ptt',
  document: 'document',
  sticker: 'user_created_sticker',
};
const GUESSED_MIME: Record<string, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  ptv: 'video/mp4',
  document: 'application/octet-stream',
  audio: 'audio/mpeg',
  myaudio: 'audio/ogg; codecs=opus',
  ptt: 'audio/ogg; codecs=opus',
  sticker: 'image/webp',
};

const digits = (s: string) => s.replace(/\D+/g, '');
const isStr = (v: unknown): v is string => typeof v === 'string';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `number` as the server accepts it: digits (10–15) or a full JID. */
function chatJidOf(number: unknown): string {
  if (!isStr(number) || number.trim() === '') fail(400, 'Missing number');
  const n = (number as string).trim();
  if (n.includes('@')) {
    if (!/^[\w.:-]+@(s\.whatsapp\.net|g\.us|lid|newsletter)$/.test(n)) fail(400, 'Invalid number');
    return n.replace(/:\d+@/, '@');
  }
  const d = digits(n);
  if (d.length < 10 || d.length > 15 || d !== n.replace(/^\+/, '')) fail(400, 'Invalid number');
  return `${d}@s.whatsapp.net`;
}

function decodeBase64File(file: string): Buffer | undefined {
  const raw = file.replace(/^data:[^,]*;base64,/, '');
  if (!/^[A-Za-z0-9+/=\s]+$/.test(raw)) return undefined;
  const data = Buffer.from(raw, 'base64');
  return data.length ? data : undefined;
}

export class UazapiSimulatorServer implements UazapiSimulator {
  readonly kind = 'uazapi' as const;
  readonly adminToken: string;
  baseUrl = '';
  private readonly server: http.Server;
  private latencyMs: number;
  private errorRate: number;
  private failures: (FailureRule & { left: number })[] = [];
  private readonly recorded: RecordedRequest[] = [];
  private readonly sentLog: SentMessage[] = [];
  private readonly deliveryLog: { instance: string; body: unknown; status: number; at: number }[] = [];
  private readonly webhookErrors = new Map<string, Json[]>();
  private readonly instances: SimInstance[] = [];
  private readonly messages = new Map<string, StoredMessage>();
  private readonly files = new Map<string, { data: Buffer; mimetype: string }>();
  private readonly contactNames = new Map<string, string>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly globalTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly opts: UazapiSimulatorOptions = {}) {
    this.adminToken = opts.adminToken ?? `admin-${randomBytes(12).toString('hex')}`;
    this.latencyMs = opts.latencyMs ?? 0;
    this.errorRate = opts.errorRate ?? 0;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed)
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
      });
    });
  }

  async start(): Promise<this> {
    this.server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1');
    await once(this.server, 'listening');
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = (this.opts.publicUrl ?? `http://${this.opts.host ?? '127.0.0.1'}:${port}`).replace(/\/+$/, '');
    return this;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const inst of this.instances) this.clearTimers(inst);
    for (const t of this.globalTimers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ----- control: faults and recordings --------------------------------------------------------------

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }
  setErrorRate(rate: number): void {
    this.errorRate = rate;
  }
  fail(rule: FailureRule): void {
    this.failures.push({ ...rule, left: rule.times ?? 1 });
  }
  clearFailures(): void {
    this.failures = [];
  }
  requests(filter: { path?: string | RegExp; method?: string } = {}): RecordedRequest[] {
    return this.recorded.filter((r) => matches(filter.path, r.path) && (!filter.method || filter.method.toUpperCase() === r.method));
  }
  sent(instance?: string): SentMessage[] {
    return instance === undefined ? [...this.sentLog] : this.sentLog.filter((s) => s.instance === instance);
  }
  deliveries(): { instance: string; body: unknown; status: number; at: number }[] {
    return [...this.deliveryLog];
  }
  reset(): void {
    this.recorded.length = 0;
    this.sentLog.length = 0;
    this.deliveryLog.length = 0;
    this.webhookErrors.clear();
    this.failures = [];
    this.latencyMs = this.opts.latencyMs ?? 0;
    this.errorRate = this.opts.errorRate ?? 0;
  }

  // ----- control: instance state ---------------------------------------------------------------------

  private find(instance: string): SimInstance | undefined {
    return (
      this.instances.find((i) => i.name === instance) ??
      this.instances.find((i) => i.token === instance) ??
      this.instances.find((i) => i.id === instance)
    );
  }
  private must(instance: string): SimInstance {
    const inst = this.find(instance);
    if (!inst) throw new Error(`uazapi simulator: no instance ${instance}`);
    return inst;
  }
  instanceToken(instance: string): string | undefined {
    return this.find(instance)?.token;
  }
  webhooks(instance: string): WebhookConfig[] {
    return (this.find(instance)?.webhooks ?? []).map((w) => ({ ...w }));
  }
  state(instance: string) {
    const i = this.find(instance);
    return i && { status: i.status, qrcode: i.qrcode, paircode: i.paircode, owner: i.owner, name: i.name };
  }

  async completePairing(instance: string, phone?: string): Promise<void> {
    const inst = this.must(instance);
    // A kept session reconnects on its own: pairing what is already paired is a no-op.
    if (inst.status === 'connected' && (!phone || digits(phone) === inst.owner)) return;
    if (inst.status !== 'connecting') throw new Error(`uazapi simulator: ${inst.name} is ${inst.status}, not connecting`);
    this.pair(inst, phone ? digits(phone) : `55119${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`);
    await this.flush(inst);
  }

  async dropConnection(instance: string, loggedOut = false): Promise<void> {
    const inst = this.must(instance);
    this.clearTimers(inst);
    inst.status = 'disconnected';
    inst.qrcode = '';
    inst.paircode = '';
    inst.lastDisconnect = Date.now();
    inst.session = !loggedOut;
    inst.lastDisconnectReason = loggedOut ? '401: logged out from another device' : 'connection closed: stream error';
    this.emitConnection(
      inst,
      {
        lastDisconnect: uazDate(inst.lastDisconnect),
        lastDisconnectReason: inst.lastDisconnectReason,
        name: inst.name,
        status: 'disconnected',
      },
      loggedOut ? { type: 'LoggedOut' } : {},
    );
    await this.flush(inst);
  }

  // ----- control: the phone side -----------------------------------------------------------------------

  /** The person behind an address: phone JID (when known), LID, and the name we know them by. */
  private person(address: string, lid?: string): { pn: string; lid: string; phone: string } {
    const a = address.trim();
    if (a.endsWith('@lid')) return { pn: '', lid: a, phone: '' };
    const phone = digits(a.includes('@') ? (a.split('@')[0] ?? '').split(':')[0]! : a);
    return { pn: `${phone}@s.whatsapp.net`, lid: lid ?? lidFor(phone), phone };
  }

  async receive(instance: string, input: InboundMessageInput): Promise<string> {
    const inst = this.must(instance);
    if (inst.status !== 'connected') throw new Error(`uazapi simulator: ${inst.name} is not connected`);
    const now = Date.now();
    const isGroup = input.from.endsWith('@g.us');
    if (isGroup && !input.participant) throw new Error('uazapi simulator: a group message needs a participant');
    const peer = isGroup ? undefined : this.person(input.from, input.lid);
    const author = isGroup ? this.person(input.participant as string, input.lid) : (peer as { pn: string; lid: string; phone: string });
    const chatid = isGroup ? input.from : author.pn || author.lid;
    const chatlid = isGroup ? '' : author.lid;
    const fromMe = input.fromMe === true;
    const owner = { pn: `${inst.owner}@s.whatsapp.net`, lid: inst.ownerLid };
    const sender = fromMe ? owner : author;
    const pushName = input.pushName ?? (author.phone ? this.contactNames.get(author.phone) : undefined) ?? 'Contato Simulado';
    if (author.phone && input.pushName) this.contactNames.set(author.phone, input.pushName);
    const senderName = fromMe ? inst.profileName : pushName;

    if (input.deleteOf) {
      const target = this.messages.get(input.deleteOf);
      this.emitRevoke(inst, target?.chatid ?? chatid, input.deleteOf, fromMe, sender, now);
      await this.flush(inst);
      return input.deleteOf;
    }

    const messageid = input.messageId ?? phoneMessageId();
    const quoted = input.replyToId ? this.messages.get(input.replyToId) : undefined;
    const contextInfo: Json = { expiration: 0, disappearingMode: { initiator: 0, trigger: 0 } };
    if (input.replyToId) {
      contextInfo.stanzaID = input.replyToId;
      contextInfo.participant = quoted ? quoted.sender.lid : owner.lid;
      contextInfo.quotedMessage = { conversation: quoted?.text ?? '' };
    }
    let fields: Json;
    let media: StoredMessage['media'];
    let textValue = '';
    if (input.media) {
      const m = input.media;
      const kind = m.kind;
      const mediaKey = randomBytes(32).toString('base64');
      const path = `/v/t62.7118-24/${hex(8)}_n.enc?ccb=11-4&oh=01_${hex(12)}&oe=69A9D30D&_nc_sid=5e03e0`;
      const content: Json = {
        URL: `https://mmg.whatsapp.net${path}&mms3=true`,
        mimetype: m.mimeType,
        fileSHA256: createHash('sha256').update(m.data).digest('base64'),
        fileLength: m.data.length,
        mediaKey,
        fileEncSHA256: createHash('sha256').update(mediaKey).digest('base64'),
        directPath: path,
        mediaKeyTimestamp: Math.floor(now / 1000),
        contextInfo,
      };
      if (kind === 'document') content.fileName = m.fileName ?? 'arquivo';
      if (m.caption) content.caption = m.caption;
      if (kind === 'audio' || kind === 'voice') {
        content.seconds = 3;
        content.PTT = kind === 'voice';
      }
      if (kind === 'image' || kind === 'video' || kind === 'sticker') Object.assign(content, { width: 640, height: 480 });
      if (kind === 'video') content.seconds = 4;
      textValue = m.caption ?? '';
      media = { data: m.data, mimetype: m.mimeType, fileName: m.fileName, kind };
      fields = { messageType: MESSAGE_TYPE[kind], mediaType: INBOUND_MEDIA_TYPE[kind], type: 'media', content, text: textValue };
    } else if (input.location) {
      const l = input.location;
      const content: Json = { degreesLatitude: l.latitude, degreesLongitude: l.longitude, contextInfo };
      if (l.name) content.name = l.name;
      fields = { messageType: 'LocationMessage', mediaType: 'location', type: 'media', content, text: '' };
    } else if (input.contact) {
      const c = input.contact;
      const d = digits(c.phone);
      const vcard = `BEGIN:VCARD\nVERSION:3.0\nN:;${c.name};;;\nFN:${c.name}\nitem1.TEL;waid=${d}:${formatPhone(d)}\nitem1.X-ABLabel:Celular\nEND:VCARD`;
      textValue = `${c.name}\nPhone (Celular): ${formatPhone(d)}`;
      fields = {
        messageType: 'ContactMessage',
        mediaType: 'vcard',
        type: 'media',
        content: { displayName: c.name, vcard, contextInfo },
        text: textValue,
      };
    } else if (input.reaction) {
      const target = this.messages.get(input.reaction.targetId);
      const content = {
        key: { remoteJID: fromMe ? author.lid : owner.lid, fromMe: target ? target.fromMe !== fromMe : false, ID: input.reaction.targetId },
        text: input.reaction.emoji,
        senderTimestampMS: now,
      };
      textValue = input.reaction.emoji;
      fields = { messageType: 'ReactionMessage', type: 'reaction', reaction: input.reaction.targetId, content, text: textValue };
    } else if (input.edit) {
      textValue = input.edit.text;
      fields = {
        messageType: 'ExtendedTextMessage',
        type: 'text',
        edited: input.edit.targetId,
        content: { text: textValue, previewType: 0, contextInfo },
        text: textValue,
      };
    } else {
      textValue = input.text ?? '';
      // Phones send plain texts as ExtendedTextMessage; WhatsApp Web/iOS own sends come as Conversation
      // with a string `content` (both captured).
      fields =
        fromMe && !input.replyToId
          ? { messageType: 'Conversation', type: 'text', content: textValue, text: textValue }
          : {
              messageType: 'ExtendedTextMessage',
              type: 'text',
              content: { text: textValue, previewType: 0, contextInfo },
              text: textValue,
            };
    }
    if (input.replyToId) fields.quoted = input.replyToId;

    const message = messageObject({
      ...fields,
      chatid,
      chatlid,
      fromMe,
      groupName: isGroup ? 'Grupo Simulado' : 'Unknown',
      id: `${inst.owner}:${messageid}`,
      isGroup,
      messageTimestamp: now,
      messageid,
      owner: inst.owner,
      sender: sender.lid,
      senderName,
      sender_lid: sender.lid,
      sender_pn: sender.pn,
      source: 'android',
    });
    this.store({
      instance: inst.name,
      messageid,
      chatid,
      chatlid,
      fromMe,
      isGroup,
      sender,
      text: textValue,
      trackSource: '',
      trackId: '',
      media,
      at: now,
    });
    this.emitMessage(inst, message, {
      owner: inst.owner,
      chatid,
      chatlid,
      isGroup,
      name: isGroup ? 'Grupo Simulado' : pushName,
      phone: isGroup ? '' : formatPhone(author.phone),
      at: now,
      type: String(fields.messageType),
      text: textValue,
      sender: sender.lid,
    });
    await this.flush(inst);
    return messageid;
  }

  async ack(instance: string, messageId: string, status: 'delivered' | 'read' | 'played'): Promise<void> {
    const inst = this.must(instance);
    const msg = this.messages.get(messageId);
    if (!msg) throw new Error(`uazapi simulator: unknown message ${messageId}`);
    this.emitReceipt(inst, msg, status);
    await this.flush(inst);
  }

  /** A delete for everyone arrives as a `Deleted` update naming the revoked id (uazapi.md §d.4). */
  private emitRevoke(
    inst: SimInstance,
    chat: string,
    messageId: string,
    fromMe: boolean,
    sender: { pn: string; lid: string },
    at: number,
  ): void {
    this.emit(inst, 'messages_update', {
      event: {
        Chat: chat,
        IsFromMe: fromMe,
        MessageIDs: [messageId],
        Sender: sender.lid,
        Timestamp: Math.floor(at / 1000),
        Type: 'Deleted',
        sender_lid: sender.lid,
        sender_pn: sender.pn,
      },
      state: 'Deleted',
      type: 'DeletedMessage',
    });
  }

  private emitReceipt(inst: SimInstance, msg: StoredMessage, status: 'delivered' | 'read' | 'played'): void {
    const peer = msg.isGroup ? undefined : this.person(msg.chatid, msg.chatlid || undefined);
    const state = status === 'delivered' ? 'Delivered' : status === 'read' ? 'Read' : 'Played';
    this.emit(inst, 'messages_update', {
      event: {
        Chat: msg.chatid,
        IsFromMe: false,
        IsGroup: msg.isGroup,
        MessageIDs: [msg.messageid],
        Sender: peer?.lid ?? msg.chatid,
        Timestamp: Math.floor(Date.now() / 1000),
        Type: state,
        sender_lid: peer?.lid ?? '',
        sender_pn: peer?.pn ?? '',
      },
      state,
      type: 'ReadReceipt',
    });
  }

  async typing(instance: string, from: string, state: 'composing' | 'recording' | 'paused'): Promise<void> {
    const inst = this.must(instance);
    const p = this.person(from);
    this.emit(inst, 'presence', {
      event: {
        Chat: p.pn || p.lid,
        Sender: p.pn || p.lid,
        IsFromMe: false,
        IsGroup: false,
        // whatsmeow reports recording as `composing` with an audio media hint.
        State: state === 'paused' ? 'paused' : 'composing',
        Media: state === 'recording' ? 'audio' : '',
        sender_lid: p.lid,
        sender_pn: p.pn,
      },
      type: 'ChatPresence',
    });
    await this.flush(inst);
  }

  async deliverRaw(instance: string, body: unknown): Promise<{ status: number; body: string }> {
    const inst = this.must(instance);
    const hook = inst.webhooks.find((w) => w.enabled);
    if (!hook) throw new Error(`uazapi simulator: ${inst.name} has no enabled webhook`);
    return this.post(inst, hook.url, body);
  }

  // ----- webhooks --------------------------------------------------------------------------------------

  private envelope(inst: SimInstance, eventType: string, rest: Json): Json {
    return {
      BaseUrl: this.baseUrl,
      EventType: eventType,
      ...rest,
      event_id: randomUUID(),
      instanceName: inst.name,
      owner: inst.owner,
      token: inst.token,
    };
  }

  private emitConnection(inst: SimInstance, instanceFields: Json, extra: Json = {}): void {
    this.emit(inst, 'connection', { instance: instanceFields, ...extra });
  }

  private emitMessage(inst: SimInstance, message: Json, chat: Parameters<typeof chatObject>[0]): void {
    this.emit(inst, 'messages', { chat: chatObject(chat), chatSource: 'updated', message }, message);
  }

  /** Queues a webhook for every matching config; deliveries of one instance stay in order. */
  private emit(inst: SimInstance, eventType: string, rest: Json, message?: Json): void {
    const body = this.envelope(inst, eventType, rest);
    for (const hook of inst.webhooks) {
      if (!hook.enabled || !hook.events.includes(eventType)) continue;
      if (message && excluded(hook.excludeMessages, message)) continue;
      let url = hook.url.replace(/\/+$/, '');
      if (hook.addUrlEvents) url += `/${eventType}`;
      if (hook.addUrlTypesMessages && message) url += `/${String(message.messageType)}`;
      const prev = this.queues.get(inst.token) ?? Promise.resolve();
      const next = prev.then(() => this.deliver(inst, url, body, eventType, message));
      this.queues.set(inst.token, next);
    }
  }

  async settled(instance?: string): Promise<void> {
    const targets = instance === undefined ? this.instances : [this.must(instance)];
    await Promise.all(targets.map((i) => this.flush(i)));
  }

  private async flush(inst: SimInstance): Promise<void> {
    await (this.queues.get(inst.token) ?? Promise.resolve());
  }

  private async post(inst: SimInstance, url: string, body: unknown): Promise<{ status: number; body: string }> {
    let status = 0;
    let text = '';
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      status = res.status;
      text = await res.text();
    } catch (error) {
      text = String((error as Error).message);
    }
    this.deliveryLog.push({ instance: inst.name, body, status, at: Date.now() });
    return { status, body: text };
  }

  private async deliver(inst: SimInstance, url: string, body: Json, eventType: string, message?: Json): Promise<void> {
    const attempts = this.opts.webhookAttempts ?? 3;
    let last = { status: 0, body: '' };
    for (let attempt = 1; attempt <= attempts && !this.closed; attempt++) {
      last = await this.post(inst, url, body);
      if (last.status >= 200 && last.status < 300) return;
      if (attempt < attempts) await sleep((this.opts.webhookRetryDelayMs ?? 100) * attempt);
    }
    const errors = this.webhookErrors.get(inst.token) ?? [];
    errors.push({
      created: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      url,
      type: 'local',
      event: eventType,
      message_type: message ? String(message.messageType) : '',
      status_code: last.status,
      attempts,
      error: last.status ? `webhook returned non-success status: ${last.status}` : last.body,
      payload: body,
    });
    this.webhookErrors.set(inst.token, errors.slice(-20));
  }

  // ----- instance state transitions -------------------------------------------------------------------

  private timer(inst: SimInstance | undefined, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      inst?.timers.delete(t);
      this.globalTimers.delete(t);
      if (!this.closed) fn();
    }, ms);
    t.unref();
    if (inst) inst.timers.add(t);
    else this.globalTimers.add(t);
  }

  private clearTimers(inst: SimInstance): void {
    for (const t of inst.timers) clearTimeout(t);
    inst.timers.clear();
  }

  /** A real, scannable QR of the shape WhatsApp Web shows (`2@ref,noiseKey,identityKey,advSecret`). */
  private async rotateQr(inst: SimInstance): Promise<void> {
    inst.qrSeq += 1;
    const b64 = (n: number) => randomBytes(n).toString('base64');
    inst.qrcode = await QRCode.toDataURL(`2@${b64(24)},${b64(32)},${b64(32)},${b64(32)}`, { margin: 2, width: 264 });
    inst.updated = Date.now();
  }

  private async startConnecting(inst: SimInstance, phone: string | undefined): Promise<void> {
    inst.status = 'connecting';
    inst.lastDisconnectReason = '';
    if (phone) {
      inst.qrcode = '';
      inst.paircode = `${hex(2)}-${hex(2)}`;
      this.timer(inst, 5 * 60_000, () => this.expire(inst, 'pair code timeout'));
    } else {
      inst.paircode = '';
      await this.rotateQr(inst);
      // The QR rotates about every 20 s; only the first one is pushed on the webhook (uazapi.md §b).
      const rotate = () => {
        if (inst.status !== 'connecting' || inst.paircode) return;
        void this.rotateQr(inst).then(() => this.timer(inst, this.opts.qrRotateMs ?? 20_000, rotate));
      };
      this.timer(inst, this.opts.qrRotateMs ?? 20_000, rotate);
      this.timer(inst, 2 * 60_000, () => this.expire(inst, 'QR code timeout'));
    }
    this.emitConnection(inst, { name: inst.name, qrcode: inst.qrcode, paircode: inst.paircode, status: 'connecting' });
    if (this.opts.autoConnectMs !== undefined) {
      this.timer(inst, this.opts.autoConnectMs, () => {
        if (inst.status === 'connecting') this.pair(inst, inst.owner || `55119${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`);
      });
    }
  }

  private expire(inst: SimInstance, reason: string): void {
    if (inst.status !== 'connecting') return;
    this.clearTimers(inst);
    inst.status = 'disconnected';
    inst.qrcode = '';
    inst.paircode = '';
    inst.lastDisconnect = Date.now();
    inst.lastDisconnectReason = reason;
    this.emitConnection(inst, { name: inst.name, status: 'disconnected', lastDisconnectReason: reason });
  }

  private pair(inst: SimInstance, phoneDigits: string): void {
    this.clearTimers(inst);
    inst.status = 'connected';
    inst.qrcode = '';
    inst.paircode = '';
    inst.owner = phoneDigits;
    inst.ownerLid = lidFor(phoneDigits);
    inst.profileName = inst.profileName || 'WhatPro Simulado';
    inst.session = true;
    inst.lastDisconnectReason = '';
    inst.device = 1 + Math.floor(Math.random() * 60);
    inst.updated = Date.now();
    this.emitConnection(inst, { name: inst.name, status: 'connected' });
  }

  private store(msg: StoredMessage): void {
    this.messages.set(msg.messageid, msg);
  }

  // ----- HTTP ------------------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    let badJson = false;
    if (rawBody) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        badJson = true;
        body = rawBody;
      }
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    this.recorded.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body, at: Date.now() });

    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const rule = this.failures.find((f) => f.left > 0 && matches(f.path, url.pathname) && (!f.method || f.method.toUpperCase() === method));
    if (rule) {
      rule.left -= 1;
      this.failures = this.failures.filter((f) => f.left > 0);
      if (rule.delayMs) await sleep(rule.delayMs);
      if (rule.reset) {
        req.socket.destroy();
        return;
      }
      if (rule.hang) return; // the client gives up; close() drops the socket
      if (rule.status) {
        const text = http.STATUS_CODES[rule.status] ?? 'error';
        return send(res, { status: rule.status, body: rule.body ?? { error: text }, headers: rule.headers });
      }
    }
    if (this.errorRate > 0 && Math.random() < this.errorRate) return send(res, { status: 500, body: { error: 'Internal server error' } });

    let reply: Reply;
    try {
      if (badJson) fail(400, 'Invalid JSON body');
      reply = await this.route(method, url, headers, (body ?? {}) as Json);
    } catch (error) {
      if (!(error instanceof HttpReply)) throw error;
      reply = { status: error.status, body: error.body };
    }
    send(res, reply);
  }

  private async route(method: string, url: URL, headers: Record<string, string>, body: Json): Promise<Reply> {
    const path = url.pathname;
    const ok = (b: unknown): Reply => ({ status: 200, body: b });
    if (method === 'GET' && path.startsWith('/files/')) {
      const file = this.files.get(path.slice('/files/'.length));
      if (!file) fail(404, 'File not found');
      return { status: 200, body: file?.data, headers: { 'content-type': file?.mimetype ?? 'application/octet-stream' } };
    }
    // Server-level routes take the admin token.
    if (
      (method === 'POST' && (path === '/instance/create' || path === '/instance/init')) ||
      (method === 'GET' && path === '/instance/all')
    ) {
      if (!headers.admintoken) fail(401, 'Missing AdminToken Header');
      if (headers.admintoken !== this.adminToken) fail(401, 'Invalid AdminToken Header');
      return path === '/instance/all' ? ok(this.instances.map((i) => instanceObject(i, Date.now()))) : ok(this.create(body));
    }
    // Routes the docs describe but the captured build does not have (uazapi.md §b).
    if (path === '/instance/logout' || path === '/instance/remove' || (method === 'DELETE' && /^\/instance\/.+/.test(path))) {
      return { status: 405, body: { error: 'Method Not Allowed' } };
    }
    const handler = this.routes[`${method} ${path}`];
    if (!handler) return { status: 404, body: '404 page not found', headers: { 'content-type': 'text/plain; charset=utf-8' } };
    if (!headers.token) fail(401, 'missing token');
    const inst = this.instances.find((i) => i.token === headers.token);
    if (!inst) return fail(401, 'Invalid token');
    return ok(await handler(inst as SimInstance, body, url));
  }

  private create(body: Json): Json {
    if (!isStr(body.name) || body.name.trim() === '') fail(400, 'Missing name');
    const now = Date.now();
    const inst: SimInstance = {
      id: instanceId(),
      token: randomUUID(),
      name: body.name as string,
      systemName: isStr(body.systemName) ? body.systemName : 'uazapiGO',
      status: 'disconnected',
      qrcode: '',
      paircode: '',
      owner: '',
      ownerLid: '',
      profileName: '',
      session: false,
      currentPresence: 'available',
      created: now,
      updated: now,
      lastDisconnect: undefined,
      lastDisconnectReason: '',
      webhooks: [],
      timers: new Set(),
      qrSeq: 0,
      device: 0,
    };
    this.instances.push(inst);
    return {
      response: 'Instance created successfully',
      instance: instanceObject(inst, now),
      connected: false,
      loggedIn: false,
      name: inst.name,
      token: inst.token,
      info: 'This instance will be automatically disconnected and deleted after 1 hour.',
    };
  }

  private statusOf(inst: SimInstance): Json {
    const connected = inst.status === 'connected';
    return {
      instance: instanceObject(inst, Date.now()),
      status: { connected, jid: connected ? `${inst.owner}:${inst.device}@s.whatsapp.net` : null, loggedIn: connected, resetting: false },
    };
  }

  private connectAnswer(inst: SimInstance): Json {
    const connected = inst.status === 'connected';
    return {
      connected,
      loggedIn: connected,
      jid: connected ? `${inst.owner}:${inst.device}@s.whatsapp.net` : null,
      instance: instanceObject(inst, Date.now()),
    };
  }

  private requireConnected(inst: SimInstance): void {
    if (inst.status !== 'connected') fail(500, 'No session');
  }

  private readonly routes: Record<string, (inst: SimInstance, body: Json, url: URL) => unknown | Promise<unknown>> = {
    'POST /instance/connect': async (inst, body) => {
      const phone = body.phone;
      if (phone !== undefined && (!isStr(phone) || !/^\d{10,15}$/.test(phone))) fail(400, 'Invalid phone number');
      // Asked again while connecting, the server answers the current QR and issues no pair code.
      if (inst.status === 'disconnected') {
        if (inst.session && !phone) {
          this.pair(inst, inst.owner);
        } else {
          await this.startConnecting(inst, phone as string | undefined);
        }
      }
      return this.connectAnswer(inst);
    },
    'GET /instance/status': (inst) => this.statusOf(inst),
    'POST /instance/disconnect': (inst) => {
      const was = inst.status;
      this.clearTimers(inst);
      inst.status = 'disconnected';
      inst.qrcode = '';
      inst.paircode = '';
      inst.session = false;
      if (was !== 'disconnected') {
        inst.lastDisconnect = Date.now();
        inst.lastDisconnectReason = 'disconnected by user';
        this.emitConnection(inst, { name: inst.name, status: 'disconnected', lastDisconnectReason: inst.lastDisconnectReason });
      }
      return {
        instance: instanceObject(inst, Date.now()),
        response: 'Disconnected',
        info: 'The device has been disconnected. A new QR code is needed to connect again.',
      };
    },
    'POST /instance/reset': (inst) => {
      if (inst.status !== 'connected') fail(409, 'Instance is not connected');
      // The runtime restarts and the stored session reconnects on its own.
      this.emitConnection(inst, { name: inst.name, status: 'connecting', qrcode: '' });
      this.timer(inst, 5, () => this.emitConnection(inst, { name: inst.name, status: 'connected' }));
      return { response: 'Instance runtime reset requested', resetting: true, instanceId: inst.id, queuedRecoveryAttempted: false };
    },
    'DELETE /instance': (inst) => {
      this.clearTimers(inst);
      this.instances.splice(this.instances.indexOf(inst), 1);
      return { response: 'Instance Deleted', info: 'The instance has been deleted.' };
    },
    'POST /instance/updateInstanceName': (inst, body) => {
      if (!isStr(body.name) || body.name.trim() === '') fail(400, 'Missing name');
      inst.name = body.name as string;
      inst.updated = Date.now();
      return instanceObject(inst, Date.now());
    },
    'POST /instance/presence': (inst, body) => {
      if (body.presence !== 'available' && body.presence !== 'unavailable') fail(400, 'Invalid presence');
      inst.currentPresence = body.presence as 'available' | 'unavailable';
      return { response: 'Presence updated successfully' };
    },
    'GET /webhook': (inst) => inst.webhooks,
    'GET /webhook/errors': (inst) => this.webhookErrors.get(inst.token) ?? [],
    'POST /webhook': (inst, body) => this.configureWebhook(inst, body),
    'POST /send/text': (inst, body) => {
      if (!isStr(body.number) || !isStr(body.text) || body.text === '') fail(400, 'Missing number or text');
      this.requireConnected(inst);
      const chatid = chatJidOf(body.number);
      const text = this.expand(body.text as string, chatid);
      const context = isStr(body.replyid) && body.replyid ? { stanzaID: body.replyid } : undefined;
      return this.apiSend(inst, body, chatid, {
        messageType: 'ExtendedTextMessage',
        type: 'text',
        text,
        content: context ? { text, contextInfo: context } : { text },
        sent: { type: 'text', text },
      });
    },
    'POST /send/media': (inst, body) => {
      if (!isStr(body.number) || !isStr(body.type) || !isStr(body.file) || body.file === '') fail(400, 'Missing number, type or file');
      if (!MEDIA_TYPES.has(body.type as string)) fail(400, 'Invalid media type');
      this.requireConnected(inst);
      const chatid = chatJidOf(body.number);
      const file = body.file as string;
      const type = body.type as string;
      const isUrl = /^https?:\/\//.test(file);
      const data = isUrl ? undefined : decodeBase64File(file);
      if (!isUrl && !data) fail(400, 'Invalid file: expected a URL or base64 data');
      if (data && data.length > (this.opts.maxMediaBytes ?? 64 * 1024 * 1024)) fail(413, 'File size exceeds limit');
      const mimetype = isStr(body.mimetype) && body.mimetype ? body.mimetype : (GUESSED_MIME[type] as string);
      const caption = isStr(body.text) && body.text ? this.expand(body.text, chatid) : '';
      const docName = isStr(body.docName) && body.docName ? body.docName : undefined;
      const fileUrl = `https://mmg.whatsapp.net/v/t62.7119-24/${hex(8)}_n.enc`;
      const content: Json = { URL: fileUrl, mimetype };
      if (type === 'document') content.fileName = docName ?? 'file';
      if (caption) content.caption = caption;
      if (type === 'ptt' || type === 'myaudio') content.PTT = true;
      return this.apiSend(
        inst,
        body,
        chatid,
        {
          messageType: MESSAGE_TYPE[type] as string,
          type: 'media',
          text: caption,
          content,
          media: data ? { data, mimetype, fileName: docName, kind: SENT_TYPE[type] as string } : undefined,
          sent: {
            type: SENT_TYPE[type] as string,
            caption: caption || undefined,
            fileName: docName,
            mimeType: mimetype,
            mediaUrl: isUrl ? file : undefined,
            mediaBase64: data ? file.replace(/^data:[^,]*;base64,/, '') : undefined,
          },
        },
        { response: { status: 'success', message: 'Media sent successfully', fileUrl } },
      );
    },
    'POST /send/location': (inst, body) => {
      const { latitude, longitude } = body;
      if (!isStr(body.number) || typeof latitude !== 'number' || typeof longitude !== 'number')
        fail(400, 'Missing number, latitude or longitude');
      if (Math.abs(latitude as number) > 90 || Math.abs(longitude as number) > 180) fail(400, 'Invalid coordinates');
      this.requireConnected(inst);
      const content: Json = { degreesLatitude: latitude, degreesLongitude: longitude };
      if (isStr(body.name)) content.name = body.name;
      if (isStr(body.address)) content.address = body.address;
      return this.apiSend(inst, body, chatJidOf(body.number), {
        messageType: 'LocationMessage',
        type: 'media',
        text: '',
        content,
        sent: { type: 'location', latitude: latitude as number, longitude: longitude as number },
      });
    },
    'POST /send/contact': (inst, body) => {
      if (!isStr(body.number) || !isStr(body.fullName) || !isStr(body.phoneNumber) || !body.phoneNumber)
        fail(400, 'Missing number, fullName or phoneNumber');
      this.requireConnected(inst);
      const phones = (body.phoneNumber as string)
        .split(',')
        .map((p) => digits(p))
        .filter(Boolean);
      const name = body.fullName as string;
      const tels = phones.map((p, i) => `item${i + 1}.TEL;waid=${p}:${formatPhone(p)}`).join('\n');
      const vcard = `BEGIN:VCARD\nVERSION:3.0\nN:;${name};;;\nFN:${name}\n${isStr(body.organization) ? `ORG:${body.organization}\n` : ''}${tels}\nEND:VCARD`;
      return this.apiSend(inst, body, chatJidOf(body.number), {
        messageType: 'ContactMessage',
        type: 'media',
        text: name,
        content: { displayName: name, vcard },
        sent: { type: 'contact', contactName: name, contactPhones: phones },
      });
    },
    'POST /message/react': (inst, body) => {
      if (!isStr(body.number) || !isStr(body.text) || !isStr(body.id) || !body.id) fail(400, 'Missing number, text or id');
      this.requireConnected(inst);
      const target = this.lookup(inst, body.id as string);
      if (target.fromMe) fail(400, 'You can only react to messages from others');
      if (Date.now() - target.at > 7 * 24 * 3600_000) fail(400, 'Message is too old to react');
      const chatid = chatJidOf(body.number);
      const messageid = apiMessageId();
      const now = Date.now();
      const reply = {
        id: `${inst.owner}:${messageid}`,
        messageid,
        content: { key: { remoteJID: target.chatid, fromMe: false, ID: target.messageid }, text: body.text, senderTimestampMS: now },
        messageTimestamp: now,
        messageType: 'reaction',
        status: 'Pending',
        owner: inst.owner,
      };
      this.record(inst, chatid, messageid, { type: 'reaction', emoji: body.text as string, targetId: target.messageid }, '');
      this.echo(inst, chatid, {
        messageid,
        messageType: 'ReactionMessage',
        type: 'reaction',
        reaction: target.messageid,
        text: body.text,
        content: reply.content,
        messageTimestamp: now,
      });
      return reply;
    },
    'POST /message/edit': (inst, body) => {
      if (!isStr(body.id) || !isStr(body.text) || !body.id) fail(400, 'Missing id or text');
      this.requireConnected(inst);
      const target = this.lookup(inst, body.id as string);
      if (!target.fromMe) fail(400, 'You can only edit your own messages');
      const messageid = apiMessageId();
      const now = Date.now();
      const text = this.expand(body.text as string, target.chatid);
      this.record(inst, target.chatid, messageid, { type: 'edit', text, targetId: target.messageid }, '');
      const fields = {
        messageid,
        messageType: 'ExtendedTextMessage',
        type: 'text',
        edited: target.messageid,
        text,
        content: { text },
        messageTimestamp: now,
      };
      this.echo(inst, target.chatid, fields);
      return { ...this.apiMessage(inst, target.chatid, fields), response: { status: 'success', message: 'Message edited successfully' } };
    },
    'POST /message/delete': (inst, body) => {
      if (!isStr(body.id) || !body.id) fail(400, 'Missing id');
      this.requireConnected(inst);
      const target = this.lookup(inst, body.id as string);
      this.record(inst, target.chatid, target.messageid, { type: 'delete', targetId: target.messageid }, '');
      const now = Date.now();
      this.emitRevoke(inst, target.chatid, target.messageid, true, { pn: `${inst.owner}@s.whatsapp.net`, lid: inst.ownerLid }, now);
      return { timestamp: now, id: target.messageid };
    },
    'POST /message/markread': (inst, body) => {
      if (!Array.isArray(body.id) || body.id.length === 0 || !body.id.every(isStr)) fail(400, 'Missing id list');
      this.requireConnected(inst);
      const results = (body.id as string[]).map((id) => {
        const msg = this.messages.get(id.split(':').pop() as string);
        if (!msg || msg.instance !== inst.name) return { message_id: id, status: 'error', error: 'message not found' };
        this.emit(inst, 'messages_update', {
          event: {
            Chat: msg.chatid,
            IsFromMe: true,
            IsGroup: msg.isGroup,
            MessageIDs: [msg.messageid],
            Sender: inst.ownerLid,
            Timestamp: Math.floor(Date.now() / 1000),
            Type: 'read',
          },
          state: 'Read',
          type: 'ReadReceipt',
        });
        return { message_id: id, status: 'success' };
      });
      return { results };
    },
    'POST /chat/read': (inst, body) => {
      if (!isStr(body.number) || typeof body.read !== 'boolean') fail(400, 'Missing number or read');
      this.requireConnected(inst);
      chatJidOf(body.number);
      return { response: 'Chat read status updated successfully' };
    },
    'POST /message/presence': (inst, body) => {
      if (!isStr(body.number) || !['composing', 'recording', 'paused'].includes(String(body.presence)))
        fail(400, 'Missing number or invalid presence');
      if (body.delay !== undefined && (typeof body.delay !== 'number' || body.delay < 0)) fail(400, 'Invalid delay');
      this.requireConnected(inst);
      chatJidOf(body.number);
      return { response: 'Chat presence sent successfully' };
    },
    'POST /message/download': (inst, body) => {
      if (!isStr(body.id) || !body.id) fail(400, 'Missing id');
      const msg = this.lookup(inst, body.id as string);
      if (!msg.media) fail(400, 'Message has no media');
      const media = msg.media as NonNullable<StoredMessage['media']>;
      // Real servers transcode audio to MP3 unless asked not to; the simulator cannot transcode, so it
      // only reports the MP3 type, which keeps a caller that forgets `generate_mp3:false` visible.
      const isAudio = media.kind === 'audio' || media.kind === 'voice';
      const mimetype = isAudio && body.generate_mp3 !== false ? 'audio/mpeg' : media.mimetype;
      const out: Json = { mimetype };
      if (body.return_link !== false) {
        const fileId = `${hex(8).toLowerCase()}-${msg.messageid}`;
        this.files.set(fileId, { data: media.data, mimetype });
        out.fileURL = `${this.baseUrl}/files/${fileId}`;
      }
      if (body.return_base64 === true) out.base64Data = media.data.toString('base64');
      return out;
    },
    'POST /message/find': (inst, body) => {
      const limit = typeof body.limit === 'number' ? body.limit : 100;
      const offset = typeof body.offset === 'number' ? body.offset : 0;
      const all = [...this.messages.values()].filter(
        (m) =>
          m.instance === inst.name &&
          (!isStr(body.id) || m.messageid === body.id.split(':').pop()) &&
          (!isStr(body.chatid) || m.chatid === body.chatid) &&
          (!isStr(body.track_source) || m.trackSource === body.track_source) &&
          (!isStr(body.track_id) || m.trackId === body.track_id),
      );
      const page = all.slice(offset, offset + limit).map((m) =>
        this.apiMessage(inst, m.chatid, {
          messageid: m.messageid,
          text: m.text,
          track_source: m.trackSource,
          track_id: m.trackId,
          messageTimestamp: m.at,
          fromMe: m.fromMe,
        }),
      );
      const hasMore = offset + limit < all.length;
      return {
        returnedMessages: page.length,
        messages: page,
        limit,
        offset,
        nextOffset: hasMore ? offset + limit : offset + page.length,
        hasMore,
      };
    },
    'POST /call/reject': () => ({ response: 'Call rejected successfully' }),
  };

  private configureWebhook(inst: SimInstance, body: Json): WebhookConfig[] {
    const action = body.action;
    if (action !== undefined && action !== 'add' && action !== 'update' && action !== 'delete') fail(400, 'Invalid action');
    if (action === 'delete') {
      const idx = inst.webhooks.findIndex((w) => w.id === body.id);
      if (idx < 0) fail(404, 'Webhook not found');
      inst.webhooks.splice(idx, 1);
      return inst.webhooks;
    }
    if (!isStr(body.url) || !/^https?:\/\//.test(body.url)) fail(400, 'Missing or invalid url');
    const events = body.events ?? [];
    if (!Array.isArray(events) || !events.every((e) => isStr(e) && WEBHOOK_EVENTS.has(e))) fail(400, 'Invalid events');
    const exclude = body.excludeMessages ?? [];
    if (!Array.isArray(exclude) || !exclude.every((e) => isStr(e) && EXCLUDE_FILTERS.has(e))) fail(400, 'Invalid excludeMessages');
    const config = (id: string): WebhookConfig => ({
      id,
      enabled: body.enabled !== false,
      url: body.url as string,
      events: events as string[],
      excludeMessages: exclude as string[],
      addUrlEvents: body.addUrlEvents === true,
      addUrlTypesMessages: body.addUrlTypesMessages === true,
    });
    if (action === 'update') {
      const idx = inst.webhooks.findIndex((w) => w.id === body.id);
      if (idx < 0) fail(404, 'Webhook not found');
      inst.webhooks[idx] = config(body.id as string);
    } else if (action === 'add' || inst.webhooks.length === 0) {
      inst.webhooks.push(config(randomUUID()));
    } else {
      // Simple mode: one webhook per instance, created or replaced.
      inst.webhooks[0] = config((inst.webhooks[0] as WebhookConfig).id);
    }
    return inst.webhooks;
  }

  /** Accepts full (`owner:messageid`) and short ids, like `/message/delete` and `/message/edit` do. */
  private lookup(inst: SimInstance, id: string): StoredMessage {
    const msg = this.messages.get(id.split(':').pop() as string);
    if (!msg || msg.instance !== inst.name) return fail(404, 'Message not found');
    return msg;
  }

  /** Placeholders expanded in texts and captions, as the real server does. */
  private expand(text: string, chatid: string): string {
    const name = this.contactNames.get(digits(chatid.split('@')[0] ?? '')) ?? '';
    return text.replace(/\{\{(name|wa_name|first_name)\}\}/g, (_, key: string) =>
      key === 'first_name' ? (name.split(' ')[0] ?? '') : name,
    );
  }

  /** The Message object `/send/*` answer with (the spec's Message schema; no webhook-only fields). */
  private apiMessage(inst: SimInstance, chatid: string, fields: Json): Json {
    const messageid = String(fields.messageid);
    const full: Json = {
      id: `${inst.owner}:${messageid}`,
      messageid,
      chatid,
      sender: '',
      senderName: '',
      isGroup: chatid.endsWith('@g.us'),
      fromMe: true,
      messageType: '',
      source: '',
      messageTimestamp: 0,
      status: 'Pending',
      text: '',
      quoted: '',
      edited: '',
      reaction: '',
      vote: '',
      convertOptions: '',
      buttonOrListid: '',
      owner: inst.owner,
      error: '',
      content: {},
      wasSentByApi: true,
      sendFunction: '',
      sendPayload: '',
      fileURL: '',
      send_folder_id: '',
      track_source: '',
      track_id: '',
    };
    for (const key of Object.keys(full)) if (key in fields && key !== 'id' && key !== 'messageid') full[key] = fields[key];
    return full;
  }

  private record(
    inst: SimInstance,
    chatid: string,
    messageId: string,
    fields: Omit<SentMessage, 'instance' | 'messageId' | 'to' | 'at'>,
    trackId: string,
  ): void {
    const entry: SentMessage = { instance: inst.name, messageId, to: chatid, ...fields, at: Date.now() };
    if (trackId) entry.trackId = trackId;
    for (const k of Object.keys(entry) as (keyof SentMessage)[]) if (entry[k] === undefined) delete entry[k];
    this.sentLog.push(entry);
  }

  /** The webhook echo every API send produces: fromMe, wasSentByApi, with our track fields. */
  private echo(inst: SimInstance, chatid: string, fields: Json): void {
    const isGroup = chatid.endsWith('@g.us');
    const peer = isGroup ? undefined : this.person(chatid);
    const message = messageObject({
      chatid,
      chatlid: peer?.lid ?? '',
      fromMe: true,
      groupName: isGroup ? 'Grupo Simulado' : 'Unknown',
      id: `${inst.owner}:${String(fields.messageid)}`,
      isGroup,
      owner: inst.owner,
      sender: inst.ownerLid,
      senderName: inst.profileName,
      sender_lid: inst.ownerLid,
      sender_pn: `${inst.owner}@s.whatsapp.net`,
      source: 'api',
      wasSentByApi: true,
      ...fields,
    });
    const name = (peer && this.contactNames.get(peer.phone)) ?? (isGroup ? 'Grupo Simulado' : '');
    this.emitMessage(inst, message, {
      owner: inst.owner,
      chatid,
      chatlid: peer?.lid ?? '',
      isGroup,
      name,
      phone: peer ? formatPhone(peer.phone) : '',
      at: Number(fields.messageTimestamp),
      type: String(fields.messageType),
      text: String(fields.text ?? ''),
      sender: inst.ownerLid,
    });
  }

  private apiSend(
    inst: SimInstance,
    body: Json,
    chatid: string,
    spec: {
      messageType: string;
      type: string;
      text: string;
      content: Json;
      media?: StoredMessage['media'];
      sent: Omit<SentMessage, 'instance' | 'messageId' | 'to' | 'at'>;
    },
    extra: Json = { response: { status: 'success', message: 'Message sent successfully' } },
  ): Json {
    const messageid = apiMessageId();
    const now = Date.now();
    const trackSource = isStr(body.track_source) ? body.track_source : '';
    const trackId = isStr(body.track_id) ? body.track_id : '';
    const quoted = isStr(body.replyid) ? body.replyid : '';
    const fields: Json = {
      messageid,
      messageType: spec.messageType,
      type: spec.type,
      text: spec.text,
      content: spec.content,
      messageTimestamp: now,
      quoted,
      track_source: trackSource,
      track_id: trackId,
    };
    const isGroup = chatid.endsWith('@g.us');
    this.store({
      instance: inst.name,
      messageid,
      chatid,
      chatlid: isGroup ? '' : this.person(chatid).lid,
      fromMe: true,
      isGroup,
      sender: { pn: `${inst.owner}@s.whatsapp.net`, lid: inst.ownerLid },
      text: spec.text,
      trackSource,
      trackId,
      media: spec.media,
      at: now,
    });
    this.record(inst, chatid, messageid, { ...spec.sent, replyToId: quoted || undefined }, trackId);
    this.echo(inst, chatid, fields);
    if (this.opts.autoAckMs !== undefined) {
      const msg = this.messages.get(messageid) as StoredMessage;
      this.timer(inst, this.opts.autoAckMs, () => this.emitReceipt(inst, msg, 'delivered'));
      this.timer(inst, this.opts.autoAckMs * 2, () => this.emitReceipt(inst, msg, 'read'));
    }
    return { ...this.apiMessage(inst, chatid, fields), ...extra };
  }
}

function matches(rule: string | RegExp | undefined, path: string): boolean {
  if (rule === undefined) return true;
  return typeof rule === 'string' ? rule === path : rule.test(path);
}

function excluded(filters: string[], message: Json): boolean {
  const fromMe = message.fromMe === true;
  const api = message.wasSentByApi === true;
  const group = message.isGroup === true;
  return filters.some(
    (f) =>
      (f === 'wasSentByApi' && api) ||
      (f === 'wasNotSentByApi' && !api) ||
      (f === 'fromMeYes' && fromMe) ||
      (f === 'fromMeNo' && !fromMe) ||
      (f === 'isGroupYes' && group) ||
      ((f === 'isGroupNo' || f === 'IsGroupNo') && !group),
  );
}

function send(res: http.ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  if (Buffer.isBuffer(reply.body)) {
    res.writeHead(reply.status, { 'content-length': reply.body.length, ...reply.headers }).end(reply.body);
    return;
  }
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(text);
}

/** Starts a fake Uazapi GO server; `baseUrl` and `adminToken` are what an adapter needs. */
export async function startUazapiSimulator(opts: UazapiSimulatorOptions = {}): Promise<UazapiSimulatorServer> {
  return new UazapiSimulatorServer(opts).start();
}
