// ProviderAdapter for Uazapi GO (uazapi.md). Two credentials travel as plain headers: `admintoken` for
// server-level calls (create, list) and the instance `token` for everything else.
import {
  type ChatAddress,
  type ConnectionInfo,
  type CreatedInstance,
  canonicalPhone,
  type DownloadedMedia,
  type InstanceCredentials,
  isUserJid,
  type MediaRef,
  type MessageKeyRef,
  normalizeJid,
  type ParsedWebhook,
  type PresenceState,
  type ProviderAdapter,
  type ProviderCapabilities,
  type ProviderSettingKey,
  type ProviderSettings,
  phoneFromJid,
  type RemoteInstance,
  type SendCommand,
  type SendResult,
  type SettingsResult,
  toJid,
  type WebhookConfig,
} from '@whatpro/domain';
import { ProviderError } from '../errors.ts';
import { HttpClient, type RequestOptions } from '../http.ts';
import { asBool, asRecord, asString, toEpochMs } from '../parse.ts';
import { connectionStateOf, parseUazapiWebhook } from './webhook.ts';

export interface UazapiAdapterOptions {
  baseUrl: string;
  /** Server admin token (`admintoken` header): create and list instances. */
  adminToken: string;
  timeoutMs?: number;
  /** `/send/media` answers only after the server fetched the file itself. */
  mediaTimeoutMs?: number;
  /** Stamped as `track_source` on every send, so echoes of our sends are told from panel sends. */
  trackSource?: string;
  /** Wait between status polls when a pair code needs a fresh connect (uazapi.md §b). */
  pairRetryDelayMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The events the Hub needs; `excludeMessages` stays empty so API-send echoes arrive (uazapi.md §f.4). */
export const UAZAPI_WEBHOOK_EVENTS = ['connection', 'messages', 'messages_update', 'presence', 'call'] as const;

export const UAZAPI_CAPABILITIES: ProviderCapabilities = {
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
  // Uazapi has no instance switches for calls, auto-read, status reading or history (uazapi.md §b):
  // only the webhook's group filter and the instance presence map onto the canonical settings.
  settings: {
    rejectCalls: false,
    rejectCallMessage: false,
    ignoreGroups: true,
    alwaysOnline: true,
    autoReadMessages: false,
    readStatus: false,
    syncFullHistory: false,
  },
  pairCode: true,
  restart: true,
  rename: true,
  trackId: true,
  presence: { typing: true, recording: true, paused: true, available: true, unavailable: true },
};

const MEDIA_TYPE = { image: 'image', video: 'video', document: 'document', audio: 'audio', voice: 'ptt', sticker: 'sticker' } as const;
const CHAT_PRESENCE: Partial<Record<PresenceState, string>> = { typing: 'composing', recording: 'recording', paused: 'paused' };
const MAX_PRESENCE_MS = 300_000;

/**
 * The `number` field: digits for people (the JID suffix has been reported to fail), the full JID for
 * groups, LIDs and channels. Brazilian numbers are sent as given: WhatsApp may know the 8-digit form.
 */
export function uazapiNumber(address: ChatAddress): string {
  const a = address.trim();
  if (!a.includes('@')) return a.replace(/\D+/g, '');
  const j = normalizeJid(a);
  return isUserJid(j) ? (j.split('@')[0] as string) : j;
}

/** `{{name}}`-style placeholders are expanded by the server in texts and captions; agent text must stay literal. */
export const escapePlaceholders = (s: string): string => s.replace(/\{\{/g, '{\u200B{');

type Rec = Record<string, unknown>;
const str = (v: unknown): string | undefined => {
  const s = asString(v);
  return s ? s : undefined;
};

export class UazapiAdapter implements ProviderAdapter {
  readonly kind = 'uazapi' as const;
  readonly capabilities = UAZAPI_CAPABILITIES;
  private readonly http: HttpClient;
  private readonly trackSource: string;
  private readonly now: () => number;

  constructor(private readonly options: UazapiAdapterOptions) {
    this.http = new HttpClient({ provider: 'uazapi', baseUrl: options.baseUrl, timeoutMs: options.timeoutMs, fetch: options.fetch });
    this.trackSource = options.trackSource ?? 'whatpro';
    this.now = options.now ?? Date.now;
  }

  private admin<T = unknown>(req: RequestOptions & { raw?: false }): Promise<T> {
    return this.http.request<T>({ ...req, headers: { ...req.headers, admintoken: this.options.adminToken } });
  }

  private call<T = unknown>(instance: InstanceCredentials, req: RequestOptions & { raw?: false }): Promise<T> {
    return this.http.request<T>({ ...req, headers: { ...req.headers, token: instance.token } });
  }

  // ----- lifecycle ------------------------------------------------------------------------------

  async createInstance(input: { name: string; webhook?: WebhookConfig }): Promise<CreatedInstance> {
    let res: Rec | null;
    try {
      res = await this.admin<Rec>({ method: 'POST', path: '/instance/create', body: { name: input.name } });
    } catch (error) {
      // Older builds only know `/instance/init` (uazapi.md §b).
      if (!(error instanceof ProviderError) || (error.kind !== 'not_found' && error.kind !== 'method_not_allowed')) throw error;
      res = await this.admin<Rec>({ method: 'POST', path: '/instance/init', body: { name: input.name } });
    }
    const inst = asRecord(res?.instance);
    const token = str(res?.token) ?? str(inst?.token);
    if (!token) throw new ProviderError('uazapi', 'invalid_response', 'uazapi created an instance without returning its token');
    const created: CreatedInstance = {
      name: str(inst?.name) ?? str(res?.name) ?? input.name,
      token,
      status: connectionStateOf(inst?.status ?? 'disconnected'),
    };
    const id = str(inst?.id);
    if (id) created.id = id;
    if (input.webhook) await this.configureWebhook(created, input.webhook);
    return created;
  }

  async listInstances(): Promise<RemoteInstance[]> {
    const res = await this.admin<unknown>({ path: '/instance/all' });
    const list = Array.isArray(res) ? res : (asRecord(res)?.instances ?? []);
    if (!Array.isArray(list)) throw new ProviderError('uazapi', 'invalid_response', 'uazapi listed instances in an unknown shape');
    return list.flatMap((item) => {
      const r = asRecord(item);
      const name = str(r?.name);
      const token = str(r?.token);
      if (!r || !name || !token) return [];
      const state = connectionStateOf(r.status, r.lastDisconnectReason);
      const owner = asString(r.owner) ?? '';
      const phone = state === 'open' ? (canonicalPhone(owner) ?? undefined) : undefined;
      const remote: RemoteInstance = { name, token, state };
      if (str(r.id)) remote.id = str(r.id);
      if (phone) {
        remote.phoneE164 = phone;
        remote.jid = `${owner.replace(/\D+/g, '')}@s.whatsapp.net`;
      }
      if (str(r.profileName)) remote.profileName = str(r.profileName);
      return [remote];
    });
  }

  /** Reads both `/instance/connect` and `/instance/status` answers. */
  private connectionInfo(res: unknown): ConnectionInfo {
    const r = asRecord(res) ?? {};
    const inst = asRecord(r.instance) ?? {};
    const status = asRecord(r.status);
    const connected = asBool(status?.connected ?? r.connected) === true && asBool(status?.loggedIn ?? r.loggedIn) !== false;
    const state = connected ? 'open' : connectionStateOf(inst.status, inst.lastDisconnectReason);
    const rawJid = str(status?.jid) ?? str(r.jid);
    const jid = rawJid?.includes('@') ? normalizeJid(rawJid) : undefined;
    const info: ConnectionInfo = { state };
    if (state === 'connecting') {
      if (str(inst.qrcode)) info.qrCode = str(inst.qrcode);
      if (str(inst.paircode)) info.pairCode = str(inst.paircode);
    }
    if (state === 'open') {
      const owner = (asString(inst.owner) ?? '').replace(/\D+/g, '');
      const phone = (jid ? phoneFromJid(jid) : null) ?? canonicalPhone(owner);
      if (jid) info.jid = jid;
      else if (phone) info.jid = `${owner}@s.whatsapp.net`;
      if (phone) info.phoneE164 = phone;
      if (str(inst.profileName)) info.profileName = str(inst.profileName);
    } else if (str(inst.lastDisconnectReason)) {
      info.reason = str(inst.lastDisconnectReason);
    }
    return info;
  }

  async connect(instance: InstanceCredentials, options: { phone?: string } = {}): Promise<ConnectionInfo> {
    const phone = options.phone?.replace(/\D+/g, '');
    const body = phone ? { phone } : {};
    const info = this.connectionInfo(await this.call(instance, { method: 'POST', path: '/instance/connect', body }));
    if (!phone || info.pairCode || info.state !== 'connecting') return info;
    // A pair code is only issued from `disconnected`; asked while connecting the server returns the
    // current QR. Disconnect, wait for the state to settle, and ask again (uazapi.md §b).
    await this.disconnect(instance);
    const delay = this.options.pairRetryDelayMs ?? 500;
    for (let i = 0; i < 4; i++) {
      if ((await this.getConnection(instance)).state !== 'connecting') break;
      await new Promise((r) => setTimeout(r, delay));
    }
    return this.connectionInfo(await this.call(instance, { method: 'POST', path: '/instance/connect', body }));
  }

  async getConnection(instance: InstanceCredentials): Promise<ConnectionInfo> {
    return this.connectionInfo(await this.call(instance, { path: '/instance/status' }));
  }

  async disconnect(instance: InstanceCredentials): Promise<void> {
    await this.call(instance, { method: 'POST', path: '/instance/disconnect' });
  }

  async restart(instance: InstanceCredentials): Promise<ConnectionInfo> {
    await this.call(instance, { method: 'POST', path: '/instance/reset' });
    return this.getConnection(instance);
  }

  async deleteInstance(instance: InstanceCredentials): Promise<void> {
    await this.call(instance, { method: 'DELETE', path: '/instance' });
  }

  async rename(instance: InstanceCredentials, name: string): Promise<void> {
    await this.call(instance, { method: 'POST', path: '/instance/updateInstanceName', body: { name } });
  }

  async updateSettings(instance: InstanceCredentials, settings: ProviderSettings): Promise<SettingsResult> {
    const given = (Object.keys(settings) as ProviderSettingKey[]).filter((k) => settings[k] !== undefined);
    const result: SettingsResult = { applied: [], unsupported: given.filter((k) => !this.capabilities.settings[k]) };
    if (settings.alwaysOnline !== undefined) {
      const presence = settings.alwaysOnline ? 'available' : 'unavailable';
      await this.call(instance, { method: 'POST', path: '/instance/presence', body: { presence } });
      result.applied.push('alwaysOnline');
    }
    if (settings.ignoreGroups !== undefined) {
      const current = await this.currentWebhook(instance);
      if (!current) {
        throw new ProviderError('uazapi', 'conflict', 'uazapi ignores groups through the webhook filter: configure the webhook first');
      }
      await this.postWebhook(
        instance,
        { url: str(current.url) as string, enabled: asBool(current.enabled) ?? true },
        settings.ignoreGroups,
      );
      result.applied.push('ignoreGroups');
    }
    return result;
  }

  private async currentWebhook(instance: InstanceCredentials): Promise<Rec | undefined> {
    const res = await this.call<unknown>(instance, { path: '/webhook' });
    const list = Array.isArray(res) ? res : [res];
    return list.map(asRecord).find((w): w is Rec => !!w && !!str(w.url));
  }

  private async postWebhook(instance: InstanceCredentials, webhook: WebhookConfig, ignoreGroups: boolean): Promise<void> {
    await this.call(instance, {
      method: 'POST',
      path: '/webhook',
      body: {
        enabled: webhook.enabled ?? true,
        url: webhook.url,
        events: [...UAZAPI_WEBHOOK_EVENTS],
        excludeMessages: ignoreGroups ? ['isGroupYes'] : [],
        addUrlEvents: false,
        addUrlTypesMessages: false,
      },
    });
  }

  async configureWebhook(instance: InstanceCredentials, webhook: WebhookConfig): Promise<void> {
    // Keep a group filter set through updateSettings: the simple-mode POST replaces the whole config.
    const current = await this.currentWebhook(instance);
    const ignoreGroups = Array.isArray(current?.excludeMessages) && current.excludeMessages.includes('isGroupYes');
    await this.postWebhook(instance, webhook, ignoreGroups);
  }

  // ----- messaging ------------------------------------------------------------------------------

  private result(res: unknown, command: SendCommand, fallbackId?: string): SendResult {
    const r = asRecord(res);
    const messageId = fallbackId ?? str(r?.messageid) ?? str(r?.id)?.split(':').pop();
    if (!messageId) throw new ProviderError('uazapi', 'invalid_response', `uazapi answered a ${command.type} send without a message id`);
    const out: SendResult = { messageId, timestamp: toEpochMs(r?.messageTimestamp ?? r?.timestamp, this.now()) };
    const trackId =
      str(r?.track_id) ??
      (command.type === 'reaction' || command.type === 'edit' || command.type === 'delete' ? undefined : command.trackId);
    if (trackId) out.trackId = trackId;
    return out;
  }

  async send(instance: InstanceCredentials, command: SendCommand): Promise<SendResult> {
    const number = uazapiNumber(command.to);
    const common = {
      number,
      replyid: command.replyTo?.id,
      delay: command.delayMs,
      track_source: this.trackSource,
      track_id: command.trackId,
    };
    const post = (path: string, body: Rec, timeoutMs?: number) => this.call(instance, { method: 'POST', path, body, timeoutMs });
    switch (command.type) {
      case 'text':
        return this.result(
          await post('/send/text', {
            ...common,
            text: escapePlaceholders(command.text),
            linkPreview: command.linkPreview,
            mentions: command.mentions?.length ? command.mentions.map(uazapiNumber).join(',') : undefined,
          }),
          command,
        );
      case 'image':
      case 'video':
      case 'document':
      case 'audio':
      case 'voice':
      case 'sticker': {
        const source = command.source;
        const body = {
          ...common,
          type: MEDIA_TYPE[command.type],
          file: 'url' in source ? source.url : source.base64,
          text: command.caption ? escapePlaceholders(command.caption) : undefined,
          docName: command.type === 'document' ? command.fileName : undefined,
          mimetype: command.mimeType ?? ('mimeType' in source ? source.mimeType : undefined),
        };
        const timeout = this.options.mediaTimeoutMs ?? Math.max(60_000, this.options.timeoutMs ?? 0);
        return this.result(await post('/send/media', body, timeout), command);
      }
      case 'location':
        return this.result(
          await post('/send/location', {
            ...common,
            latitude: command.latitude,
            longitude: command.longitude,
            name: command.name,
            address: command.address,
          }),
          command,
        );
      case 'contact':
        return this.result(
          await post('/send/contact', {
            ...common,
            fullName: command.name,
            phoneNumber: command.phones.map((p) => p.replace(/\D+/g, '')).join(','),
            organization: command.organization,
            email: command.email,
          }),
          command,
        );
      case 'reaction':
        return this.result(await post('/message/react', { number, text: command.emoji, id: command.target.id }), command);
      case 'edit':
        // The answer carries a NEW message id that points back through `edited`; the conversation keeps
        // knowing the message by its original id, so that is what the send reports.
        return this.result(
          await post('/message/edit', { id: command.target.id, text: escapePlaceholders(command.text) }),
          command,
          command.target.id,
        );
      case 'delete':
        return this.result(await post('/message/delete', { id: command.target.id }), command, command.target.id);
    }
  }

  async markRead(instance: InstanceCredentials, chat: ChatAddress, messages: MessageKeyRef[]): Promise<void> {
    if (messages.length === 0) {
      await this.call(instance, { method: 'POST', path: '/chat/read', body: { number: toJid(chat), read: true } });
      return;
    }
    const res = asRecord(await this.call(instance, { method: 'POST', path: '/message/markread', body: { id: messages.map((m) => m.id) } }));
    const failed = (Array.isArray(res?.results) ? res.results : []).map(asRecord).find((r) => asString(r?.status) === 'error');
    if (failed) {
      const message = str(failed.error) ?? 'unknown error';
      throw new ProviderError('uazapi', 'bad_request', `uazapi could not mark ${str(failed.message_id) ?? 'a message'} read: ${message}`, {
        providerMessage: message,
      });
    }
  }

  async setPresence(instance: InstanceCredentials, chat: ChatAddress, state: PresenceState, durationMs?: number): Promise<void> {
    const presence = CHAT_PRESENCE[state];
    if (!presence) {
      // WhatsApp's available/unavailable is global to the account, not per chat.
      await this.call(instance, { method: 'POST', path: '/instance/presence', body: { presence: state } });
      return;
    }
    const delay = durationMs === undefined ? undefined : Math.min(Math.max(0, Math.round(durationMs)), MAX_PRESENCE_MS);
    await this.call(instance, { method: 'POST', path: '/message/presence', body: { number: uazapiNumber(chat), presence, delay } });
  }

  async downloadMedia(instance: InstanceCredentials, media: MediaRef, message?: MessageKeyRef): Promise<DownloadedMedia> {
    const id = str(media.handle.messageId) ?? message?.id;
    if (!id) throw new ProviderError('uazapi', 'bad_request', 'uazapi media download needs the message id');
    // The webhook's `content.URL` is WhatsApp's encrypted blob; only the server can decrypt it. Voice
    // notes are asked for as they are (no MP3 transcoding) so the bytes match what the contact sent.
    const res = asRecord(
      await this.call(instance, {
        method: 'POST',
        path: '/message/download',
        body: { id, return_base64: false, return_link: true, generate_mp3: false },
        timeoutMs: this.options.mediaTimeoutMs ?? Math.max(60_000, this.options.timeoutMs ?? 0),
      }),
    );
    const mimeType = str(res?.mimetype) ?? media.mimeType;
    const done = (data: Buffer, contentType?: string): DownloadedMedia => {
      const out: DownloadedMedia = { data, mimeType: mimeType ?? contentType ?? 'application/octet-stream' };
      if (media.fileName) out.fileName = media.fileName;
      return out;
    };
    const fileUrl = str(res?.fileURL);
    if (!fileUrl) {
      const base64 = str(res?.base64Data);
      if (base64) return done(Buffer.from(base64.replace(/^data:[^,]*,/, ''), 'base64'));
      throw new ProviderError('uazapi', 'invalid_response', 'uazapi returned neither a file link nor file data');
    }
    // The link is public storage: fetched without the instance token, which must not leave for another host.
    const url = new URL(fileUrl);
    const files = new HttpClient({
      provider: 'uazapi',
      baseUrl: url.origin,
      timeoutMs: this.options.mediaTimeoutMs ?? 60_000,
      fetch: this.options.fetch,
    });
    const file = await files.request({ path: `${url.pathname}${url.search}`, raw: true });
    return done(file.data, file.contentType);
  }

  parseWebhook(body: unknown): ParsedWebhook {
    return parseUazapiWebhook(body, { trackSource: this.trackSource, now: this.now });
  }
}

export function createUazapiAdapter(options: UazapiAdapterOptions): UazapiAdapter {
  return new UazapiAdapter(options);
}
