// The Uazapi adapter against the captured and reconstructed REST payloads: what it sends for each
// request fixture, and what it reads out of each response fixture. The provider's answers are replayed
// from the fixtures through the adapter's `fetch` option.
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../src/errors.ts';
import { createProviderAdapter } from '../src/factory.ts';
import { createUazapiAdapter, escapePlaceholders, UAZAPI_WEBHOOK_EVENTS, uazapiNumber } from '../src/uazapi/adapter.ts';
import { uazapiFixture } from './uazapi-fixtures.ts';

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}
type Answer = { status?: number; body?: unknown; raw?: Buffer; contentType?: string };

/** Replays answers per `METHOD path` (or absolute URL) and records every call. */
function replay(answers: Record<string, Answer | Answer[]>) {
  const calls: Call[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const headers = Object.fromEntries(
      Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    calls.push({ method, url: url.toString(), headers, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    const key = url.origin === 'http://uazapi.test' ? `${method} ${url.pathname}` : `${method} ${url.toString()}`;
    const entry = answers[key];
    const answer = Array.isArray(entry) ? entry.shift() : entry;
    if (!answer) return new Response(JSON.stringify({ error: `no answer for ${key}` }), { status: 404 });
    if (answer.raw)
      return new Response(answer.raw, {
        status: answer.status ?? 200,
        headers: { 'content-type': answer.contentType ?? 'application/octet-stream' },
      });
    return new Response(JSON.stringify(answer.body ?? {}), {
      status: answer.status ?? 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  const adapter = createUazapiAdapter({
    baseUrl: 'http://uazapi.test/',
    adminToken: 'ADMIN-SECRET',
    trackSource: 'chatwoot-hub',
    fetch: fetchImpl,
    pairRetryDelayMs: 1,
    now: () => 1_700_000_000_000,
  });
  return { adapter, calls };
}

const INST = { name: 'hub-inst-01', id: 'r0a1b2c3d4e5f60', token: '00000000-0000-4000-8000-0000000000aa' };

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('Uazapi adapter: REST fixtures', () => {
  it('creates an instance with the admin token (instance-init-response)', async () => {
    const { adapter, calls } = replay({ 'POST /instance/create': { body: uazapiFixture('instance-init-response.json') } });
    const created = await adapter.createInstance({ name: 'hub-inst-01' });
    expect(created).toEqual({
      name: 'hub-inst-01',
      id: 'r0a1b2c3d4e5f60',
      token: '00000000-0000-4000-8000-0000000000aa',
      status: 'closed',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers.admintoken).toBe('ADMIN-SECRET');
    expect(calls[0]?.headers.token).toBeUndefined();
    expect(calls[0]?.body).toEqual({ name: 'hub-inst-01' });
  });

  it('falls back to /instance/init on builds without /instance/create, then registers the webhook', async () => {
    const { adapter, calls } = replay({
      'POST /instance/create': { status: 405, body: { error: 'Method Not Allowed' } },
      'POST /instance/init': { body: uazapiFixture('instance-init-response.json') },
      'GET /webhook': { body: [] },
      'POST /webhook': { body: [] },
    });
    const created = await adapter.createInstance({
      name: 'hub-inst-01',
      webhook: { url: 'https://hub.example.com/webhooks/uazapi/s3cr3t' },
    });
    expect(created.token).toBe(INST.token);
    expect(calls.map((c) => `${c.method} ${new URL(c.url).pathname}`)).toEqual([
      'POST /instance/create',
      'POST /instance/init',
      'GET /webhook',
      'POST /webhook',
    ]);
    expect(calls[3]?.headers.token).toBe(INST.token);
    expect(calls[3]?.body).toEqual({
      enabled: true,
      url: 'https://hub.example.com/webhooks/uazapi/s3cr3t',
      events: ['connection', 'messages', 'messages_update', 'presence', 'call'],
      excludeMessages: [],
      addUrlEvents: false,
      addUrlTypesMessages: false,
    });
  });

  it('does not fall back on other create failures, and needs the token in the answer', async () => {
    const denied = replay({ 'POST /instance/create': { status: 401, body: { error: 'Invalid AdminToken Header' } } });
    const e = await providerError(denied.adapter.createInstance({ name: 'x' }));
    expect(e.kind).toBe('unauthorized');
    expect(e.providerMessage).toBe('Invalid AdminToken Header');
    expect(e.message).not.toContain('ADMIN-SECRET');
    expect(denied.calls).toHaveLength(1);

    const tokenless = replay({ 'POST /instance/create': { body: { response: 'Instance created successfully', instance: { name: 'x' } } } });
    expect((await providerError(tokenless.adapter.createInstance({ name: 'x' }))).kind).toBe('invalid_response');
  });

  it('lists instances (instance-all-response), trusting the owner only when connected', async () => {
    const { adapter, calls } = replay({ 'GET /instance/all': { body: uazapiFixture('instance-all-response.json') } });
    expect(await adapter.listInstances()).toEqual([
      { name: 'instancia-1', id: 'r183e2ef9597845', token: 'abc123xyz', state: 'open', profileName: 'Meu WhatsApp' },
      { name: 'instancia-2', id: 'r283e2ef9597846', token: 'def456xyz', state: 'closed' },
    ]);
    expect(calls[0]?.headers.admintoken).toBe('ADMIN-SECRET');

    const live = replay({
      'GET /instance/all': { body: [{ name: 'a', token: 't', status: 'connected', owner: '553499990002' }, { name: 'no-token' }] },
    });
    expect(await live.adapter.listInstances()).toEqual([
      { name: 'a', token: 't', state: 'open', phoneE164: '+5534999990002', jid: '553499990002@s.whatsapp.net' },
    ]);
    const odd = replay({ 'GET /instance/all': { body: { instances: 'nope' } } });
    expect((await providerError(odd.adapter.listInstances())).kind).toBe('invalid_response');
  });

  it('reads the status of a connected instance (instance-status-response: jid is a string with a device)', async () => {
    const { adapter, calls } = replay({ 'GET /instance/status': { body: uazapiFixture('instance-status-response.json') } });
    expect(await adapter.getConnection(INST)).toEqual({ state: 'open', jid: '553499990002@s.whatsapp.net', phoneE164: '+5534999990002' });
    expect(calls[0]?.headers.token).toBe(INST.token);
    expect(calls[0]?.headers.admintoken).toBeUndefined();
  });

  it('reads a logout from the status (instance-status-response-disconnected)', async () => {
    const { adapter } = replay({ 'GET /instance/status': { body: uazapiFixture('instance-status-response-disconnected.json') } });
    expect(await adapter.getConnection(INST)).toEqual({ state: 'logged_out', reason: '401: logged out from another device' });
  });

  it('connects with a QR code (connect-response)', async () => {
    const fixture = uazapiFixture<{ instance: { qrcode: string } }>('connect-response.json');
    const { adapter, calls } = replay({ 'POST /instance/connect': { body: fixture } });
    expect(await adapter.connect(INST)).toEqual({ state: 'connecting', qrCode: fixture.instance.qrcode });
    expect(calls[0]?.body).toEqual({});
  });

  it('connects with a pair code for a phone (connect-response-paircode)', async () => {
    const { adapter, calls } = replay({ 'POST /instance/connect': { body: uazapiFixture('connect-response-paircode.json') } });
    expect(await adapter.connect(INST, { phone: '+55 (11) 99999-9999' })).toEqual({ state: 'connecting', pairCode: '1234-5678' });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.body).toEqual({ phone: '5511999999999' });
  });

  it('asked for a pair code while a QR is pending: disconnects, waits for disconnected, connects again', async () => {
    const status = (s: string) => ({ body: { instance: { status: s }, status: { connected: false, loggedIn: false, jid: null } } });
    const { adapter, calls } = replay({
      'POST /instance/connect': [
        { body: uazapiFixture('connect-response.json') },
        { body: uazapiFixture('connect-response-paircode.json') },
      ],
      'POST /instance/disconnect': { body: { response: 'Disconnected' } },
      'GET /instance/status': [status('connecting'), status('disconnected')],
    });
    expect(await adapter.connect(INST, { phone: '5511999999999' })).toEqual({ state: 'connecting', pairCode: '1234-5678' });
    expect(calls.map((c) => `${c.method} ${new URL(c.url).pathname}`)).toEqual([
      'POST /instance/connect',
      'POST /instance/disconnect',
      'GET /instance/status',
      'GET /instance/status',
      'POST /instance/connect',
    ]);
  });

  it('sends text as in send-text-request and reads send-text-response', async () => {
    const request = uazapiFixture<Record<string, unknown>>('send-text-request.json');
    const { adapter, calls } = replay({ 'POST /send/text': { body: uazapiFixture('send-text-response.json') } });
    const result = await adapter.send(INST, {
      type: 'text',
      to: '+55 11 99999-9999',
      text: 'Olá! Em que posso ajudar?',
      replyTo: { id: 'AC98212CD4909DE6799E78D93A824A3F' },
      delayMs: 1200,
      trackId: 'cw-acc1-conv42-msg9001',
    });
    expect(result).toEqual({ messageId: '3EB0C5F1A2B3D4E5F60718', timestamp: 1768046500000, trackId: 'cw-acc1-conv42-msg9001' });
    // `readchat` is the capture's own choice; the Hub marks chats read through markRead instead.
    const { readchat, ...expected } = request;
    expect(readchat).toBe(true);
    expect(calls[0]?.body).toEqual(expected);
    expect(calls[0]?.headers.token).toBe(INST.token);
  });

  it('sends a document as in send-media-request and reads send-media-response', async () => {
    const { adapter, calls } = replay({ 'POST /send/media': { body: uazapiFixture('send-media-response.json') } });
    const result = await adapter.send(INST, {
      type: 'document',
      to: '5511999999999@s.whatsapp.net',
      source: { url: 'https://hub.example.com/media/tmp/abc123/contrato.pdf' },
      fileName: 'contrato.pdf',
      caption: 'Segue o contrato',
      trackId: 'cw-acc1-conv42-msg9002',
    });
    expect(result).toEqual({ messageId: '3EB0D7E8F9A0B1C2D3E4F5', timestamp: 1768046500000, trackId: 'cw-acc1-conv42-msg9002' });
    expect(calls[0]?.body).toEqual(uazapiFixture('send-media-request.json'));
  });

  it('maps each send to its endpoint and body', async () => {
    const ok = { body: { messageid: 'M1', messageTimestamp: 1768046500000 } };
    const { adapter, calls } = replay({
      'POST /send/media': ok,
      'POST /send/location': ok,
      'POST /send/contact': ok,
      'POST /message/react': ok,
      'POST /message/edit': { body: { messageid: 'NEW', messageTimestamp: 1768046501000 } },
      'POST /message/delete': { body: { timestamp: 1768046502000, id: 'OLD' } },
    });
    const to = '551187654321';
    await adapter.send(INST, { type: 'voice', to, source: { base64: 'T2dnUw==', mimeType: 'audio/ogg' } });
    await adapter.send(INST, { type: 'sticker', to, source: { url: 'https://x.example/s.webp' }, mimeType: 'image/webp' });
    await adapter.send(INST, { type: 'location', to, latitude: -8.03, longitude: -34.89 });
    await adapter.send(INST, { type: 'contact', to, name: 'Ana', phones: ['+55 11 91234-5678'], email: 'ana@example.com' });
    const reaction = await adapter.send(INST, { type: 'reaction', to, target: { id: 'T1' }, emoji: '' });
    const edit = await adapter.send(INST, { type: 'edit', to, target: { id: 'OLD' }, text: 'novo {{name}}', trackId: 'x' });
    const del = await adapter.send(INST, { type: 'delete', to: '120363000000000001@g.us', target: { id: 'OLD' } });
    const bodies = calls.map((c) => c.body);
    expect(bodies[0]).toEqual({
      number: '551187654321',
      type: 'ptt',
      file: 'T2dnUw==',
      mimetype: 'audio/ogg',
      track_source: 'chatwoot-hub',
    });
    expect(bodies[1]).toEqual({
      number: '551187654321',
      type: 'sticker',
      file: 'https://x.example/s.webp',
      mimetype: 'image/webp',
      track_source: 'chatwoot-hub',
    });
    expect(bodies[2]).toEqual({ number: '551187654321', latitude: -8.03, longitude: -34.89, track_source: 'chatwoot-hub' });
    expect(bodies[3]).toEqual({
      number: '551187654321',
      fullName: 'Ana',
      phoneNumber: '5511912345678',
      email: 'ana@example.com',
      track_source: 'chatwoot-hub',
    });
    expect(bodies[4]).toEqual({ number: '551187654321', text: '', id: 'T1' });
    expect(bodies[5]).toEqual({ id: 'OLD', text: 'novo {\u200B{name}}' });
    expect(bodies[6]).toEqual({ id: 'OLD' });
    expect(reaction).toEqual({ messageId: 'M1', timestamp: 1768046500000 });
    // An edit and a delete keep naming the original message.
    expect(edit).toEqual({ messageId: 'OLD', timestamp: 1768046501000 });
    expect(del).toEqual({ messageId: 'OLD', timestamp: 1768046502000 });
  });

  it('a send answered without a message id is an invalid response', async () => {
    const { adapter } = replay({ 'POST /send/text': { body: { response: { status: 'success' } } } });
    const e = await providerError(adapter.send(INST, { type: 'text', to: '5511999999999', text: 'x' }));
    expect(e.kind).toBe('invalid_response');
    expect(e.retryable).toBe(true);
  });

  it('downloads media through /message/download, then the public link without credentials (message-download-response)', async () => {
    const bytes = Buffer.from('ID3-mp3-bytes');
    const { adapter, calls } = replay({
      'POST /message/download': { body: uazapiFixture('message-download-response.json') },
      'GET https://api.exemplo.com/files/arquivo.mp3': { raw: bytes, contentType: 'audio/mpeg' },
    });
    const file = await adapter.downloadMedia(INST, {
      mimeType: 'audio/ogg; codecs=opus',
      fileName: 'voz.ogg',
      handle: { messageId: 'AC8456416BC389C8210E420A08A396FA' },
    });
    expect(file.data.equals(bytes)).toBe(true);
    expect(file.mimeType).toBe('audio/mpeg');
    expect(file.fileName).toBe('voz.ogg');
    expect(calls[0]?.body).toEqual({
      id: 'AC8456416BC389C8210E420A08A396FA',
      return_base64: false,
      return_link: true,
      generate_mp3: false,
    });
    expect(calls[1]?.url).toBe('https://api.exemplo.com/files/arquivo.mp3');
    expect(calls[1]?.headers.token).toBeUndefined();
    expect(calls[1]?.headers.admintoken).toBeUndefined();
  });

  it('download falls back to inline base64, and fails clearly without id or data', async () => {
    const inline = replay({
      'POST /message/download': { body: { mimetype: 'image/jpeg', base64Data: Buffer.from('jpeg').toString('base64') } },
    });
    const file = await inline.adapter.downloadMedia(INST, { handle: {} }, { id: 'FROM-KEY' });
    expect(file).toEqual({ data: Buffer.from('jpeg'), mimeType: 'image/jpeg' });
    expect(inline.calls[0]?.body).toMatchObject({ id: 'FROM-KEY' });

    const empty = replay({ 'POST /message/download': { body: { mimetype: 'image/jpeg' } } });
    expect((await providerError(empty.adapter.downloadMedia(INST, { handle: { messageId: 'X' } }))).kind).toBe('invalid_response');
    expect((await providerError(empty.adapter.downloadMedia(INST, { handle: {} }))).kind).toBe('bad_request');
  });

  it('ignoreGroups edits the current webhook config (webhook-config-get-response) and keeps it on reconfiguration', async () => {
    const { adapter, calls } = replay({
      'GET /webhook': [
        { body: uazapiFixture('webhook-config-get-response.json') },
        { body: [{ url: 'https://example.com/webhook', excludeMessages: ['isGroupYes'] }] },
      ],
      'POST /webhook': { body: [] },
      'POST /instance/presence': { body: { response: 'Presence updated successfully' } },
    });
    const result = await adapter.updateSettings(INST, {
      ignoreGroups: true,
      alwaysOnline: false,
      rejectCalls: true,
      autoReadMessages: true,
      readStatus: undefined,
    });
    expect(result).toEqual({ applied: ['alwaysOnline', 'ignoreGroups'], unsupported: ['rejectCalls', 'autoReadMessages'] });
    expect(calls[0]?.body).toEqual({ presence: 'unavailable' });
    expect(calls[2]?.body).toEqual({
      enabled: true,
      url: 'https://example.com/webhook',
      events: [...UAZAPI_WEBHOOK_EVENTS],
      excludeMessages: ['isGroupYes'],
      addUrlEvents: false,
      addUrlTypesMessages: false,
    });
    await adapter.configureWebhook(INST, { url: 'https://hub.example.com/w', enabled: false });
    expect(calls[4]?.body).toMatchObject({ url: 'https://hub.example.com/w', enabled: false, excludeMessages: ['isGroupYes'] });
  });

  it('ignoreGroups without a webhook is refused, unsupported-only settings make no call', async () => {
    const { adapter, calls } = replay({ 'GET /webhook': { body: [] } });
    const e = await providerError(adapter.updateSettings(INST, { ignoreGroups: true }));
    expect(e.kind).toBe('conflict');
    expect(e.retryable).toBe(false);
    const before = calls.length;
    expect(await adapter.updateSettings(INST, { syncFullHistory: true, rejectCallMessage: 'não' })).toEqual({
      applied: [],
      unsupported: ['syncFullHistory', 'rejectCallMessage'],
    });
    expect(calls).toHaveLength(before);
  });

  it('marks messages read by id, the whole chat without ids, and reports per-message failures', async () => {
    const { adapter, calls } = replay({
      'POST /message/markread': [
        { body: { results: [{ message_id: 'A', status: 'success' }] } },
        { body: { results: [{ message_id: 'B', status: 'error', error: 'message not found' }] } },
      ],
      'POST /chat/read': { body: { response: 'Chat read status updated successfully' } },
    });
    await adapter.markRead(INST, '+5511999999999', [{ id: 'A' }]);
    expect(calls[0]?.body).toEqual({ id: ['A'] });
    await adapter.markRead(INST, '+5511999999999', []);
    expect(calls[1]?.body).toEqual({ number: '5511999999999@s.whatsapp.net', read: true });
    const e = await providerError(adapter.markRead(INST, '5511999999999', [{ id: 'B' }]));
    expect(e.kind).toBe('bad_request');
    expect(e.providerMessage).toBe('message not found');
  });

  it('presence: typing/recording/paused per chat with a capped duration; available/unavailable for the account', async () => {
    const { adapter, calls } = replay({ 'POST /message/presence': { body: {} }, 'POST /instance/presence': { body: {} } });
    await adapter.setPresence(INST, '+5511999999999', 'typing', 3000);
    await adapter.setPresence(INST, '120363000000000001@g.us', 'recording', 999_999);
    await adapter.setPresence(INST, '5511999999999', 'paused');
    await adapter.setPresence(INST, '5511999999999', 'available');
    expect(calls.map((c) => c.body)).toEqual([
      { number: '5511999999999', presence: 'composing', delay: 3000 },
      { number: '120363000000000001@g.us', presence: 'recording', delay: 300000 },
      { number: '5511999999999', presence: 'paused' },
      { presence: 'available' },
    ]);
  });

  it('lifecycle calls use the instance token and the documented endpoints', async () => {
    const { adapter, calls } = replay({
      'POST /instance/disconnect': { body: {} },
      'POST /instance/reset': { body: { response: 'ok', resetting: true } },
      'GET /instance/status': { body: uazapiFixture('instance-status-response.json') },
      'DELETE /instance': { body: { response: 'Instance Deleted' } },
      'POST /instance/updateInstanceName': { body: {} },
    });
    await adapter.disconnect(INST);
    expect((await adapter.restart(INST)).state).toBe('open');
    await adapter.rename(INST, 'novo-nome');
    await adapter.deleteInstance(INST);
    expect(calls.map((c) => `${c.method} ${new URL(c.url).pathname} ${c.headers.token}`)).toEqual([
      `POST /instance/disconnect ${INST.token}`,
      `POST /instance/reset ${INST.token}`,
      `GET /instance/status ${INST.token}`,
      `POST /instance/updateInstanceName ${INST.token}`,
      `DELETE /instance ${INST.token}`,
    ]);
    expect(calls[3]?.body).toEqual({ name: 'novo-nome' });
  });
});

describe('Uazapi addressing and text', () => {
  it('sends digits for people, full JIDs for groups, LIDs and channels; keeps the 8-digit Brazilian form', () => {
    expect(uazapiNumber('+55 (11) 98765-4321')).toBe('5511987654321');
    expect(uazapiNumber('551187654321')).toBe('551187654321');
    expect(uazapiNumber('5511987654321:12@s.whatsapp.net')).toBe('5511987654321');
    expect(uazapiNumber('5511987654321@c.us')).toBe('5511987654321');
    expect(uazapiNumber('120363000000000001@g.us')).toBe('120363000000000001@g.us');
    expect(uazapiNumber('123456789012345@lid')).toBe('123456789012345@lid');
    expect(uazapiNumber('120363111@newsletter')).toBe('120363111@newsletter');
  });

  it('keeps {{placeholders}} literal so the server does not substitute them', () => {
    expect(escapePlaceholders('Oi {{name}}, tudo {bem}?')).toBe('Oi {\u200B{name}}, tudo {bem}?');
  });
});

describe('createProviderAdapter', () => {
  it('picks the adapter by the provider kind stored on an instance', () => {
    const options = { baseUrl: 'http://provider.test', adminToken: 'x' };
    const uazapi = createProviderAdapter('uazapi', options);
    expect(uazapi.kind).toBe('uazapi');
    expect(uazapi.capabilities.trackId).toBe(true);
    expect(createProviderAdapter('evolution', options).kind).toBe('evolution');
  });
});
