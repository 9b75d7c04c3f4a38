// Every Evolution fixture in shared/contracts/evolution/fixtures: webhooks are parsed and their canonical
// events asserted field by field; request fixtures are compared with what the adapter sends (recorded
// by the simulator) and response fixtures are fed back (as canned simulator answers) and parsed.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CanonicalEvent, InstanceCredentials, ParsedWebhook } from '@whatpro/domain';
import { type EvolutionSimulator, startEvolutionSimulator } from '@whatpro/simulators';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../src/errors.ts';
import { createEvolutionAdapter, EVOLUTION_WEBHOOK_EVENTS, type EvolutionAdapter } from '../src/evolution/adapter.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/contracts/evolution/fixtures');
const used = new Set<string>();
// biome-ignore lint/suspicious/noExplicitAny: fixtures are arbitrary JSON, read field by field below
function fx(name: string): any {
  used.add(name);
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
}

const only = (parsed: ParsedWebhook): CanonicalEvent => {
  expect(parsed.events).toHaveLength(1);
  return parsed.events[0] as CanonicalEvent;
};

const DATE_TIME_MS = Date.parse('2025-11-16T17:49:42.155Z');
const MARIA = { jid: '5511988887777@s.whatsapp.net', phoneE164: '+5511988887777' };
const MARIA_LID = '76201477542116@lid';
const OWNER = { jid: '5511900000001@s.whatsapp.net', phoneE164: '+5511900000001' };

