// A fake Evolution API 2.3.7 server (Baileys channel) for tests, the demo and benchmarks: the real
// routes, auth guard, request validation, response shapes and webhooks (shared/contracts/evolution.md),
// with instance state (QR rotating while connecting, pair codes, connecting → open → close) kept in memory.
import { randomBytes, randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import type { FailureRule, InboundMessageInput, ProviderSimulator, RecordedRequest, SentMessage, SimulatorOptions } from '../types.ts';
import { type HarnessRequest, type HarnessResponse, HttpHarness } from './harness.ts';
import {
  dbId,
  long,
  mediaNode,
  NODE_BY_KIND,
  pairCode,
  phoneMessageId,
  preparedMessage,
  protocolMessageResponse,
  qrString,
  type Rec,
  type SimMediaKind,
  vcard,
  webMessageId,
} from './payloads.ts';
import { type DeliveryRecord, WebhookSender } from './webhooks.ts';

export interface EvolutionSimulatorOptions extends SimulatorOptions {
  /** `SERVER_URL` as envelopes report it; defaults to the simulator's own URL. */
  serverUrl?: string;
  /** `QRCODE_LIMIT`: QR codes generated before Evolution gives up (`refused`). */
  qrLimit?: number;
  /** `AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES`: put the instance token in webhook envelopes. */
  exposeApikey?: boolean;
  /**
   * How a LID contact's key looks: `lid-alt` (≤2.3.6: remoteJid = LID, remoteJidAlt = phone) or
   * `pn-both` (2.3.7: both fields the phone, `addressingMode: "lid"`).
   */
  lidAddressing?: 'lid-alt' | 'pn-both';
  webhookRetry?: { attempts: number; baseDelayMs: number };
  webhookTimeoutMs?: number;
  /** Cap on the `delay` waits Evolution performs before sends and presences (it blocks the call). */
  maxDelayMs?: number;
  /** After an API send, report SERVER_ACK and then DELIVERY_ACK this long after it (off if undefined). */
  autoAckMs?: number;
  /** Put an S3-style `mediaUrl` (served by the simulator, no auth) in inbound media messages. */
  mediaUrls?: boolean;
  /** Download URL media of sends, as Evolution does (off by default: tests use unroutable URLs). */
  fetchMediaUrls?: boolean;
  maxBodyBytes?: number;
}

type State = 'open' | 'connecting' | 'close';

interface Settings {
  rejectCall: boolean;
  msgCall: string;
  groupsIgnore: boolean;
  alwaysOnline: boolean;
  readMessages: boolean;
  readStatus: boolean;
  syncFullHistory: boolean;
  wavoipToken: string;
}

interface WebhookRow {
  id: string;
  url: string;
  headers: Record<string, string> | null;
  enabled: boolean;
  events: string[];
  webhookByEvents: boolean;
  webhookBase64: boolean;
  createdAt: string;
  updatedAt: string;
  instanceId: string;
}

interface StoredMessage {
  key: Rec;
  message: Rec;
  messageType: string;
  remoteJid: string;
  fromMe: boolean;
  participant?: string;
  media?: { data: Buffer; mimeType: string; fileName?: string; caption?: string };
}

interface SimInstance {
  id: string;
  name: string;
  token: string;
  integration: string;
  state: State;
  pairNumber?: string;
  ownerJid?: string;
  profileName?: string;
  qr: { code?: string; base64?: string; count: number; pairingCode: string | null; busy?: boolean };
  qrTimer?: NodeJS.Timeout;
  autoTimer?: NodeJS.Timeout;
  /** `webhookBase64` as read when the session started; Evolution only re-reads it on (re)connect. */
  sessionBase64: boolean;
  settings: Settings;
  webhook?: WebhookRow;
  messages: Map<string, StoredMessage>;
  disconnection?: { at: string; code: number };
  createdAt: string;
  updatedAt: string;
}

/** Events an instance webhook may subscribe to (`EventController.events`, 2.3.7). */
const EVENTS = new Set([
  'APPLICATION_STARTUP',
  'QRCODE_UPDATED',
  'MESSAGES_SET',
  'MESSAGES_UPSERT',
  'MESSAGES_EDITED',
  'MESSAGES_UPDATE',
  'MESSAGES_DELETE',
  'SEND_MESSAGE',
  'SEND_MESSAGE_UPDATE',
  'CONTACTS_SET',
  'CONTACTS_UPSERT',
  'CONTACTS_UPDATE',
  'PRESENCE_UPDATE',
  'CHATS_SET',
  'CHATS_UPSERT',
  'CHATS_UPDATE',
  'CHATS_DELETE',
  'GROUPS_UPSERT',
  'GROUP_UPDATE',
  'GROUP_PARTICIPANTS_UPDATE',
  'CONNECTION_UPDATE',
  'LABELS_EDIT',
  'LABELS_ASSOCIATION',
  'CALL',
  'TYPEBOT_START',
  'TYPEBOT_CHANGE_STATUS',
  'REMOVE_INSTANCE',
  'LOGOUT_INSTANCE',
  'INSTANCE_CREATE',
  'INSTANCE_DELETE',
  'STATUS_INSTANCE',
]);

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Evolution's error envelope (`src/main.ts`). */
export const evolutionError = (status: number, message: unknown) => ({
  status,
  error: STATUS_TEXT[status] ?? 'Error',
  response: { message },
});

class HttpFail extends Error {
  constructor(
    readonly status: number,
    readonly payload: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const bad = (message: unknown): never => {
  throw new HttpFail(400, Array.isArray(message) ? message : [message]);
};

const ACK_STATUS = { delivered: 'DELIVERY_ACK', read: 'READ', played: 'PLAYED' } as const;
const MEDIA_MIME_BY_EXT: Record<string, string> = {
  pdf: 'application/pdf',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  mp4: 'video/mp4',
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  txt: 'text/plain',
  csv: 'text/csv',
  zip: 'application/zip',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};
const DEFAULT_MIME: Record<string, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/mpeg',
  document: 'application/octet-stream',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const asRec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const digits = (s: string) => s.replace(/\D+/g, '');
const nowIso = () => new Date().toISOString();
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Phone, JID or LID → the JID WhatsApp keys use. */
function jidOf(address: string): string {
  const trimmed = address.trim().toLowerCase();
  if (trimmed.includes('@')) {
    const [user, server] = trimmed.split('@') as [string, string];
    return `${user.split(':')[0]}@${server === 'c.us' ? 's.whatsapp.net' : server}`;
  }
  return `${digits(trimmed)}@s.whatsapp.net`;
}

const lidOf = (lid: string) => (lid.includes('@') ? lid.toLowerCase() : `${digits(lid)}@lid`);
/** `to` in the canonical sent() view: digits for phones, the JID for groups and LIDs. */
const sentTo = (jid: string) => (jid.endsWith('@s.whatsapp.net') ? (jid.split('@')[0] as string) : jid);

function requireProps(body: Rec, props: string[]): void {
  const missing = props.filter((p) => body[p] === undefined || body[p] === null);
  if (missing.length) bad(missing.map((p) => `instance requires property "${p}"`));
}

export class EvolutionSimulator implements ProviderSimulator {
  readonly kind = 'evolution' as const;
  readonly adminToken: string;
  baseUrl = '';
  private readonly harness: HttpHarness;
  private readonly webhooks: WebhookSender;
  private readonly instances = new Map<string, SimInstance>();
  private readonly sentLog: SentMessage[] = [];
  private readonly lidByPhoneJid = new Map<string, string>();
  private readonly notOnWa = new Set<string>();
  private readonly reads: { instance: string; remoteJid: string; id: string; fromMe: boolean; skipped: boolean }[] = [];
  private readonly presenceLog: { instance: string; number: string; presence: string; delay: number }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: EvolutionSimulatorOptions = {}) {
    this.adminToken = options.adminToken ?? `evo-global-${randomBytes(12).toString('hex')}`;
    this.harness = new HttpHarness({
      port: options.port,
      host: options.host,
      latencyMs: options.latencyMs,
      errorRate: options.errorRate,
      maxBodyBytes: options.maxBodyBytes ?? 136 * 1024 * 1024,
      errorBody: (status, message) => evolutionError(status, status === 401 ? 'Unauthorized' : [message]),
      handle: (req) => this.handle(req),
    });
    this.webhooks = new WebhookSender({
      attempts: options.webhookRetry?.attempts ?? 3,
      baseDelayMs: options.webhookRetry?.baseDelayMs ?? 250,
      timeoutMs: options.webhookTimeoutMs ?? 10_000,
    });
  }

  async start(): Promise<this> {
    this.baseUrl = await this.harness.listen();
    return this;
  }

  async close(): Promise<void> {
    for (const inst of this.instances.values()) this.stopTimers(inst);
    for (const t of this.timers) clearTimeout(t);
    this.webhooks.close();
    await this.harness.close();
  }

  // ---- control API -------------------------------------------------------------------------------

  setLatency(ms: number): void {
    this.harness.latencyMs = ms;
  }

  setErrorRate(rate: number): void {
    this.harness.errorRate = rate;
  }

  fail(rule: FailureRule): void {
    this.harness.fail(rule);
  }

  clearFailures(): void {
    this.harness.clearFailures();
  }

  requests(filter?: { path?: string | RegExp; method?: string }): RecordedRequest[] {
    return this.harness.requests(filter);
  }

  sent(instance?: string): SentMessage[] {
    return this.sentLog.filter((m) => !instance || m.instance === instance);
  }

  reset(): void {
    this.sentLog.length = 0;
    this.reads.length = 0;
    this.presenceLog.length = 0;
    this.webhooks.log.length = 0;
    this.harness.clearRequests();
    this.harness.clearFailures();
  }

  instanceToken(instance: string): string | undefined {
    return this.instances.get(instance)?.token;
  }

  /** The instance as the server holds it (state, settings, webhook row), for assertions. */
  instance(name: string): { state: State; settings: Settings; webhook?: WebhookRow; ownerJid?: string; qrCount: number } | undefined {
    const inst = this.instances.get(name);
    if (!inst) return undefined;
    return { state: inst.state, settings: { ...inst.settings }, webhook: inst.webhook, ownerJid: inst.ownerJid, qrCount: inst.qr.count };
  }

  /** Makes `onWhatsApp` report this number as unknown: sends to it fail with Evolution's 400. */
  notOnWhatsApp(phone: string): void {
    this.notOnWa.add(digits(phone));
  }

  /** Read receipts the instance sent (`skipped`: 2.3.x drops `@lid` keys silently). */
  readReceipts(instance?: string) {
    return this.reads.filter((r) => !instance || r.instance === instance);
  }

  /** Presences the instance showed through `/chat/sendPresence`. */
  presences(instance?: string) {
    return this.presenceLog.filter((p) => !instance || p.instance === instance);
  }

  deliveries(): DeliveryRecord[] {
    return [...this.webhooks.log];
  }

  async completePairing(instance: string, phone?: string): Promise<void> {
    const inst = this.mustGet(instance);
    if (inst.state !== 'connecting') throw new Error(`evolution simulator: ${instance} is ${inst.state}, not connecting`);
    const number = digits(phone ?? inst.pairNumber ?? `55119${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`);
    inst.ownerJid = `${number}@s.whatsapp.net`;
    inst.profileName ??= inst.name;
    await this.open(inst);
  }

  async dropConnection(instance: string, loggedOut = false): Promise<void> {
    const inst = this.mustGet(instance);
    if (inst.state === 'close') return;
    await this.closeSession(inst, loggedOut ? 401 : 428);
  }

  async receive(instance: string, input: InboundMessageInput): Promise<string> {
    const inst = this.mustGet(instance);
    if (inst.state !== 'open') throw new Error(`evolution simulator: ${instance} is ${inst.state}; only an open instance receives`);
    if (input.edit) return this.receiveEdit(inst, input);
    if (input.deleteOf) return this.receiveDelete(inst, input);
    const id = input.messageId ?? phoneMessageId();
    const fromMe = input.fromMe ?? false;
    const addressing = this.inboundKey(inst, input, id);
    const { message, messageType, media } = this.inboundContent(inst, input, addressing.key);
    let contextInfo: Rec | undefined;
    if (input.replyToId) {
      contextInfo = this.quoteContext(inst, input.replyToId);
      const node = asRec(message[messageType]);
      if (messageType !== 'conversation' && Object.keys(node).length) node.contextInfo = contextInfo;
    }
    if (media) {
      if (inst.sessionBase64) message.base64 = media.data.toString('base64');
      if (this.options.mediaUrls) message.mediaUrl = `${this.baseUrl}/s3/evolution/${encodeURIComponent(inst.name)}/${id}`;
    }
    const data = preparedMessage({
      key: addressing.key,
      pushName:
        input.pushName ?? (fromMe ? (inst.profileName ?? inst.name) : `Contato ${digits(input.participant ?? input.from).slice(-4)}`),
      status: fromMe ? 'SERVER_ACK' : 'DELIVERY_ACK',
      message,
      contextInfo,
      messageType,
      instanceId: inst.id,
      source: 'android',
    });
    this.store(inst, {
      key: addressing.key,
      message,
      messageType,
      remoteJid: addressing.chatJid,
      fromMe,
      participant: addressing.participant,
      media,
    });
    // Evolution drops group traffic entirely when the instance ignores groups.
    if (!(addressing.chatJid.endsWith('@g.us') && inst.settings.groupsIgnore)) {
      await this.emit(inst, 'MESSAGES_UPSERT', data);
      void this.emit(inst, 'CONTACTS_UPSERT', {
        remoteJid: addressing.key.remoteJid,
        pushName: data.pushName,
        profilePicUrl: null,
        instanceId: inst.id,
      });
    }
    return id;
  }

  async ack(instance: string, messageId: string, status: 'delivered' | 'read' | 'played'): Promise<void> {
    const inst = this.mustGet(instance);
    const stored = inst.messages.get(messageId);
    if (!stored) throw new Error(`evolution simulator: ${instance} has no message ${messageId} (Evolution would drop this ack)`);
    const data: Rec = { keyId: messageId, remoteJid: stored.remoteJid, fromMe: stored.fromMe };
    if (stored.participant) data.participant = stored.participant;
    Object.assign(data, { status: ACK_STATUS[status], instanceId: inst.id, messageId: dbId() });
    await this.emit(inst, 'MESSAGES_UPDATE', data);
  }

  async typing(instance: string, from: string, state: 'composing' | 'recording' | 'paused'): Promise<void> {
    const inst = this.mustGet(instance);
    const jid = jidOf(from);
    // WhatsApp reports presence by LID when it knows one, with no phone alternate.
    const id = this.lidByPhoneJid.get(jid) ?? jid;
    await this.emit(inst, 'PRESENCE_UPDATE', { id, presences: { [id]: { lastKnownPresence: state } } });
  }

  /** A contact calls the instance; with `rejectCall` Evolution rejects it and answers with `msgCall`. */
  async call(instance: string, from: string, options: { isVideo?: boolean } = {}): Promise<string> {
    const inst = this.mustGet(instance);
    const jid = jidOf(from);
    const id = randomBytes(16).toString('hex').toUpperCase();
    const base = { chatId: jid, from: jid, id, date: nowIso(), offline: false, isVideo: options.isVideo ?? false, isGroup: false };
    await this.emit(inst, 'CALL', { ...base, status: 'offer' });
    if (inst.settings.rejectCall) {
      await this.emit(inst, 'CALL', { ...base, status: 'reject' });
      // The auto-reply is re-injected as a fromMe upsert, not as send.message.
      if (inst.settings.msgCall) await this.receive(instance, { from, text: inst.settings.msgCall, fromMe: true });
    }
    return id;
  }

  async deliverRaw(instance: string, body: unknown): Promise<{ status: number; body: string }> {
    const inst = this.mustGet(instance);
    if (!inst.webhook?.url) throw new Error(`evolution simulator: ${instance} has no webhook configured`);
    const event = str(asRec(body).event) ?? 'raw';
    return this.webhooks.deliver(inst, this.webhookTarget(inst.webhook), event, body as Rec);
  }

  // ---- instance lifecycle ------------------------------------------------------------------------

  private mustGet(name: string): SimInstance {
    const inst = this.instances.get(name);
    if (!inst) throw new Error(`evolution simulator: no instance ${name}`);
    return inst;
  }

  private stopTimers(inst: SimInstance): void {
    if (inst.qrTimer) clearInterval(inst.qrTimer);
    if (inst.autoTimer) clearTimeout(inst.autoTimer);
    inst.qrTimer = undefined;
    inst.autoTimer = undefined;
  }

  private qrCode(inst: SimInstance): Rec {
    return { pairingCode: inst.qr.pairingCode, code: inst.qr.code, base64: inst.qr.base64, count: inst.qr.count };
  }

  private async startConnecting(inst: SimInstance, number?: string): Promise<void> {
    this.stopTimers(inst);
    inst.state = 'connecting';
    inst.pairNumber = number ? digits(number) : undefined;
    inst.qr = { count: 0, pairingCode: null };
    inst.sessionBase64 = inst.webhook?.webhookBase64 ?? false;
    void this.emit(inst, 'CONNECTION_UPDATE', { instance: inst.name, state: 'connecting', statusReason: 200 });
    await this.rotateQr(inst);
    inst.qrTimer = setInterval(() => void this.rotateQr(inst), this.options.qrRotateMs ?? 20_000);
    if (this.options.autoConnectMs !== undefined) {
      inst.autoTimer = setTimeout(() => void this.completePairing(inst.name).catch(() => undefined), this.options.autoConnectMs);
    }
  }

  private async rotateQr(inst: SimInstance): Promise<void> {
    if (inst.state !== 'connecting') return;
    if (inst.qr.count >= (this.options.qrLimit ?? 30)) {
      this.stopTimers(inst);
      inst.state = 'close';
      await this.emit(inst, 'QRCODE_UPDATED', { message: 'QR code limit reached, please login again', statusCode: 500 });
      await this.emit(inst, 'CONNECTION_UPDATE', {
        instance: inst.name,
        state: 'refused',
        statusReason: 428,
        wuid: inst.ownerJid,
        profileName: inst.profileName,
        profilePictureUrl: null,
      });
      return;
    }
    // One rotation at a time per session: a slow render must not let two rotations take one slot.
    const session = inst.qr;
    if (session.busy) return;
    session.busy = true;
    try {
      const code = qrString();
      const base64 = await QRCode.toDataURL(code, { margin: 3, scale: 4, errorCorrectionLevel: 'H' });
      // A reconnect or pairing in the meantime replaced this session.
      if (inst.state !== 'connecting' || inst.qr !== session) return;
      inst.qr = { count: session.count + 1, code, base64, pairingCode: inst.pairNumber ? pairCode() : null };
      void this.emit(inst, 'QRCODE_UPDATED', { qrcode: { instance: inst.name, pairingCode: inst.qr.pairingCode, code, base64 } });
    } finally {
      session.busy = false;
    }
  }

  private async open(inst: SimInstance): Promise<void> {
    this.stopTimers(inst);
    inst.state = 'open';
    inst.qr = { count: 0, pairingCode: null };
    inst.disconnection = undefined;
    inst.updatedAt = nowIso();
    await this.emit(inst, 'CONNECTION_UPDATE', {
      instance: inst.name,
      wuid: inst.ownerJid,
      profileName: inst.profileName,
      profilePictureUrl: null,
      state: 'open',
      statusReason: 200,
    });
  }

  private async closeSession(inst: SimInstance, code: number): Promise<void> {
    this.stopTimers(inst);
    inst.state = 'close';
    const at = nowIso();
    inst.disconnection = { at, code };
    inst.updatedAt = at;
    const disconnectionObject = JSON.stringify({
      error: {
        output: { statusCode: code, payload: { statusCode: code, error: code === 401 ? 'Unauthorized' : 'Precondition Required' } },
      },
      date: at,
    });
    await this.emit(inst, 'STATUS_INSTANCE', {
      instance: inst.name,
      status: 'closed',
      disconnectionAt: at,
      disconnectionReasonCode: code,
      disconnectionObject,
    });
    if (code === 401) await this.emit(inst, 'LOGOUT_INSTANCE', null);
    await this.emit(inst, 'CONNECTION_UPDATE', { instance: inst.name, state: 'close', statusReason: code });
  }

  // ---- webhooks ----------------------------------------------------------------------------------

  private webhookTarget(row: WebhookRow) {
    return { url: row.url, byEvents: row.webhookByEvents, headers: row.headers ?? {} };
  }

  /** Sends one event if the instance's webhook is on and subscribed to it; resolves after the first attempt. */
  private async emit(inst: SimInstance, eventName: string, data: unknown): Promise<void> {
    const row = inst.webhook;
    if (!row?.enabled || !/^https?:\/\//.test(row.url)) return;
    if (row.events.length > 0 && !row.events.includes(eventName)) return;
    const event = eventName.toLowerCase().replace(/_/g, '.').replace('group.participants', 'group-participants');
    const body: Rec = {
      event,
      instance: inst.name,
      data,
      destination: row.url,
      date_time: nowIso(),
      sender: inst.ownerJid ?? null,
      server_url: this.options.serverUrl ?? this.baseUrl,
      apikey: (this.options.exposeApikey ?? true) ? inst.token : null,
    };
    await this.webhooks.deliver(inst, this.webhookTarget(row), event, body);
  }

  // ---- HTTP routing ------------------------------------------------------------------------------

  private async handle(req: HarnessRequest): Promise<HarnessResponse> {
    try {
      return await this.route(req);
    } catch (error) {
      if (error instanceof HttpFail) return { status: error.status, body: evolutionError(error.status, error.payload) };
      throw error;
    }
  }

  private authorize(req: HarnessRequest, inst?: SimInstance): void {
    const key = req.headers.apikey;
    if (key && (key === this.adminToken || (inst && key === inst.token))) return;
    throw new HttpFail(401, 'Unauthorized');
  }

  private async route(req: HarnessRequest): Promise<HarnessResponse> {
    const [controller, action, rawName] = req.path.split('/').filter(Boolean);
    if (!controller) {
      return {
        status: 200,
        body: {
          status: 200,
          message: 'Welcome to the Evolution API, it is working!',
          version: '2.3.7',
          clientName: 'evolution',
          manager: `${this.baseUrl}/manager`,
          documentation: 'https://doc.evolution-api.com',
        },
      };
    }
    if (controller === 's3' && req.method === 'GET') return this.serveMedia(req.path);
    const route = `${req.method} ${controller}/${action ?? ''}`;
    if (route === 'POST instance/create') return this.create(req);
    if (route === 'GET instance/fetchInstances') return this.fetchInstances(req);
    const handler = this.routes[route];
    if (!handler || rawName === undefined) throw new HttpFail(404, [`Cannot ${req.method} ${req.path}`]);
    const name = decodeURIComponent(rawName);
    const inst = this.instances.get(name);
    if (!inst) throw new HttpFail(404, [`The "${name}" instance does not exist`]);
    this.authorize(req, inst);
    return handler(inst, req, asRec(req.body));
  }

  private readonly routes: Record<
    string,
    (inst: SimInstance, req: HarnessRequest, body: Rec) => Promise<HarnessResponse> | HarnessResponse
  > = {
    'GET instance/connect': (inst, req) => this.connect(inst, req.query.number),
    'GET instance/connectionState': (inst) => ({ status: 200, body: { instance: { instanceName: inst.name, state: inst.state } } }),
    'POST instance/restart': (inst) => this.restart(inst),
    'DELETE instance/logout': (inst) => this.logout(inst),
    'DELETE instance/delete': (inst) => this.remove(inst),
    'POST instance/setPresence': (_inst, _req, body) => {
      if (!['available', 'unavailable'].includes(str(body.presence) ?? ''))
        bad('instance.presence is not one of enum values: available,unavailable');
      return { status: 201, body: { presence: body.presence } };
    },
    'POST settings/set': (inst, _req, body) => this.setSettings(inst, body),
    'GET settings/find': (inst) => ({ status: 200, body: inst.settings }),
    'POST webhook/set': (inst, _req, body) => this.setWebhook(inst, body),
    'GET webhook/find': (inst) => ({ status: 200, body: inst.webhook ?? null }),
    'POST message/sendText': (inst, _req, body) => this.sendText(inst, body),
    'POST message/sendMedia': (inst, _req, body) => this.sendMedia(inst, body),
    'POST message/sendWhatsAppAudio': (inst, _req, body) => this.sendAudio(inst, body),
    'POST message/sendSticker': (inst, _req, body) => this.sendSticker(inst, body),
    'POST message/sendLocation': (inst, _req, body) => this.sendLocation(inst, body),
    'POST message/sendContact': (inst, _req, body) => this.sendContact(inst, body),
    'POST message/sendReaction': (inst, _req, body) => this.sendReaction(inst, body),
    'POST chat/updateMessage': (inst, _req, body) => this.updateMessage(inst, body),
    'DELETE chat/deleteMessageForEveryone': (inst, _req, body) => this.deleteMessage(inst, body),
    'POST chat/markMessageAsRead': (inst, _req, body) => this.markRead(inst, body),
    'POST chat/sendPresence': (inst, _req, body) => this.sendPresence(inst, body),
    'POST chat/getBase64FromMediaMessage': (inst, _req, body) => this.getBase64(inst, body),
    'POST chat/whatsappNumbers': (_inst, _req, body) => this.whatsappNumbers(body),
  };

  private async create(req: HarnessRequest): Promise<HarnessResponse> {
    const body = asRec(req.body);
    const name = str(body.instanceName);
    if (!name?.trim()) bad('instance requires property "instanceName"');
    const instanceName = name as string;
    if (this.instances.has(instanceName)) throw new HttpFail(403, [`This name "${instanceName}" is already in use.`]);
    if (req.headers.apikey !== this.adminToken) throw new HttpFail(401, 'Unauthorized');
    const integration = str(body.integration);
    if (!integration || !['WHATSAPP-BAILEYS', 'WHATSAPP-BUSINESS', 'EVOLUTION'].includes(integration)) bad('Invalid integration');
    const at = nowIso();
    const id = randomUUID();
    const inst: SimInstance = {
      id,
      name: instanceName,
      token: str(body.token) || randomUUID().toUpperCase(),
      integration: integration as string,
      state: 'close',
      qr: { count: 0, pairingCode: null },
      sessionBase64: false,
      settings: {
        rejectCall: body.rejectCall === true,
        msgCall: str(body.msgCall) ?? '',
        groupsIgnore: body.groupsIgnore === true,
        alwaysOnline: body.alwaysOnline === true,
        readMessages: body.readMessages === true,
        readStatus: body.readStatus === true,
        syncFullHistory: body.syncFullHistory === true,
        wavoipToken: str(body.wavoipToken) ?? '',
      },
      messages: new Map(),
      createdAt: at,
      updatedAt: at,
    };
    const webhook = asRec(body.webhook);
    if (str(webhook.url)) inst.webhook = this.webhookRow(inst, { ...webhook, enabled: true });
    this.instances.set(instanceName, inst);
    if (body.qrcode === true) await this.startConnecting(inst, str(body.number));
    const response: Rec = {
      instance: { instanceName, instanceId: id, integration, webhookWaBusiness: null, accessTokenWaBusiness: '', status: inst.state },
      hash: inst.token,
      webhook: {
        webhookUrl: inst.webhook?.url,
        webhookHeaders: inst.webhook?.headers ?? undefined,
        webhookByEvents: inst.webhook?.webhookByEvents,
        webhookBase64: inst.webhook?.webhookBase64,
      },
      websocket: {},
      rabbitmq: {},
      nats: {},
      sqs: {},
      settings: inst.settings,
    };
    if (inst.state === 'connecting') response.qrcode = this.qrCode(inst);
    return { status: 201, body: response };
  }

  private fetchInstances(req: HarnessRequest): HarnessResponse {
    const key = req.headers.apikey;
    let visible = [...this.instances.values()];
    if (key !== this.adminToken) {
      visible = visible.filter((i) => i.token === key);
      if (!key || visible.length === 0) throw new HttpFail(401, 'Unauthorized');
    }
    const { instanceName, instanceId, number } = req.query;
    if (instanceName) visible = visible.filter((i) => i.name === instanceName);
    if (instanceId) visible = visible.filter((i) => i.id === instanceId);
    if (number) visible = visible.filter((i) => i.ownerJid?.startsWith(digits(number)));
    return { status: 200, body: visible.map((i) => this.instanceRow(i)) };
  }

  /** The Prisma `Instance` row with the relations `fetchInstances` includes. */
  private instanceRow(inst: SimInstance): Rec {
    return {
      id: inst.id,
      name: inst.name,
      connectionStatus: inst.state,
      ownerJid: inst.ownerJid ?? null,
      profileName: inst.profileName ?? null,
      profilePicUrl: null,
      integration: inst.integration,
      number: inst.pairNumber ?? null,
      businessId: null,
      token: inst.token,
      clientName: 'evolution',
      disconnectionReasonCode: inst.disconnection?.code ?? null,
      disconnectionObject: null,
      disconnectionAt: inst.disconnection?.at ?? null,
      createdAt: inst.createdAt,
      updatedAt: inst.updatedAt,
      Chatwoot: null,
      Proxy: null,
      Rabbitmq: null,
      Nats: null,
      Sqs: null,
      Websocket: null,
      Setting: { id: `set-${inst.id}`, ...inst.settings, createdAt: inst.createdAt, updatedAt: inst.updatedAt, instanceId: inst.id },
      _count: { Message: inst.messages.size, Contact: 0, Chat: 0 },
    };
  }

  private async connect(inst: SimInstance, number?: string): Promise<HarnessResponse> {
    if (inst.state === 'open') return { status: 200, body: { instance: { instanceName: inst.name, state: 'open' } } };
    // While connecting Evolution returns the current QR and ignores a new number.
    if (inst.state === 'close') await this.startConnecting(inst, number);
    return { status: 200, body: this.qrCode(inst) };
  }

  private async restart(inst: SimInstance): Promise<HarnessResponse> {
    if (inst.state === 'close') {
      return { status: 200, body: { error: true, message: `BadRequestException: The "${inst.name}" instance is not connected` } };
    }
    if (inst.state === 'connecting') {
      await this.startConnecting(inst, inst.pairNumber);
      return { status: 200, body: this.qrCode(inst) };
    }
    // A paired session reconnects with its stored credentials and re-reads the webhook settings.
    inst.sessionBase64 = inst.webhook?.webhookBase64 ?? false;
    await this.emit(inst, 'CONNECTION_UPDATE', { instance: inst.name, state: 'connecting', statusReason: 200 });
    await this.open(inst);
    return { status: 200, body: { instance: { instanceName: inst.name, state: 'open' } } };
  }

  private async logout(inst: SimInstance): Promise<HarnessResponse> {
    if (inst.state === 'close') bad(`The "${inst.name}" instance is not connected`);
    await this.closeSession(inst, 401);
    return { status: 200, body: { status: 'SUCCESS', error: false, response: { message: 'Instance logged out' } } };
  }

  private async remove(inst: SimInstance): Promise<HarnessResponse> {
    if (inst.state !== 'close') await this.closeSession(inst, 401);
    await this.emit(inst, 'INSTANCE_DELETE', { instanceName: inst.name, instanceId: inst.id });
    this.stopTimers(inst);
    this.instances.delete(inst.name);
    return { status: 200, body: { status: 'SUCCESS', error: false, response: { message: 'Instance deleted' } } };
  }

  private setSettings(inst: SimInstance, body: Rec): HarnessResponse {
    const booleans = ['rejectCall', 'groupsIgnore', 'alwaysOnline', 'readMessages', 'readStatus', 'syncFullHistory'] as const;
    requireProps(body, [...booleans]);
    const wrong = booleans.filter((k) => typeof body[k] !== 'boolean');
    if (wrong.length) bad(wrong.map((k) => `instance.${k} is not of a type(s) boolean`));
    if (body.msgCall !== undefined && typeof body.msgCall !== 'string') bad('instance.msgCall is not of a type(s) string');
    for (const k of booleans) inst.settings[k] = body[k] as boolean;
    inst.settings.msgCall = str(body.msgCall) ?? '';
    if (typeof body.wavoipToken === 'string') inst.settings.wavoipToken = body.wavoipToken;
    inst.updatedAt = nowIso();
    return { status: 201, body: { settings: { instanceName: inst.name, instanceId: inst.id, settings: { ...inst.settings } } } };
  }

  private webhookRow(inst: SimInstance, webhook: Rec): WebhookRow {
    const events = Array.isArray(webhook.events) ? webhook.events : [];
    const unknown = events.filter((e) => typeof e !== 'string' || !EVENTS.has(e));
    if (unknown.length) bad(unknown.map((e) => `instance.webhook.events is not one of enum values: ${String(e)}`));
    const url = str(webhook.url) ?? '';
    if (webhook.enabled !== false && !/^https?:\/\/[^\s/]+/.test(url)) bad('Invalid "url" property');
    const headers = asRec(webhook.headers);
    const at = nowIso();
    return {
      id: inst.webhook?.id ?? dbId(),
      url,
      headers: Object.keys(headers).length ? (headers as Record<string, string>) : null,
      enabled: webhook.enabled !== false,
      events: events as string[],
      webhookByEvents: webhook.byEvents === true,
      webhookBase64: webhook.base64 === true,
      createdAt: inst.webhook?.createdAt ?? at,
      updatedAt: at,
      instanceId: inst.id,
    };
  }

  private setWebhook(inst: SimInstance, body: Rec): HarnessResponse {
    requireProps(body, ['webhook']);
    const webhook = asRec(body.webhook);
    requireProps(webhook, ['enabled', 'url']);
    if (typeof webhook.enabled !== 'boolean') bad('instance.webhook.enabled is not of a type(s) boolean');
    inst.webhook = this.webhookRow(inst, webhook);
    return { status: 201, body: inst.webhook };
  }

  // ---- sending -----------------------------------------------------------------------------------

  private requireOpen(inst: SimInstance): void {
    if (inst.state !== 'open') bad('Error: Connection Closed');
  }

  /** `number` → JID the way Evolution's `createJid` does, then the `onWhatsApp` check. */
  private destination(number: unknown): string {
    if (typeof number !== 'string' || !number.trim()) bad('instance requires property "number"');
    const n = (number as string).trim();
    let jid: string;
    if (n.includes('@')) jid = jidOf(n);
    // Old group ids are `<creator>-<timestamp>`; new ones are bare digits of 18 or more.
    else if (/^\d+-\d+$/.test(n) || digits(n).length >= 18) jid = `${n.replace(/[^\d-]/g, '')}@g.us`;
    else jid = `${digits(n)}@s.whatsapp.net`;
    const user = jid.split('@')[0] as string;
    if (jid.endsWith('@s.whatsapp.net') && this.notOnWa.has(user)) bad([{ jid, exists: false, number: user }]);
    return jid;
  }

  private async waitDelay(delay: unknown): Promise<void> {
    if (typeof delay === 'number' && delay > 0) await sleep(Math.min(delay, this.options.maxDelayMs ?? 250));
  }

  private quoteContext(inst: SimInstance, id: string): Rec {
    const stored = inst.messages.get(id);
    const context: Rec = { stanzaId: id };
    if (stored) {
      context.participant = stored.fromMe ? inst.ownerJid : (stored.participant ?? stored.remoteJid);
      const { base64: _b, mediaUrl: _u, ...quoted } = stored.message;
      context.quotedMessage = quoted;
    }
    return context;
  }

  private store(inst: SimInstance, message: StoredMessage): void {
    const id = String(message.key.id);
    inst.messages.set(id, message);
  }

  /** Common tail of every send: store, record, answer 201, echo `send.message`, optional acks. */
  private finishSend(
    inst: SimInstance,
    remoteJid: string,
    parts: { message: Rec; messageType: string; contextInfo?: Rec; media?: StoredMessage['media'] },
    record: Omit<SentMessage, 'instance' | 'messageId' | 'to' | 'at'>,
  ): HarnessResponse {
    const id = webMessageId();
    const key = { remoteJid, fromMe: true, id };
    const data = preparedMessage({
      key,
      pushName: 'Você',
      status: 'PENDING',
      message: parts.message,
      contextInfo: parts.contextInfo,
      messageType: parts.messageType,
      instanceId: inst.id,
      source: 'web',
    });
    this.store(inst, { key, message: parts.message, messageType: parts.messageType, remoteJid, fromMe: true, media: parts.media });
    this.sentLog.push({ instance: inst.name, messageId: id, to: sentTo(remoteJid), ...record, at: Date.now() });
    void this.emit(inst, 'SEND_MESSAGE', data);
    this.scheduleAcks(inst, id);
    return { status: 201, body: data };
  }

  private scheduleAcks(inst: SimInstance, id: string): void {
    const ms = this.options.autoAckMs;
    if (ms === undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const stored = inst.messages.get(id);
      if (!stored || !this.instances.has(inst.name)) return;
      const base = { keyId: id, remoteJid: stored.remoteJid, fromMe: true, instanceId: inst.id };
      void this.emit(inst, 'MESSAGES_UPDATE', { ...base, status: 'SERVER_ACK', messageId: dbId() }).then(() =>
        this.emit(inst, 'MESSAGES_UPDATE', { ...base, status: 'DELIVERY_ACK', messageId: dbId() }),
      );
    }, ms);
    this.timers.add(timer);
  }

  /** `contextInfo` of a send: the quote Evolution loads from its database, and mentions. */
  private sendContext(inst: SimInstance, body: Rec): Rec {
    const quotedId = str(asRec(asRec(body.quoted).key).id);
    const mentioned = Array.isArray(body.mentioned) ? body.mentioned.map((m) => `${digits(String(m))}@s.whatsapp.net`) : [];
    return {
      ...(quotedId ? this.quoteContext(inst, quotedId) : {}),
      mentionedJid: mentioned,
      groupMentions: [],
      ephemeralSettingTimestamp: long(Math.floor(Date.now() / 1000) - 86_400, false),
      disappearingMode: { initiator: 0 },
    };
  }

  private validateQuotedAndMentions(body: Rec): void {
    if (body.quoted !== undefined && !str(asRec(asRec(body.quoted).key).id)) bad('instance.quoted.key requires property "id"');
    if (body.mentioned !== undefined) {
      if (!Array.isArray(body.mentioned)) bad('instance.mentioned is not of a type(s) array');
      const list = body.mentioned as unknown[];
      if (list.length < 1) bad('instance.mentioned does not meet minimum length of 1');
      if (list.some((m) => typeof m !== 'string' || !/^\d+/.test(m))) bad('"mentioned" must be an array of numeric strings');
    }
  }

  private replyId(body: Rec): string | undefined {
    return str(asRec(asRec(body.quoted).key).id);
  }

  private async sendText(inst: SimInstance, body: Rec): Promise<HarnessResponse> {
    requireProps(body, ['number', 'text']);
    this.validateQuotedAndMentions(body);
    const text = str(body.text);
    if (!text?.trim()) bad('Text is required');
    this.requireOpen(inst);
    const jid = this.destination(body.number);
    await this.waitDelay(body.delay);
    // prepareMessage flattens extendedTextMessage (replies, previews, mentions) into `conversation`.
    return this.finishSend(
      inst,
      jid,
      { message: { conversation: text }, messageType: 'conversation', contextInfo: this.sendContext(inst, body) },
      { type: 'text', text, replyToId: this.replyId(body) },
    );
  }

  /** URL or raw base64 media → bytes (URL bytes only when fetching is on). */
  private async mediaBytes(media: unknown): Promise<{ data?: Buffer; url?: string; base64?: string }> {
    if (typeof media !== 'string' || !media) bad('Owned media must be a url or base64');
    const value = media as string;
    if (/^https?:\/\//i.test(value)) {
      if (!this.options.fetchMediaUrls) return { url: value };
      try {
        const response = await fetch(value, { signal: AbortSignal.timeout(15_000) });
        if (!response.ok) bad(`Error: Request failed with status code ${response.status}`);
        return { url: value, data: Buffer.from(await response.arrayBuffer()) };
      } catch (error) {
        if (error instanceof HttpFail) throw error;
        bad(`Error: ${(error as Error).message}`);
      }
    }
    if (!BASE64.test(value.replace(/\s+/g, ''))) bad('Owned media must be a url or base64');
    return { base64: value, data: Buffer.from(value, 'base64') };
  }

  private async sendMediaKind(
    inst: SimInstance,
    body: Rec,
    kind: SimMediaKind,
    field: string,
    options: { mimeType: string; caption?: string; fileName?: string; requestedMime?: string; quote: boolean },
  ): Promise<HarnessResponse> {
    const source = await this.mediaBytes(body[field]);
    this.requireOpen(inst);
    const jid = this.destination(body.number);
    await this.waitDelay(body.delay);
    const data = source.data ?? Buffer.from(source.url ?? '');
    const nodeName = NODE_BY_KIND[kind];
    const node = mediaNode(kind, data, { mimeType: options.mimeType, caption: options.caption, fileName: options.fileName });
    const contextInfo = options.quote ? this.sendContext(inst, body) : undefined;
    if (contextInfo) node.contextInfo = contextInfo;
    return this.finishSend(
      inst,
      jid,
      {
        message: { [nodeName]: node },
        messageType: nodeName,
        contextInfo,
        media: source.data
          ? { data: source.data, mimeType: String(node.mimetype), fileName: options.fileName, caption: options.caption }
          : undefined,
      },
      {
        type: kind,
        caption: options.caption,
        fileName: options.fileName,
        mimeType: options.requestedMime ?? String(node.mimetype),
        mediaUrl: source.url,
        mediaBase64: source.base64,
        replyToId: options.quote ? this.replyId(body) : undefined,
      },
    );
  }

  private async sendMedia(inst: SimInstance, body: Rec): Promise<HarnessResponse> {
    requireProps(body, ['number', 'mediatype']);
    this.validateQuotedAndMentions(body);
    const mediatype = str(body.mediatype) ?? '';
    if (!['image', 'document', 'video', 'audio'].includes(mediatype))
      bad('instance.mediatype is not one of enum values: image,document,video,audio');
    const fileName = str(body.fileName);
    const media = str(body.media) ?? '';
    if (mediatype === 'document' && !fileName && !/^https?:\/\//i.test(media)) bad('For base64 the file name must be informed.');
    // The extension of fileName decides the mimetype; images are always re-encoded to JPEG.
    const ext = fileName?.split('.').pop()?.toLowerCase() ?? '';
    const requested = str(body.mimetype);
    const mimeType =
      mediatype === 'image' ? 'image/jpeg' : (MEDIA_MIME_BY_EXT[ext] ?? requested ?? DEFAULT_MIME[mediatype] ?? 'application/octet-stream');
    return this.sendMediaKind(inst, body, mediatype as SimMediaKind, 'media', {
      mimeType,
      caption: str(body.caption),
      fileName,
      requestedMime: requested,
      quote: true,
    });
  }

  private async sendAudio(inst: SimInstance, body: Rec): Promise<HarnessResponse> {
    requireProps(body, ['number', 'audio']);
    this.validateQuotedAndMentions(body);
    // 2.3.7 ignores `quoted` on voice notes.
    const voice = body.encoding !== false;
    return this.sendMediaKind(inst, body, voice ? 'voice' : 'audio', 'audio', {
      mimeType: voice ? 'audio/ogg; codecs=opus' : 'audio/mpeg',
      quote: false,
    });
  }

  private async sendSticker(inst: SimInstance, body: Rec): Promise<HarnessResponse> {
    requireProps(body, ['number', 'sticker']);
    this.validateQuotedAndMentions(body);
    return this.sendMediaKind(inst, body, 'sticker', 'sticker', { mimeType: 'image/webp', quote: true });
  }

  private async sendLocation(inst: SimInstance, body: Rec): Promise<HarnessResponse> {
    requireProps(body, ['number', 'latitude', 'longitude', 'name', 'address']);
    this.validateQuotedAndMentions(body);
    if (typeof body.latitude !== 'number' || typeof body.longitude !== 'number') bad('instance.latitude is not of a type(s) number');
    this.requireOpen(inst);
    const jid = this.destination(body.number);
    await this.waitDelay(body.delay);
    const node: Rec = { degreesLatitude: body.latitude, degreesLongitude: body.longitude, name: body.name, address: body.address };
    return this.finishSend(
      inst,
      jid,
      { message: { locationMessage: node }, messageType: 'locationMessage', contextInfo: this.sendContext(inst, body) },
      {
        type: 'location',
        latitude: body.latitude as number,
        longitude: body.longitude as number,
        text: str(body.name) || undefined,
        replyToId: this.replyId(body),
      },
    );
  }

  private async sendContact(inst: SimInstance, body: Rec): Promise<HarnessResponse> {
    requireProps(body, ['number', 'contact']);
    const entries = Array.isArray(body.contact) ? body.contact.map(asRec) : [];
    if (entries.length < 1) bad('instance.contact does not meet minimum length of 1');
    for (const e of entries) {
      requireProps(e, ['fullName', 'phoneNumber']);
      if (!str(e.fullName)) bad('The "fullName" cannot be empty');
      if ((str(e.phoneNumber) ?? '').length < 10) bad('instance.contact[0].phoneNumber does not meet minimum length of 10');
      if (e.wuid !== undefined && !/^\d{10,}$/.test(String(e.wuid))) bad('"wuid" must be a numeric string');
    }
    this.requireOpen(inst);
    const jid = this.destination(body.number);
    await this.waitDelay(body.delay);
    const cards = entries.map((e) => ({
      displayName: String(e.fullName),
      vcard: vcard({
        fullName: String(e.fullName),
        wuid: str(e.wuid),
        phoneNumber: String(e.phoneNumber),
        organization: str(e.organization),
        email: str(e.email),
        url: str(e.url),
      }),
    }));
    const single = cards.length === 1;
    const message = single
      ? { contactMessage: cards[0] }
      : { contactsArrayMessage: { displayName: `${cards.length} contacts`, contacts: cards } };
    return this.finishSend(
      inst,
      jid,
      { message, messageType: single ? 'contactMessage' : 'contactsArrayMessage', contextInfo: this.sendContext(inst, body) },
      {
        type: 'contact',
        contactName: String(entries[0]?.fullName),
        contactPhones: entries.map((e) => String(e.phoneNumber)),
        replyToId: this.replyId(body),
      },
    );
  }

  private validateKey(key: Rec, where: string): void {
    const missing = ['id', 'remoteJid', 'fromMe'].filter((k) => key[k] === undefined);
    if (missing.length) bad(missing.map((k) => `${where} requires property "${k}"`));
    if (!str(key.id) || !str(key.remoteJid)) bad(`The "${!str(key.id) ? 'id' : 'remoteJid'}" cannot be empty`);
    if (typeof key.fromMe !== 'boolean') bad(`${where}.fromMe is not of a type(s) boolean`);
  }

  private async sendReaction(inst: SimInstance, body: Rec): Promise<HarnessResponse> {
    requireProps(body, ['key', 'reaction']);
    const key = asRec(body.key);
    this.validateKey(key, 'instance.key');
    if (typeof body.reaction !== 'string') bad('instance.reaction is not of a type(s) string');
    this.requireOpen(inst);
    const remoteJid = jidOf(String(key.remoteJid));
    const node = { key, text: body.reaction, senderTimestampMs: long(Date.now(), false) };
    return this.finishSend(
      inst,
      remoteJid,
      { message: { reactionMessage: node }, messageType: 'reactionMessage' },
      { type: 'reaction', emoji: String(body.reaction), targetId: String(key.id) },
    );
  }

  private updateMessage(inst: SimInstance, body: Rec): HarnessResponse {
    requireProps(body, ['number', 'text', 'key']);
    const key = asRec(body.key);
    this.validateKey(key, 'instance.key');
    if (!str(body.text)) bad('The "text" cannot be empty');
    this.requireOpen(inst);
    const id = String(key.id);
    const stored = inst.messages.get(id);
    if (!stored) throw new HttpFail(404, ['Message not found']);
    if (!stored.fromMe) bad('You cannot edit others messages');
    if (jidOf(String(key.remoteJid)) !== stored.remoteJid) bad('RemoteJid does not match');
    const response = protocolMessageResponse(
      stored.remoteJid,
      { remoteJid: key.remoteJid, fromMe: key.fromMe, id },
      'MESSAGE_EDIT',
      String(body.text),
    );
    if (stored.messageType === 'conversation') stored.message = { ...stored.message, conversation: body.text };
    this.sentLog.push({
      instance: inst.name,
      messageId: String(asRec(response.key).id),
      to: sentTo(stored.remoteJid),
      type: 'edit',
      text: String(body.text),
      targetId: id,
      at: Date.now(),
    });
    void this.emit(inst, 'SEND_MESSAGE_UPDATE', asRec(response.message).protocolMessage);
    return { status: 201, body: response };
  }

  private deleteMessage(inst: SimInstance, body: Rec): HarnessResponse {
    this.validateKey(body, 'instance');
    if (body.participant !== undefined && !str(body.participant)) bad('The "participant" cannot be empty');
    this.requireOpen(inst);
    const id = String(body.id);
    const remoteJid = jidOf(String(body.remoteJid));
    const target: Rec = { remoteJid: body.remoteJid, fromMe: body.fromMe, id };
    if (body.participant) target.participant = body.participant;
    const response = protocolMessageResponse(remoteJid, target, 'REVOKE');
    this.sentLog.push({
      instance: inst.name,
      messageId: String(asRec(response.key).id),
      to: sentTo(remoteJid),
      type: 'delete',
      targetId: id,
      at: Date.now(),
    });
    const stored = inst.messages.get(id);
    if (stored) void this.emit(inst, 'MESSAGES_DELETE', { ...stored.key, status: 'DELETED' });
    return { status: 200, body: response };
  }

  private markRead(inst: SimInstance, body: Rec): HarnessResponse {
    requireProps(body, ['readMessages']);
    const keys = Array.isArray(body.readMessages) ? body.readMessages.map(asRec) : [];
    if (keys.length < 1) bad('instance.readMessages does not meet minimum length of 1');
    for (const [i, k] of keys.entries()) this.validateKey(k, `instance.readMessages[${i}]`);
    this.requireOpen(inst);
    for (const k of keys) {
      const remoteJid = String(k.remoteJid);
      this.reads.push({
        instance: inst.name,
        remoteJid,
        id: String(k.id),
        fromMe: k.fromMe as boolean,
        skipped: remoteJid.endsWith('@lid'),
      });
    }
    return { status: 201, body: { message: 'Read messages', read: 'success' } };
  }

  private async sendPresence(inst: SimInstance, body: Rec): Promise<HarnessResponse> {
    requireProps(body, ['number', 'presence', 'delay']);
    const presence = str(body.presence) ?? '';
    if (!['unavailable', 'available', 'composing', 'recording', 'paused'].includes(presence)) {
      bad('instance.presence is not one of enum values: unavailable,available,composing,recording,paused');
    }
    if (typeof body.delay !== 'number') bad('instance.delay is not of a type(s) number');
    this.requireOpen(inst);
    const jid = this.destination(body.number);
    this.presenceLog.push({ instance: inst.name, number: sentTo(jid), presence, delay: body.delay as number });
    await this.waitDelay(body.delay);
    return { status: 201, body: { presence } };
  }

  private getBase64(inst: SimInstance, body: Rec): HarnessResponse {
    const id = str(asRec(asRec(body.message).key).id);
    if (!id) bad('instance.message.key requires property "id"');
    const stored = inst.messages.get(id as string);
    if (!stored?.media)
      bad(stored ? 'The message is not of the media type' : "TypeError: Cannot read properties of undefined (reading 'message')");
    const media = stored?.media as NonNullable<StoredMessage['media']>;
    const node = asRec(stored?.message[stored.messageType]);
    const ext = (media.mimeType.split('/')[1] ?? 'bin').split(';')[0];
    return {
      status: 201,
      body: {
        mediaType: stored?.messageType,
        fileName: media.fileName ?? `${id}.${ext}`,
        caption: media.caption,
        size: { fileLength: node.fileLength, height: node.height, width: node.width },
        mimetype: media.mimeType,
        base64: media.data.toString('base64'),
        buffer: null,
      },
    };
  }

  private whatsappNumbers(body: Rec): HarnessResponse {
    const numbers = Array.isArray(body.numbers) ? body.numbers.map(String) : [];
    if (numbers.length < 1) bad('instance.numbers does not meet minimum length of 1');
    return {
      status: 201,
      body: numbers.map((n) => {
        if (n.includes('@')) return { jid: jidOf(n), exists: true, number: n };
        const d = digits(n);
        return { jid: `${d}@s.whatsapp.net`, exists: !this.notOnWa.has(d), number: d };
      }),
    };
  }

  private serveMedia(path: string): HarnessResponse {
    const [, , , name, id] = path.split('/');
    const stored = this.instances.get(decodeURIComponent(name ?? ''))?.messages.get(id ?? '');
    if (!stored?.media) return { status: 404, body: { error: 'NoSuchKey' } };
    return { status: 200, body: stored.media.data, headers: { 'content-type': stored.media.mimeType } };
  }

  // ---- inbound message building ------------------------------------------------------------------

  /** The `key` of an inbound message with the addressing a real server would use (LID or phone). */
  private inboundKey(inst: SimInstance, input: InboundMessageInput, id: string): { key: Rec; chatJid: string; participant?: string } {
    const fromMe = input.fromMe ?? false;
    const chat = jidOf(input.from);
    if (chat.endsWith('@g.us')) {
      const author = fromMe ? (inst.ownerJid as string) : jidOf(input.participant ?? '');
      if (!fromMe && !input.participant) throw new Error('evolution simulator: a group message needs a participant');
      if (input.lid && !fromMe) {
        const lid = lidOf(input.lid);
        this.lidByPhoneJid.set(author, lid);
        return {
          key: { remoteJid: chat, remoteJidAlt: null, fromMe, id, participant: lid, participantAlt: author, addressingMode: 'lid' },
          chatJid: chat,
          participant: lid,
        };
      }
      return { key: { remoteJid: chat, fromMe, id, participant: author, addressingMode: 'pn' }, chatJid: chat, participant: author };
    }
    if (chat.endsWith('@lid')) return { key: { remoteJid: chat, fromMe, id, participant: '', addressingMode: 'lid' }, chatJid: chat };
    const lid = input.lid ? lidOf(input.lid) : this.lidByPhoneJid.get(chat);
    if (!lid) return { key: { remoteJid: chat, fromMe, id, participant: '', addressingMode: 'pn' }, chatJid: chat };
    this.lidByPhoneJid.set(chat, lid);
    const remoteJid = (this.options.lidAddressing ?? 'lid-alt') === 'lid-alt' ? lid : chat;
    return { key: { remoteJid, remoteJidAlt: chat, fromMe, id, participant: '', addressingMode: 'lid' }, chatJid: chat };
  }

  private inboundContent(
    inst: SimInstance,
    input: InboundMessageInput,
    key: Rec,
  ): { message: Rec; messageType: string; media?: StoredMessage['media'] } {
    const device = { messageContextInfo: { deviceListMetadataVersion: 2 } };
    if (input.media) {
      const { kind, data, mimeType, fileName, caption } = input.media;
      const nodeName = NODE_BY_KIND[kind];
      return {
        message: { [nodeName]: mediaNode(kind, data, { mimeType, caption, fileName }), ...device },
        messageType: nodeName,
        media: { data, mimeType: kind === 'voice' ? 'audio/ogg; codecs=opus' : mimeType, fileName, caption },
      };
    }
    if (input.location) {
      const { latitude, longitude, name } = input.location;
      const node: Rec = { degreesLatitude: latitude, degreesLongitude: longitude };
      if (name) node.name = name;
      return { message: { locationMessage: node, ...device }, messageType: 'locationMessage' };
    }
    if (input.contact) {
      const { name, phone } = input.contact;
      return {
        message: { contactMessage: { displayName: name, vcard: vcard({ fullName: name, phoneNumber: `+${digits(phone)}` }) }, ...device },
        messageType: 'contactMessage',
      };
    }
    if (input.reaction) {
      const target = inst.messages.get(input.reaction.targetId);
      const reactionKey: Rec = {
        remoteJid: target?.key.remoteJid ?? key.remoteJid,
        fromMe: target?.fromMe ?? false,
        id: input.reaction.targetId,
      };
      if (target?.participant) reactionKey.participant = target.participant;
      return {
        message: {
          reactionMessage: { key: reactionKey, text: input.reaction.emoji, senderTimestampMs: long(Date.now(), false) },
          ...device,
        },
        messageType: 'reactionMessage',
      };
    }
    return { message: { conversation: input.text ?? '', ...device }, messageType: 'conversation' };
  }

  /** A contact edits a message: `messages.edited` (editor's view) then, 2.3.7, `messages.update`. */
  private async receiveEdit(inst: SimInstance, input: InboundMessageInput): Promise<string> {
    const edit = input.edit as { targetId: string; text: string };
    const fromMe = input.fromMe ?? false;
    const target = inst.messages.get(edit.targetId);
    const chatJid = target?.remoteJid ?? jidOf(input.from);
    const protocolId = fromMe ? webMessageId() : phoneMessageId();
    const editorKey = fromMe
      ? { remoteJid: chatJid, fromMe: true, id: edit.targetId }
      : { remoteJid: inst.ownerJid, fromMe: true, id: edit.targetId };
    await this.emit(inst, 'MESSAGES_EDITED', {
      key: editorKey,
      type: 'MESSAGE_EDIT',
      editedMessage: { conversation: edit.text },
      timestampMs: String(Date.now()),
    });
    if (target) {
      if (target.messageType === 'conversation') target.message = { ...target.message, conversation: edit.text };
      await this.emit(inst, 'MESSAGES_UPDATE', {
        keyId: edit.targetId,
        remoteJid: target.key.remoteJid,
        fromMe: target.fromMe,
        participant: target.participant ?? '',
        status: 'SERVER_ACK',
        instanceId: inst.id,
        message: { editedMessage: { message: { conversation: edit.text } } },
        messageId: dbId(),
      });
    }
    return protocolId;
  }

  /** A contact deletes a message for everyone: `messages.edited` REVOKE, then `messages.delete`. */
  private async receiveDelete(inst: SimInstance, input: InboundMessageInput): Promise<string> {
    const targetId = input.deleteOf as string;
    const target = inst.messages.get(targetId);
    const protocolId = phoneMessageId();
    await this.emit(inst, 'MESSAGES_EDITED', { key: { remoteJid: inst.ownerJid, fromMe: true, id: targetId }, type: 'REVOKE' });
    // Evolution needs the original in its database to report the delete.
    if (target) await this.emit(inst, 'MESSAGES_DELETE', { ...target.key, status: 'DELETED' });
    return protocolId;
  }
}

export async function startEvolutionSimulator(options: EvolutionSimulatorOptions = {}): Promise<EvolutionSimulator> {
  return new EvolutionSimulator(options).start();
}