describe('Evolution webhook fixtures → canonical events', () => {
  const adapter = createEvolutionAdapter({ baseUrl: 'http://127.0.0.1:9', adminToken: 'unused' });
  const parse = (name: string) => adapter.parseWebhook(fx(name));

  it('messages-upsert-text (2.3.6 LID addressing: remoteJid is the LID, the phone in remoteJidAlt)', () => {
    const parsed = parse('messages-upsert-text');
    expect(parsed.instanceKey).toBe('acme-support');
    expect(parsed.instanceToken).toBe('<instance-token-redacted>');
    expect(parsed.ignored).toEqual([]);
    expect(only(parsed)).toEqual({
      kind: 'message',
      dedupeKey: 'message:ACF74C317ABADED4BE7EDC7E41BE13EE',
      timestamp: 1763326182000,
      messageId: 'ACF74C317ABADED4BE7EDC7E41BE13EE',
      chat: { ...MARIA, lid: MARIA_LID, name: 'Maria Cliente', isGroup: false },
      sender: { ...MARIA, lid: MARIA_LID, name: 'Maria Cliente' },
      fromMe: false,
      content: { type: 'text', text: 'Teste envio de mensagem' },
    });
  });

  it('messages-upsert-text-v2.3.7 (remoteJid == remoteJidAlt, both the phone)', () => {
    const parsed = parse('messages-upsert-text-v2.3.7');
    expect(parsed.instanceToken).toBeUndefined();
    expect(only(parsed)).toEqual({
      kind: 'message',
      dedupeKey: 'message:AC9103D165AE397609A6A20D78FF248E',
      timestamp: 1785100386000,
      messageId: 'AC9103D165AE397609A6A20D78FF248E',
      chat: { ...MARIA, name: 'João', isGroup: false },
      sender: { ...MARIA, name: 'João' },
      fromMe: false,
      content: { type: 'text', text: 'Mensagem de teste' },
    });
  });

  it('messages-upsert-reply: the quote is the hoisted contextInfo, quoting our own message', () => {
    const ev = only(parse('messages-upsert-reply'));
    expect(ev).toEqual({
      kind: 'message',
      dedupeKey: 'message:3EB0A1B2C3D4E5F6A7B8C9',
      timestamp: 1763326300000,
      messageId: '3EB0A1B2C3D4E5F6A7B8C9',
      chat: { ...MARIA, name: 'Maria Cliente', isGroup: false },
      sender: { ...MARIA, name: 'Maria Cliente' },
      fromMe: false,
      content: { type: 'text', text: 'Sim, pode confirmar para amanhã' },
      replyTo: { id: '3EB0F00DBABE1234567890', chatJid: MARIA.jid, participant: OWNER.jid, fromMe: true },
    });
  });

  const mediaHandle = (messageId: string, messageType: string) => ({ messageId, remoteJid: MARIA.jid, fromMe: false, messageType });

  it('messages-upsert-image: inline base64, caption, Long file size; the encrypted CDN url is not exposed', () => {
    const data = fx('messages-upsert-image').data;
    const ev = only(parse('messages-upsert-image'));
    expect(ev).toEqual({
      kind: 'message',
      dedupeKey: 'message:3EB048C0AB1E127EE87BF5',
      timestamp: 1763326400000,
      messageId: '3EB048C0AB1E127EE87BF5',
      chat: { ...MARIA, name: 'Maria Cliente', isGroup: false },
      sender: { ...MARIA, name: 'Maria Cliente' },
      fromMe: false,
      content: {
        type: 'image',
        caption: 'Foto do produto com defeito',
        media: {
          mimeType: 'image/jpeg',
          sizeBytes: 52341,
          base64: data.message.base64,
          handle: mediaHandle('3EB048C0AB1E127EE87BF5', 'imageMessage'),
        },
      },
    });
  });

  it('messages-upsert-audio: ptt:true is a voice note, fetched later by message id', () => {
    const ev = only(parse('messages-upsert-audio'));
    expect(ev.kind === 'message' && ev.content).toEqual({
      type: 'voice',
      media: { mimeType: 'audio/ogg; codecs=opus', sizeBytes: 52341, handle: mediaHandle('3EB0A3758C6CC7EF8F9AFE', 'audioMessage') },
    });
    expect(ev).toMatchObject({
      messageId: '3EB0A3758C6CC7EF8F9AFE',
      timestamp: 1763326460000,
      fromMe: false,
      chat: { ...MARIA, isGroup: false },
    });
  });

  it('messages-upsert-document: file name and caption', () => {
    const ev = only(parse('messages-upsert-document'));
    expect(ev.kind === 'message' && ev.content).toEqual({
      type: 'document',
      caption: 'Segue o boleto',
      media: {
        mimeType: 'application/pdf',
        fileName: 'boleto-novembro.pdf',
        sizeBytes: 52341,
        handle: mediaHandle('3A9B06FB98F554B49212', 'documentMessage'),
      },
    });
    expect(ev).toMatchObject({ messageId: '3A9B06FB98F554B49212', timestamp: 1763326520000, sender: { ...MARIA, name: 'Maria Cliente' } });
  });

  it('messages-upsert-video', () => {
    const ev = only(parse('messages-upsert-video'));
    expect(ev.kind === 'message' && ev.content).toEqual({
      type: 'video',
      caption: 'Vídeo do problema',
      media: { mimeType: 'video/mp4', sizeBytes: 52341, handle: mediaHandle('3EB0D1E2F3A4B5C6D7E8F9', 'videoMessage') },
    });
    expect(ev).toMatchObject({ messageId: '3EB0D1E2F3A4B5C6D7E8F9', timestamp: 1763326580000 });
  });

  it('messages-upsert-sticker', () => {
    const ev = only(parse('messages-upsert-sticker'));
    expect(ev.kind === 'message' && ev.content).toEqual({
      type: 'sticker',
      media: { mimeType: 'image/webp', sizeBytes: 52341, handle: mediaHandle('3EB0C0FFEE0123456789AB', 'stickerMessage') },
    });
    expect(ev).toMatchObject({ messageId: '3EB0C0FFEE0123456789AB', timestamp: 1763326640000 });
  });

  it('messages-upsert-group: group chat, author by LID with the phone in participantAlt', () => {
    expect(only(parse('messages-upsert-group'))).toEqual({
      kind: 'message',
      dedupeKey: 'message:A585495F94301632990CDD3F399B1C13',
      timestamp: 1763327000000,
      messageId: 'A585495F94301632990CDD3F399B1C13',
      chat: { jid: '5541900000000-1488774100@g.us', isGroup: true },
      sender: { jid: '5583900000002@s.whatsapp.net', phoneE164: '+5583900000002', lid: '112928179142781@lid', name: 'Ronaldo S.' },
      fromMe: false,
      content: { type: 'text', text: 'https://www.youtube.com/live/W5eW_HAFPcw' },
    });
  });

  it('messages-upsert-fromme: typed on the phone, the sender is the instance owner', () => {
    expect(only(parse('messages-upsert-fromme'))).toEqual({
      kind: 'message',
      dedupeKey: 'message:3A5E0C2D9F8B7A6C5D4E',
      timestamp: 1763327100000,
      messageId: '3A5E0C2D9F8B7A6C5D4E',
      chat: { ...MARIA, isGroup: false },
      sender: { ...OWNER, name: 'Acme Suporte' },
      fromMe: true,
      content: { type: 'text', text: 'Olá Maria, já estamos verificando.' },
    });
  });

  it('messages-upsert-reaction: target key kept as WhatsApp gives it', () => {
    const ev = only(parse('messages-upsert-reaction'));
    expect(ev).toMatchObject({ messageId: '3EB0ABCDEF0123456789AA', timestamp: 1763327150000, fromMe: false, sender: { ...MARIA } });
    expect(ev.kind === 'message' && ev.content).toEqual({
      type: 'reaction',
      emoji: '👍',
      target: { id: '3EB0F00DBABE1234567890', chatJid: MARIA.jid, fromMe: true },
    });
  });

  it('send-message: an API send echoed as fromMe, fromApi', () => {
    expect(only(parse('send-message'))).toEqual({
      kind: 'message',
      dedupeKey: 'message:3EB0F00DBABE1234567890',
      timestamp: 1763327000000,
      messageId: '3EB0F00DBABE1234567890',
      chat: { ...MARIA, isGroup: false },
      // pushName "Você" is Evolution's placeholder, not a name.
      sender: { ...OWNER },
      fromMe: true,
      fromApi: true,
      content: { type: 'text', text: 'Podemos agendar para amanhã às 10h?' },
    });
  });

  it('messages-update-edit (2.3.7): the edit with its chat, from messages.update', () => {
    const ev = only(parse('messages-update-edit'));
    expect(ev).toMatchObject({
      kind: 'message',
      timestamp: DATE_TIME_MS,
      chat: { jid: MARIA_LID, lid: MARIA_LID, isGroup: false },
      sender: { jid: MARIA_LID, lid: MARIA_LID },
      fromMe: false,
      content: {
        type: 'edit',
        text: 'Sim, pode confirmar para amanhã às 11h',
        target: { id: '3EB0A1B2C3D4E5F6A7B8C9', chatJid: MARIA_LID, fromMe: false },
      },
    });
    expect(ev.kind === 'message' && ev.messageId).toMatch(/^3EB0A1B2C3D4E5F6A7B8C9:edit:[0-9a-f]{12}$/);
    expect(ev.dedupeKey).toMatch(/^edit:3EB0A1B2C3D4E5F6A7B8C9:[0-9a-f]{12}$/);
  });

  it('messages-edited: a contact edit keyed from the editor side is left to messages.update (no chat in it)', () => {
    const parsed = parse('messages-edited');
    expect(parsed.events).toEqual([]);
    expect(parsed.ignored).toEqual(['messages.edited']);
    // Both events of one edit share a dedupe key when messages.edited can be attributed (own-phone edit).
    const own = fx('messages-edited');
    own.data.key.remoteJid = MARIA.jid;
    const ownEdit = only(adapter.parseWebhook(own));
    expect(ownEdit).toMatchObject({ fromMe: true, timestamp: 1763327200456, chat: { ...MARIA }, sender: { ...OWNER } });
    const update = fx('messages-update-edit');
    update.data.remoteJid = MARIA.jid;
    update.data.fromMe = true;
    expect(only(adapter.parseWebhook(update)).dedupeKey).toBe(ownEdit.dedupeKey);
  });

  it('messages-update-status: READ of an incoming message read on the phone', () => {
    expect(only(parse('messages-update-status'))).toEqual({
      kind: 'status',
      dedupeKey: 'status:A5561E44C2A63682E4295B52F484C14E:read',
      timestamp: Date.parse('2025-09-24T21:37:57.432Z'),
      messageIds: ['A5561E44C2A63682E4295B52F484C14E'],
      chat: { jid: '200000000000@s.whatsapp.net', phoneE164: '+200000000000', isGroup: false },
      status: 'read',
      fromMe: false,
    });
    expect(parse('messages-update-status').instanceToken).toBe('myinstance');
  });

  it('messages-update-delivery: DELIVERY_ACK of our message', () => {
    expect(only(parse('messages-update-delivery'))).toEqual({
      kind: 'status',
      dedupeKey: 'status:3EB0F00DBABE1234567890:delivered',
      timestamp: DATE_TIME_MS,
      messageIds: ['3EB0F00DBABE1234567890'],
      chat: { ...MARIA, isGroup: false },
      status: 'delivered',
      fromMe: true,
    });
  });

  it('messages-delete: revoke by the contact, LID chat with the phone alternate', () => {
    expect(only(parse('messages-delete'))).toEqual({
      kind: 'message',
      dedupeKey: 'delete:3EB0A1B2C3D4E5F6A7B8C9',
      timestamp: DATE_TIME_MS,
      messageId: '3EB0A1B2C3D4E5F6A7B8C9:delete',
      chat: { ...MARIA, lid: MARIA_LID, isGroup: false },
      sender: { ...MARIA, lid: MARIA_LID },
      fromMe: false,
      content: { type: 'delete', target: { id: '3EB0A1B2C3D4E5F6A7B8C9', chatJid: MARIA.jid, fromMe: false } },
    });
  });

  it('connection-update (open) with the owner phone and profile', () => {
    expect(only(parse('connection-update'))).toEqual({
      kind: 'connection',
      dedupeKey: `connection:acme-support:open:200:${DATE_TIME_MS}`,
      timestamp: DATE_TIME_MS,
      state: 'open',
      jid: OWNER.jid,
      phoneE164: OWNER.phoneE164,
      profileName: 'Acme Suporte',
    });
  });

  it('connection-update connecting, close (401 = logged out) and refused (QR limit)', () => {
    expect(only(parse('connection-update-connecting'))).toEqual({
      kind: 'connection',
      dedupeKey: `connection:acme-support:connecting:200:${DATE_TIME_MS}`,
      timestamp: DATE_TIME_MS,
      state: 'connecting',
    });
    expect(only(parse('connection-update-close'))).toEqual({
      kind: 'connection',
      dedupeKey: `connection:acme-support:close:401:${DATE_TIME_MS}`,
      timestamp: DATE_TIME_MS,
      state: 'logged_out',
      reason: '401',
    });
    expect(only(parse('connection-update-refused'))).toEqual({
      kind: 'connection',
      dedupeKey: `connection:acme-support:refused:428:${DATE_TIME_MS}`,
      timestamp: DATE_TIME_MS,
      state: 'closed',
      reason: 'refused:428',
    });
  });

  it('qrcode-updated: the QR as a data URL; the limit message closes the attempt', () => {
    const data = fx('qrcode-updated').data;
    const qr = only(parse('qrcode-updated'));
    expect(qr).toMatchObject({ kind: 'connection', timestamp: DATE_TIME_MS, state: 'connecting', qrCode: data.qrcode.base64 });
    expect(qr.kind === 'connection' && qr.pairCode).toBeUndefined();
    expect(qr.dedupeKey).toMatch(/^qr:acme-support:[0-9a-f]{12}$/);
    expect(only(parse('qrcode-updated-limit-reached'))).toEqual({
      kind: 'connection',
      dedupeKey: `connection:acme-support:qr-limit:${DATE_TIME_MS}`,
      timestamp: DATE_TIME_MS,
      state: 'closed',
      reason: 'QR code limit reached, please login again',
    });
  });

  it('presence-update: composing by LID (no phone in presence payloads)', () => {
    expect(only(parse('presence-update'))).toEqual({
      kind: 'presence',
      dedupeKey: `presence:acme-support:${MARIA_LID}:typing:${DATE_TIME_MS}`,
      timestamp: DATE_TIME_MS,
      chat: { jid: MARIA_LID, lid: MARIA_LID, isGroup: false },
      state: 'typing',
    });
  });

  it('call: an offer from a contact', () => {
    expect(only(parse('call'))).toEqual({
      kind: 'call',
      dedupeKey: 'call:A1B2C3D4E5F60718293A4B5C6D7E8F90:offer',
      timestamp: Date.parse('2025-11-16T20:58:10.000Z'),
      callId: 'A1B2C3D4E5F60718293A4B5C6D7E8F90',
      chat: { ...MARIA, isGroup: false },
      status: 'offer',
      isVideo: false,
    });
  });

  it('status-instance, contacts-upsert and chats-upsert are recognised and ignored', () => {
    for (const [name, event] of [
      ['status-instance-closed', 'status.instance'],
      ['contacts-upsert-from-message', 'contacts.upsert'],
      ['chats-upsert', 'chats.upsert'],
    ] as const) {
      const parsed = parse(name);
      expect(parsed.instanceKey).toBe('acme-support');
      expect(parsed.events).toEqual([]);
      expect(parsed.ignored).toEqual([event]);
    }
  });

  it('event names in UPPER_SNAKE form (relays, by-events routing) parse the same', () => {
    const body = fx('messages-upsert-text');
    const dotted = adapter.parseWebhook(body);
    const upper = adapter.parseWebhook({ ...body, event: 'MESSAGES_UPSERT' });
    expect(upper).toEqual(dotted);
    const presence = fx('presence-update');
    expect(adapter.parseWebhook({ ...presence, event: 'PRESENCE_UPDATE' }).events).toEqual(adapter.parseWebhook(presence).events);
  });
});

describe('Evolution request and response fixtures', () => {
  let sim: EvolutionSimulator;
  let adapter: EvolutionAdapter;
  const inst: InstanceCredentials = { name: 'acme-support', token: '5F3C9A1E-7B2D-4E8F-A6C1-0D9E8F7A6B5C' };

  beforeAll(async () => {
    sim = await startEvolutionSimulator();
    adapter = createEvolutionAdapter({
      baseUrl: sim.baseUrl,
      adminToken: sim.adminToken,
      timeoutMs: 5000,
      pairCodeWait: { attempts: 1, intervalMs: 10 },
    });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  /** The simulator answers the next call to `path` with this fixture body. */
  const answer = (pathPrefix: string, body: unknown, status = 201) => sim.fail({ path: pathPrefix, status, body });
  const lastRequest = (pathPrefix: string) => {
    const list = sim.requests({ path: pathPrefix });
    expect(list).toHaveLength(1);
    return list[0] as NonNullable<(typeof list)[number]>;
  };

  it('instance-create-request / -response: global key, nested webhook, token from `hash`', async () => {
    answer('/instance/create', fx('instance-create-response'));
    const created = await adapter.createInstance({
      name: 'acme-support',
      webhook: { url: 'https://hub.example.com/webhooks/evolution/acme-support' },
    });
    expect(created).toEqual({ name: 'acme-support', id: 'af6c5b7c-ee27-4f94-9ea8-192393746ddd', token: inst.token, status: 'connecting' });
    const req = lastRequest('/instance/create');
    expect(req.method).toBe('POST');
    expect(req.headers.apikey).toBe(sim.adminToken);
    const fixture = fx('instance-create-request');
    expect(req.body).toMatchObject({ instanceName: fixture.instanceName, integration: fixture.integration });
    expect(req.body).toMatchObject({ webhook: { url: fixture.webhook.url, byEvents: false, base64: true } });
    // Documented differences: the Hub connects separately (qrcode:false), lets Evolution generate the
    // token, applies settings through /settings/set, signs nothing (path secret) and also wants CALL.
    expect(req.body).toMatchObject({ qrcode: false });
    const body = req.body as { webhook: { events: string[]; headers?: unknown }; token?: string };
    expect(body.token).toBeUndefined();
    expect(body.webhook.headers).toBeUndefined();
    expect(body.webhook.events).toEqual([...fixture.webhook.events, 'CALL']);
  });

  it('instance-create-response-docs-v2 (stale shape): token in hash.apikey, status "created" → closed', async () => {
    answer('/instance/create', fx('instance-create-response-docs-v2'));
    expect(await adapter.createInstance({ name: 'teste-docs' })).toEqual({
      name: 'teste-docs',
      id: 'af6c5b7c-ee27-4f94-9ea8-192393746ddd',
      token: '123456',
      status: 'closed',
    });
    expect(lastRequest('/instance/create').body).not.toHaveProperty('webhook');
  });

  it('connect-response (QR and pair code) and connect-response-already-open', async () => {
    const fixture = fx('connect-response');
    answer('/instance/connect', fixture, 200);
    expect(await adapter.connect(inst, { phone: '+55 11 98888-7777' })).toEqual({
      state: 'connecting',
      qrCode: fixture.base64,
      pairCode: 'WZYEH1YY',
    });
    const req = lastRequest('/instance/connect/acme-support');
    expect(req.method).toBe('GET');
    expect(req.query).toEqual({ number: '5511988887777' });
    expect(req.headers.apikey).toBe(inst.token);

    answer('/instance/connect', fx('connect-response-already-open'), 200);
    expect(await adapter.connect(inst)).toEqual({ state: 'open' });
  });

  it('connection-state-response with fetch-instances-response: owner phone and profile of an open instance', async () => {
    answer('/instance/connectionState', fx('connection-state-response'), 200);
    answer('/instance/fetchInstances', fx('fetch-instances-response'), 200);
    expect(await adapter.getConnection(inst)).toEqual({
      state: 'open',
      jid: '5511900000001@s.whatsapp.net',
      phoneE164: '+5511900000001',
      profileName: 'Acme Suporte',
    });
    expect(lastRequest('/instance/fetchInstances').query).toEqual({ instanceName: 'acme-support' });
  });

  it('fetch-instances-response → listInstances with the global key', async () => {
    answer('/instance/fetchInstances', fx('fetch-instances-response'), 200);
    expect(await adapter.listInstances()).toEqual([
      {
        name: 'acme-support',
        id: 'af6c5b7c-ee27-4f94-9ea8-192393746ddd',
        token: inst.token,
        state: 'open',
        jid: '5511900000001@s.whatsapp.net',
        phoneE164: '+5511900000001',
        profileName: 'Acme Suporte',
      },
    ]);
    expect(lastRequest('/instance/fetchInstances').headers.apikey).toBe(sim.adminToken);
  });

  it('logout-response and delete-response', async () => {
    answer('/instance/logout', fx('logout-response'), 200);
    await expect(adapter.disconnect(inst)).resolves.toBeUndefined();
    expect(lastRequest('/instance/logout/acme-support').method).toBe('DELETE');
    answer('/instance/delete', fx('delete-response'), 200);
    await expect(adapter.deleteInstance(inst)).resolves.toBeUndefined();
    expect(lastRequest('/instance/delete/acme-support').method).toBe('DELETE');
  });

  it('settings-set-request: every setting mapped to its Evolution field', async () => {
    answer('/settings/set', { settings: { instanceName: 'acme-support', settings: fx('settings-find-response') } });
    const result = await adapter.updateSettings(inst, {
      rejectCalls: true,
      rejectCallMessage: 'Não atendemos ligações por aqui.',
      ignoreGroups: false,
      alwaysOnline: false,
      autoReadMessages: false,
      readStatus: false,
      syncFullHistory: false,
    });
    expect(result.unsupported).toEqual([]);
    expect(result.applied.sort()).toEqual(
      ['alwaysOnline', 'autoReadMessages', 'ignoreGroups', 'readStatus', 'rejectCallMessage', 'rejectCalls', 'syncFullHistory'].sort(),
    );
    expect(sim.requests({ path: '/settings/find' })).toHaveLength(0);
    expect(lastRequest('/settings/set').body).toEqual(fx('settings-set-request'));
  });

  it('settings-find-response: a partial update keeps the current values (all booleans are required)', async () => {
    answer('/settings/find', fx('settings-find-response'), 200);
    answer('/settings/set', {});
    expect(await adapter.updateSettings(inst, { alwaysOnline: true })).toEqual({ applied: ['alwaysOnline'], unsupported: [] });
    const { wavoipToken: _unused, ...current } = fx('settings-find-response');
    expect(lastRequest('/settings/set').body).toEqual({ ...current, alwaysOnline: true });
  });

  it('webhook-set-request (and the webhook-find-response row the simulator keeps)', async () => {
    answer('/webhook/set', fx('webhook-find-response'));
    await adapter.configureWebhook(inst, { url: 'https://hub.example.com/webhooks/evolution/acme-support' });
    const fixture = fx('webhook-set-request');
    const { headers: _signed, ...unsigned } = fixture.webhook;
    expect(lastRequest('/webhook/set/acme-support').body).toEqual({ webhook: { ...unsigned, events: [...unsigned.events, 'CALL'] } });
    expect(EVOLUTION_WEBHOOK_EVENTS).toEqual([...fixture.webhook.events, 'CALL']);

    // The simulator's /webhook/find answers with the same row shape as the captured one.
    const created = await adapter.createInstance({ name: `fx-${Date.now()}`, webhook: { url: 'https://hub.example.com/x' } });
    const found = await fetch(`${sim.baseUrl}/webhook/find/${created.name}`, { headers: { apikey: created.token } }).then(
      (r) => r.json() as Promise<Record<string, unknown>>,
    );
    expect(Object.keys(found).sort()).toEqual(Object.keys(fx('webhook-find-response')).sort());
    expect(found).toMatchObject({
      url: 'https://hub.example.com/x',
      enabled: true,
      webhookByEvents: false,
      webhookBase64: true,
      events: [...EVOLUTION_WEBHOOK_EVENTS],
    });
  });

  it('send-text-request / send-text-response: reply by id, delay, link preview', async () => {
    answer('/message/sendText', fx('send-text-response'));
    const result = await adapter.send(inst, {
      type: 'text',
      to: '+55 (11) 98888-7777',
      text: 'Olá Maria! *Pedido 123* confirmado.',
      replyTo: { id: '3EB0A1B2C3D4E5F6A7B8C9' },
      delayMs: 1200,
      linkPreview: false,
      mentions: [],
    });
    expect(result).toEqual({ messageId: '3EB0F00DBABE1234567890', timestamp: 1763327000000 });
    const req = lastRequest('/message/sendText/acme-support');
    expect(req.headers.apikey).toBe(inst.token);
    // Documented difference: an empty `mentioned` is omitted, the 2.3.x schema requires minItems 1.
    const { mentioned: _empty, ...fixture } = fx('send-text-request');
    expect(req.body).toEqual(fixture);
  });

  it('send-text-response-docs-v2: the raw Baileys shape with a string timestamp', async () => {
    answer('/message/sendText', fx('send-text-response-docs-v2'));
    expect(await adapter.send(inst, { type: 'text', to: '553198296801', text: 'Olá!' })).toEqual({
      messageId: 'BAE594145F4C59B4',
      timestamp: 1717689097000,
    });
  });

  it('send-media-request / send-media-response-docs-v2: document from a URL with file name', async () => {
    answer('/message/sendMedia', fx('send-media-response-docs-v2'));
    const result = await adapter.send(inst, {
      type: 'document',
      to: '5511988887777',
      source: { url: 'https://files.example.com/boletos/boleto-novembro.pdf' },
      mimeType: 'application/pdf',
      caption: 'Segue o boleto',
      fileName: 'boleto-novembro.pdf',
      delayMs: 1200,
    });
    expect(result).toEqual({ messageId: 'BAE5F5A632EAE722', timestamp: 1717775575000 });
    expect(lastRequest('/message/sendMedia').body).toEqual(fx('send-media-request'));
  });

  it('send-audio-request: a voice note through sendWhatsAppAudio with encoding', async () => {
    answer('/message/sendWhatsAppAudio', fx('send-text-response'));
    await adapter.send(inst, {
      type: 'voice',
      to: '5511988887777',
      source: { url: 'https://files.example.com/audio/resposta.mp3' },
      delayMs: 800,
    });
    expect(lastRequest('/message/sendWhatsAppAudio').body).toEqual(fx('send-audio-request'));
  });

  it('send-reaction-request / send-reaction-response-docs-v2', async () => {
    answer('/message/sendReaction', fx('send-reaction-response-docs-v2'));
    const result = await adapter.send(inst, {
      type: 'reaction',
      to: '5511988887777',
      target: { id: '3EB0A1B2C3D4E5F6A7B8C9', chatJid: '5511988887777@s.whatsapp.net', fromMe: false },
      emoji: '👍',
    });
    expect(result).toEqual({ messageId: 'BAE569F0E38F858D', timestamp: 1717781105000 });
    expect(lastRequest('/message/sendReaction').body).toEqual(fx('send-reaction-request'));
  });

  it('send-presence-request / send-presence-response', async () => {
    answer('/chat/sendPresence', fx('send-presence-response'));
    await adapter.setPresence(inst, '+5511988887777', 'typing', 3000);
    expect(lastRequest('/chat/sendPresence/acme-support').body).toEqual(fx('send-presence-request'));
  });

  it('mark-read-request / mark-read-response', async () => {
    answer('/chat/markMessageAsRead', fx('mark-read-response'));
    await adapter.markRead(inst, '+5511988887777', [
      { id: '3EB0A1B2C3D4E5F6A7B8C9', chatJid: '5511988887777@s.whatsapp.net', fromMe: false },
    ]);
    expect(lastRequest('/chat/markMessageAsRead').body).toEqual(fx('mark-read-request'));
  });

  it('delete-message-request / delete-message-response-docs-v2 (DELETE with a body)', async () => {
    answer('/chat/deleteMessageForEveryone', fx('delete-message-response-docs-v2'), 200);
    const result = await adapter.send(inst, {
      type: 'delete',
      to: '5511988887777',
      target: { id: '3EB0F00DBABE1234567890', chatJid: '5511988887777@s.whatsapp.net', fromMe: true },
    });
    expect(result).toEqual({ messageId: 'BAE5EABBD912C4E2', timestamp: 1718108455000 });
    const req = lastRequest('/chat/deleteMessageForEveryone');
    expect(req.method).toBe('DELETE');
    expect(req.body).toEqual(fx('delete-message-request'));
  });

  it('update-message-request / update-message-response: edit of our own message', async () => {
    answer('/chat/updateMessage', fx('update-message-response'));
    const result = await adapter.send(inst, {
      type: 'edit',
      to: '5511988887777',
      target: { id: '3EB0F00DBABE1234567890', chatJid: '5511988887777@s.whatsapp.net', fromMe: true },
      text: 'Pedido 123 confirmado para 11h',
    });
    expect(result).toEqual({ messageId: '3EB0C1D2E3F4A5B6C7D8E9', timestamp: 1763327300000 });
    expect(lastRequest('/chat/updateMessage').body).toEqual(fx('update-message-request'));
  });

  it('get-base64-request / get-base64-response: media fetched by message id', async () => {
    answer('/chat/getBase64FromMediaMessage', fx('get-base64-response'));
    const image = only(adapter.parseWebhook(fx('messages-upsert-audio')));
    if (image.kind !== 'message' || image.content.type !== 'voice') throw new Error('expected a voice note');
    const media = { ...image.content.media, handle: { ...image.content.media.handle, messageId: '3EB048C0AB1E127EE87BF5' } };
    const file = await adapter.downloadMedia(inst, media);
    expect(file).toEqual({
      data: Buffer.from(fx('get-base64-response').base64, 'base64'),
      mimeType: 'image/jpeg',
      fileName: '3EB048C0AB1E127EE87BF5.jpeg',
    });
    expect(lastRequest('/chat/getBase64FromMediaMessage').body).toEqual(fx('get-base64-request'));
  });

  it('whatsapp-numbers-request / -response: the simulator checks numbers like onWhatsApp', async () => {
    const created = await adapter.createInstance({ name: `fx-num-${Date.now()}` });
    sim.notOnWhatsApp('551188887777');
    const response = await fetch(`${sim.baseUrl}/chat/whatsappNumbers/${created.name}`, {
      method: 'POST',
      headers: { apikey: created.token, 'content-type': 'application/json' },
      body: JSON.stringify(fx('whatsapp-numbers-request')),
    });
    expect(response.status).toBe(201);
    const expected = fx('whatsapp-numbers-response').map(({ name: _name, ...rest }: Record<string, unknown>) => rest);
    expect(await response.json()).toEqual(expected);
  });

  it('chatwoot-set-request: the Hub never turns on Evolution’s own Chatwoot integration', async () => {
    const chatwootKeys = Object.keys(fx('chatwoot-set-request'));
    answer('/instance/create', fx('instance-create-response'));
    await adapter.createInstance({ name: 'acme-support', webhook: { url: 'https://hub.example.com/w' } });
    const flat = Object.keys(lastRequest('/instance/create').body as object);
    expect(flat.filter((k) => k.startsWith('chatwoot'))).toEqual([]);
    expect(chatwootKeys.filter((k) => flat.includes(k))).toEqual([]);
    expect(sim.requests({ path: /^\/chatwoot\// })).toEqual([]);
  });

  describe('error fixtures', () => {
    const failWith = async (name: string, status: number) => {
      answer('/instance/connectionState', fx(name), status);
      try {
        await adapter.getConnection(inst);
      } catch (error) {
        expect(error).toBeInstanceOf(ProviderError);
        return error as ProviderError;
      }
      throw new Error('expected a failure');
    };

    it('error-400-not-on-whatsapp keeps the provider’s number check in the message', async () => {
      const error = await failWith('error-400-not-on-whatsapp', 400);
      expect(error.kind).toBe('bad_request');
      expect(error.retryable).toBe(false);
      expect(error.providerMessage).toBe('{"jid":"551188887777@s.whatsapp.net","exists":false,"number":"551188887777"}');
    });

    it('error-401, error-403-name-in-use, error-404-instance', async () => {
      expect(await failWith('error-401', 401)).toMatchObject({ kind: 'unauthorized', providerMessage: 'Unauthorized', retryable: false });
      expect(await failWith('error-403-name-in-use', 403)).toMatchObject({
        kind: 'forbidden',
        providerMessage: 'This name "instance-example-name" is already in use.',
      });
      expect(await failWith('error-404-instance', 404)).toMatchObject({
        kind: 'not_found',
        providerMessage: 'The "invalid-instance" instance does not exist',
      });
    });

    it('error-503-license-required-v2.4 is a retryable server error', async () => {
      const error = await failWith('error-503-license-required-v2.4', 503);
      expect(error).toMatchObject({
        kind: 'server',
        retryable: true,
        httpStatus: 503,
        providerMessage: fx('error-503-license-required-v2.4').message,
      });
    });

    it('the simulator produces the same error bodies as the fixtures', async () => {
      const call = (p: string, init: RequestInit = {}) =>
        fetch(`${sim.baseUrl}${p}`, init).then(async (r) => ({ status: r.status, body: await r.json() }));
      expect(await call('/instance/connectionState/invalid-instance', { headers: { apikey: sim.adminToken } })).toEqual({
        status: 404,
        body: fx('error-404-instance'),
      });
      const created = await adapter.createInstance({ name: 'instance-example-name' });
      expect(await call('/instance/connectionState/instance-example-name', { headers: { apikey: 'wrong' } })).toEqual({
        status: 401,
        body: fx('error-401'),
      });
      const again = await call('/instance/create', {
        method: 'POST',
        headers: { apikey: sim.adminToken, 'content-type': 'application/json' },
        body: JSON.stringify({ instanceName: 'instance-example-name', integration: 'WHATSAPP-BAILEYS' }),
      });
      expect(again).toEqual({ status: 403, body: fx('error-403-name-in-use') });

      await adapter.connect({ name: created.name, token: created.token });
      await sim.completePairing(created.name, '+5511900000001');
      sim.notOnWhatsApp('551188887777');
      const notOnWa = await call(`/message/sendText/${created.name}`, {
        method: 'POST',
        headers: { apikey: created.token, 'content-type': 'application/json' },
        body: JSON.stringify({ number: '551188887777', text: 'oi' }),
      });
      expect(notOnWa).toEqual({ status: 400, body: fx('error-400-not-on-whatsapp') });
    });
  });

  it('covers every fixture in the folder', () => {
    const all = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''));
    expect(all).toHaveLength(67);
    for (const name of all) {
      if (!used.has(name)) throw new Error(`fixture ${name} is not asserted by any test`);
    }
  });
});
