// The fake Evolution server on its own, over raw HTTP: auth guard, request validation, instance state,
// webhook delivery (envelope, headers, by-events routing, JWT, retries) and the control API.
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EvolutionSimulator, startEvolutionSimulator } from '../src/evolution/index.ts';

interface Hit {
  path: string;
  headers: http.IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: webhook bodies are read field by field
  body: any;
}

/** A webhook receiver whose answers can be scripted (status codes in order, then 200). */
class Receiver {
  readonly hits: Hit[] = [];
  statuses: number[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.hits.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(this.statuses.shift() ?? 200).end();
    });
  });
  url = '';
  async start() {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
  events(instance: string) {
    return this.hits.filter((h) => h.body.instance === instance);
  }
  async waitFor(instance: string, event: string, count = 1): Promise<Hit[]> {
    for (let i = 0; i < 150; i++) {
      const found = this.events(instance).filter((h) => h.body.event === event);
      if (found.length >= count) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${event} for ${instance}`);
  }
}

describe('Evolution simulator', () => {
  let sim: EvolutionSimulator;
  const receiver = new Receiver();
  let n = 0;

  beforeAll(async () => {
    await receiver.start();
    sim = await startEvolutionSimulator({
      qrRotateMs: 40,
      qrLimit: 3,
      maxDelayMs: 10,
      autoAckMs: 10,
      webhookRetry: { attempts: 3, baseDelayMs: 10 },
      maxBodyBytes: 64 * 1024,
    });
  });
  afterAll(async () => {
    await sim.close();
    await receiver.stop();
  });
  afterEach(() => {
    receiver.statuses = [];
  });

  async function call(method: string, path: string, apikey?: string, body?: unknown) {
    const headers: Record<string, string> = {};
    if (apikey) headers.apikey = apikey;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${sim.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: responses are read field by field
    return { status: res.status, body: (text ? JSON.parse(text) : null) as any };
  }

  async function createInstance(extra: Record<string, unknown> = {}) {
    const name = `sim-${++n}`;
    const res = await call('POST', '/instance/create', sim.adminToken, { instanceName: name, integration: 'WHATSAPP-BAILEYS', ...extra });
    expect(res.status).toBe(201);
    return { name, token: res.body.hash as string, created: res.body };
  }

  async function openInstance(events: string[], webhook: Record<string, unknown> = {}) {
    const inst = await createInstance();
    const set = await call('POST', `/webhook/set/${inst.name}`, inst.token, {
      webhook: { enabled: true, url: receiver.url, base64: true, events, ...webhook },
    });
    expect(set.status).toBe(201);
    await call('GET', `/instance/connect/${inst.name}`, inst.token);
    await sim.completePairing(inst.name, '+5511900001111');
    return inst;
  }

  it('answers the welcome probe and 404s unknown routes like Express', async () => {
    expect(await call('GET', '/')).toMatchObject({
      status: 200,
      body: { status: 200, version: '2.3.7', message: 'Welcome to the Evolution API, it is working!' },
    });
    expect(await call('PUT', '/instance/restart/x', sim.adminToken)).toEqual({
      status: 404,
      body: { status: 404, error: 'Not Found', response: { message: ['Cannot PUT /instance/restart/x'] } },
    });
  });

  it('guards with the global key or the instance’s own token only', async () => {
    const a = await createInstance();
    const b = await createInstance();
    expect((await call('GET', `/instance/connectionState/${a.name}`, a.token)).status).toBe(200);
    expect((await call('GET', `/instance/connectionState/${a.name}`, sim.adminToken)).status).toBe(200);
    expect((await call('GET', `/instance/connectionState/${a.name}`, b.token)).status).toBe(401);
    expect((await call('GET', `/instance/connectionState/${a.name}`)).status).toBe(401);
    const own = await call('GET', '/instance/fetchInstances', a.token);
    expect(own.body.map((r: { name: string }) => r.name)).toEqual([a.name]);
    expect((await call('GET', '/instance/fetchInstances', 'nobody')).status).toBe(401);
    expect(
      (await call('POST', '/instance/create', a.token, { instanceName: 'via-instance-token', integration: 'WHATSAPP-BAILEYS' })).status,
    ).toBe(401);
    const filtered = await call('GET', `/instance/fetchInstances?instanceName=${b.name}`, sim.adminToken);
    expect(filtered.body).toHaveLength(1);
    expect(filtered.body[0]).toMatchObject({
      name: b.name,
      token: b.token,
      connectionStatus: 'close',
      clientName: 'evolution',
      Setting: { rejectCall: false },
    });
  });

  it('validates create: name, integration; keeps a given token; qrcode:true connects at once with a PNG QR', async () => {
    expect(await call('POST', '/instance/create', sim.adminToken, { integration: 'WHATSAPP-BAILEYS' })).toMatchObject({
      status: 400,
      body: { response: { message: ['instance requires property "instanceName"'] } },
    });
    expect(await call('POST', '/instance/create', sim.adminToken, { instanceName: 'no-integration' })).toMatchObject({
      status: 400,
      body: { response: { message: ['Invalid integration'] } },
    });
    const { created, name } = await createInstance({
      token: 'MY-TOKEN',
      qrcode: true,
      number: '5511999990000',
      rejectCall: true,
      msgCall: 'não',
    });
    expect(created.hash).toBe('MY-TOKEN');
    expect(created.instance).toMatchObject({ instanceName: name, status: 'connecting', integration: 'WHATSAPP-BAILEYS' });
    expect(created.settings).toMatchObject({ rejectCall: true, msgCall: 'não', groupsIgnore: false });
    expect(created.qrcode.count).toBe(1);
    expect(created.qrcode.pairingCode).toMatch(/^[1-9A-HJ-NP-TV-Z]{8}$/);
    expect(created.qrcode.code).toMatch(/^2@/);
    const png = Buffer.from(created.qrcode.base64.replace('data:image/png;base64,', ''), 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(sim.instanceToken(name)).toBe('MY-TOKEN');
  });

  it('gives up after the QR limit: limit message, refused, closed', async () => {
    const inst = await createInstance();
    await call('POST', `/webhook/set/${inst.name}`, inst.token, {
      webhook: { enabled: true, url: receiver.url, events: ['QRCODE_UPDATED', 'CONNECTION_UPDATE'] },
    });
    await call('GET', `/instance/connect/${inst.name}`, inst.token);
    const refused = await receiver.waitFor(inst.name, 'connection.update', 2);
    expect(refused.map((h) => h.body.data.state)).toEqual(['connecting', 'refused']);
    const qr = receiver.events(inst.name).filter((h) => h.body.event === 'qrcode.updated');
    expect(qr.map((h) => h.body.data.qrcode?.code !== undefined)).toEqual([true, true, true, false]);
    expect(qr.at(-1)?.body.data).toEqual({ message: 'QR code limit reached, please login again', statusCode: 500 });
    expect(sim.instance(inst.name)?.state).toBe('close');
  });

  it('delivers the 2.3.7 envelope and headers; jwt_key becomes a signed bearer token; by-events appends the event', async () => {
    const inst = await openInstance(['CONNECTION_UPDATE', 'MESSAGES_UPSERT'], {
      byEvents: true,
      headers: { jwt_key: 'segredo', 'X-Tenant': 'acme' },
    });
    const id = await sim.receive(inst.name, { from: '+5511987654321', text: 'oi' });
    const [hit] = await receiver.waitFor(inst.name, 'messages.upsert');
    expect(hit?.path).toBe('/hook/messages-upsert');
    expect(hit?.body).toMatchObject({
      event: 'messages.upsert',
      instance: inst.name,
      destination: receiver.url,
      sender: '5511900001111@s.whatsapp.net',
      server_url: sim.baseUrl,
      apikey: inst.token,
      data: {
        key: { id, remoteJid: '5511987654321@s.whatsapp.net', fromMe: false },
        message: { conversation: 'oi' },
        messageType: 'conversation',
      },
    });
    expect(Number.isNaN(Date.parse(hit?.body.date_time))).toBe(false);
    expect(hit?.headers).toMatchObject({
      'x-instance-name': inst.name,
      'x-event-type': 'messages.upsert',
      'user-agent': 'EvolutionAPI-Webhook/2.3.7',
      'x-tenant': 'acme',
    });
    expect(hit?.headers.jwt_key).toBeUndefined();
    const [header, payload, signature] = String(hit?.headers.authorization).replace('Bearer ', '').split('.');
    expect(createHmac('sha256', 'segredo').update(`${header}.${payload}`).digest('base64url')).toBe(signature);
    expect(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())).toMatchObject({ app: 'evolution', action: 'webhook' });
    // Not subscribed: contacts.upsert never leaves.
    expect(receiver.events(inst.name).some((h) => h.body.event === 'contacts.upsert')).toBe(false);
  });

  it('retries a failing webhook with backoff, but not a permanent rejection', async () => {
    const inst = await openInstance(['MESSAGES_UPSERT']);
    receiver.statuses = [500, 503];
    const id = await sim.receive(inst.name, { from: '+5511987654321', text: 'insiste' });
    const attempts = await receiver.waitFor(inst.name, 'messages.upsert', 3);
    expect(attempts.map((h) => h.body.data.key.id)).toEqual([id, id, id]);
    expect(
      sim
        .deliveries()
        .filter((d) => d.instance === inst.name)
        .map((d) => d.status),
    ).toEqual([500, 503, 200]);

    receiver.statuses = [400];
    await sim.receive(inst.name, { from: '+5511987654321', text: 'recusada' });
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.events(inst.name)).toHaveLength(4);
  });

  it('validates settings like the 2.3.7 schema and applies groupsIgnore and rejectCall', async () => {
    const inst = await openInstance(['MESSAGES_UPSERT', 'CALL']);
    const missing = await call('POST', `/settings/set/${inst.name}`, inst.token, { rejectCall: true });
    expect(missing.status).toBe(400);
    expect(missing.body.response.message).toContain('instance requires property "groupsIgnore"');
    const wrongType = await call('POST', `/settings/set/${inst.name}`, inst.token, {
      rejectCall: 'yes',
      groupsIgnore: true,
      alwaysOnline: false,
      readMessages: false,
      readStatus: false,
      syncFullHistory: false,
    });
    expect(wrongType.body.response.message).toEqual(['instance.rejectCall is not of a type(s) boolean']);
    const ok = await call('POST', `/settings/set/${inst.name}`, inst.token, {
      rejectCall: true,
      msgCall: 'Só texto, por favor',
      groupsIgnore: true,
      alwaysOnline: false,
      readMessages: false,
      readStatus: false,
      syncFullHistory: false,
    });
    expect(ok).toMatchObject({
      status: 201,
      body: { settings: { instanceName: inst.name, settings: { rejectCall: true, groupsIgnore: true } } },
    });
    expect((await call('GET', `/settings/find/${inst.name}`, inst.token)).body).toMatchObject({ msgCall: 'Só texto, por favor' });

    await sim.receive(inst.name, { from: '120363000000000001@g.us', participant: '+5511912345678', text: 'no grupo' });
    const callId = await sim.call(inst.name, '+5511987654321', { isVideo: true });
    const calls = await receiver.waitFor(inst.name, 'call', 2);
    expect(calls.map((h) => [h.body.data.id, h.body.data.status, h.body.data.isVideo])).toEqual([
      [callId, 'offer', true],
      [callId, 'reject', true],
    ]);
    const upserts = await receiver.waitFor(inst.name, 'messages.upsert');
    // The group message was dropped; the only upsert is the fromMe auto-reply to the call.
    expect(upserts).toHaveLength(1);
    expect(upserts[0]?.body.data).toMatchObject({
      key: { fromMe: true },
      message: { conversation: 'Só texto, por favor' },
      status: 'SERVER_ACK',
    });
  });

  it('validates message bodies: mentions, location fields, base64 documents, open connection, known numbers', async () => {
    const inst = await openInstance([]);
    const send = (action: string, body: unknown) => call('POST', `/message/${action}/${inst.name}`, inst.token, body);
    expect((await send('sendText', { number: '5511987654321', text: 'x', mentioned: [] })).body.response.message).toEqual([
      'instance.mentioned does not meet minimum length of 1',
    ]);
    expect((await send('sendText', { number: '5511987654321', text: '  ' })).body.response.message).toEqual(['Text is required']);
    expect((await send('sendLocation', { number: '5511987654321', latitude: 1, longitude: 2 })).body.response.message).toEqual([
      'instance requires property "name"',
      'instance requires property "address"',
    ]);
    expect((await send('sendMedia', { number: '5511987654321', mediatype: 'document', media: 'QUJD' })).body.response.message).toEqual([
      'For base64 the file name must be informed.',
    ]);
    expect((await send('sendMedia', { number: '5511987654321', mediatype: 'gif', media: 'QUJD' })).status).toBe(400);
    expect((await send('sendMedia', { number: '5511987654321', mediatype: 'image', media: 'not base64!' })).body.response.message).toEqual([
      'Owned media must be a url or base64',
    ]);
    expect((await send('sendContact', { number: '5511987654321', contact: [{ fullName: 'A', phoneNumber: '123' }] })).status).toBe(400);
    expect(
      (await send('sendReaction', { key: { id: 'X', remoteJid: '5511987654321@s.whatsapp.net' }, reaction: '👍' })).body.response.message,
    ).toEqual(['instance.key requires property "fromMe"']);
    expect(
      (await call('POST', `/chat/sendPresence/${inst.name}`, inst.token, { number: '5511987654321', presence: 'typing', delay: 1 })).status,
    ).toBe(400);
    expect((await call('POST', `/chat/markMessageAsRead/${inst.name}`, inst.token, { readMessages: [] })).status).toBe(400);

    const image = await send('sendMedia', {
      number: '5511987654321',
      mediatype: 'image',
      mimetype: 'image/png',
      media: Buffer.from('png').toString('base64'),
    });
    // Evolution re-encodes every image to JPEG.
    expect(image.body).toMatchObject({
      status: 'PENDING',
      pushName: 'Você',
      messageType: 'imageMessage',
      message: { imageMessage: { mimetype: 'image/jpeg' } },
    });
    expect(image.body.key.id).toMatch(/^3EB0[0-9A-F]{18}$/);

    await sim.dropConnection(inst.name, false);
    expect((await send('sendText', { number: '5511987654321', text: 'x' })).body.response.message).toEqual(['Error: Connection Closed']);
    expect(sim.instance(inst.name)?.state).toBe('close');
  });

  it('echoes sends as send.message and acknowledges them on its own when autoAckMs is set', async () => {
    const inst = await openInstance(['SEND_MESSAGE', 'MESSAGES_UPDATE']);
    const res = await call('POST', `/message/sendText/${inst.name}`, inst.token, {
      number: '+55 (11) 98765-4321',
      text: 'olá',
      delay: 500,
    });
    expect(res.status).toBe(201);
    const [echo] = await receiver.waitFor(inst.name, 'send.message');
    expect(echo?.body.data).toEqual(res.body);
    const acks = await receiver.waitFor(inst.name, 'messages.update', 2);
    expect(acks.map((h) => [h.body.data.keyId, h.body.data.status, h.body.data.fromMe])).toEqual([
      [res.body.key.id, 'SERVER_ACK', true],
      [res.body.key.id, 'DELIVERY_ACK', true],
    ]);
    expect(sim.sent(inst.name)).toEqual([
      expect.objectContaining({ type: 'text', text: 'olá', to: '5511987654321', messageId: res.body.key.id }),
    ]);
  });

  it('edits only our own stored messages; deletes emit messages.delete for stored ones', async () => {
    const inst = await openInstance(['MESSAGES_DELETE', 'MESSAGES_UPSERT']);
    const edit = (key: Record<string, unknown>) =>
      call('POST', `/chat/updateMessage/${inst.name}`, inst.token, { number: '5511987654321', text: 'novo', key });
    expect((await edit({ id: 'NOPE', remoteJid: '5511987654321@s.whatsapp.net', fromMe: true })).status).toBe(404);
    const theirs = await sim.receive(inst.name, { from: '+5511987654321', text: 'deles' });
    expect((await edit({ id: theirs, remoteJid: '5511987654321@s.whatsapp.net', fromMe: false })).body.response.message).toEqual([
      'You cannot edit others messages',
    ]);
    const mine = await call('POST', `/message/sendText/${inst.name}`, inst.token, { number: '5511987654321', text: 'meu' });
    expect((await edit({ id: mine.body.key.id, remoteJid: '5511900000000@s.whatsapp.net', fromMe: true })).status).toBe(400);
    const edited = await edit({ id: mine.body.key.id, remoteJid: '5511987654321@s.whatsapp.net', fromMe: true });
    expect(edited.body.message.protocolMessage).toMatchObject({
      type: 'MESSAGE_EDIT',
      editedMessage: { conversation: 'novo' },
      key: { id: mine.body.key.id },
    });

    const del = await call('DELETE', `/chat/deleteMessageForEveryone/${inst.name}`, inst.token, {
      id: theirs,
      remoteJid: '5511987654321@s.whatsapp.net',
      fromMe: false,
    });
    expect(del.body.message.protocolMessage).toEqual({
      key: { id: theirs, remoteJid: '5511987654321@s.whatsapp.net', fromMe: false },
      type: 'REVOKE',
    });
    const [deleted] = await receiver.waitFor(inst.name, 'messages.delete');
    expect(deleted?.body.data).toMatchObject({ id: theirs, fromMe: false, status: 'DELETED' });
    expect(sim.sent(inst.name).map((s) => [s.type, s.targetId])).toEqual([
      ['text', undefined],
      ['edit', mine.body.key.id],
      ['delete', theirs],
    ]);
  });

  it('LID contacts: 2.3.6-style keys by default; presence by LID; getBase64 of a received file', async () => {
    const inst = await openInstance(['MESSAGES_UPSERT', 'PRESENCE_UPDATE']);
    const id = await sim.receive(inst.name, {
      from: '+5511976543210',
      lid: '123456789012345',
      media: { kind: 'document', mimeType: 'application/pdf', data: Buffer.from('%PDF'), fileName: 'a.pdf', caption: 'doc' },
    });
    const [hit] = await receiver.waitFor(inst.name, 'messages.upsert');
    expect(hit?.body.data.key).toEqual({
      remoteJid: '123456789012345@lid',
      remoteJidAlt: '5511976543210@s.whatsapp.net',
      fromMe: false,
      id,
      participant: '',
      addressingMode: 'lid',
    });
    expect(hit?.body.data.message.base64).toBe(Buffer.from('%PDF').toString('base64'));
    expect(hit?.body.data.message.documentMessage).toMatchObject({
      fileName: 'a.pdf',
      caption: 'doc',
      mimetype: 'application/pdf',
      fileLength: { low: 4, high: 0 },
    });
    await sim.typing(inst.name, '+5511976543210', 'composing');
    const [presence] = await receiver.waitFor(inst.name, 'presence.update');
    expect(presence?.body.data).toEqual({
      id: '123456789012345@lid',
      presences: { '123456789012345@lid': { lastKnownPresence: 'composing' } },
    });
    const media = await call('POST', `/chat/getBase64FromMediaMessage/${inst.name}`, inst.token, { message: { key: { id } } });
    expect(media.body).toMatchObject({
      mediaType: 'documentMessage',
      fileName: 'a.pdf',
      caption: 'doc',
      mimetype: 'application/pdf',
      base64: Buffer.from('%PDF').toString('base64'),
    });
    const text = await sim.receive(inst.name, { from: '+5511976543210', text: 'sem mídia' });
    expect(
      (await call('POST', `/chat/getBase64FromMediaMessage/${inst.name}`, inst.token, { message: { key: { id: text } } })).status,
    ).toBe(400);
  });

  it('2.3.7-style LID keys, group LID participants, and a 413 above the body limit', async () => {
    const sim237 = await startEvolutionSimulator({ lidAddressing: 'pn-both' });
    try {
      const created = await fetch(`${sim237.baseUrl}/instance/create`, {
        method: 'POST',
        headers: { apikey: sim237.adminToken, 'content-type': 'application/json' },
        body: JSON.stringify({
          instanceName: 'v237',
          integration: 'WHATSAPP-BAILEYS',
          qrcode: true,
          webhook: { url: receiver.url, events: ['MESSAGES_UPSERT'] },
        }),
      }).then((r) => r.json() as Promise<{ webhook: unknown }>);
      expect(created.webhook).toMatchObject({ webhookUrl: receiver.url, webhookByEvents: false, webhookBase64: false });
      await sim237.completePairing('v237', '+5511900002222');
      await sim237.receive('v237', { from: '+5511976543210', lid: '999@lid', text: 'a' });
      await sim237.receive('v237', { from: '120363000000000001@g.us', participant: '+5521911112222', lid: '888@lid', text: 'b' });
      const keys = (await receiver.waitFor('v237', 'messages.upsert', 2)).map((h) => h.body.data.key);
      expect(keys[0]).toMatchObject({
        remoteJid: '5511976543210@s.whatsapp.net',
        remoteJidAlt: '5511976543210@s.whatsapp.net',
        addressingMode: 'lid',
      });
      expect(keys[1]).toMatchObject({
        remoteJid: '120363000000000001@g.us',
        remoteJidAlt: null,
        participant: '888@lid',
        participantAlt: '5521911112222@s.whatsapp.net',
      });
    } finally {
      await sim237.close();
    }
    const big = await call('POST', '/instance/create', sim.adminToken, {
      instanceName: 'big',
      integration: 'WHATSAPP-BAILEYS',
      pad: 'x'.repeat(70 * 1024),
    });
    expect(big).toEqual({
      status: 413,
      body: { status: 413, error: 'Payload Too Large', response: { message: ['request entity too large'] } },
    });
  });

  it('demo options: pairs on its own after autoConnectMs; fetches URL media like Evolution when asked', async () => {
    const files = http.createServer((req, res) => (req.url === '/foto.jpg' ? res.writeHead(200).end('JPEG!') : res.writeHead(404).end()));
    files.listen(0, '127.0.0.1');
    await once(files, 'listening');
    const base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    const demo = await startEvolutionSimulator({ autoConnectMs: 20, fetchMediaUrls: true });
    try {
      const post = (path: string, apikey: string, body: unknown) =>
        fetch(`${demo.baseUrl}${path}`, {
          method: 'POST',
          headers: { apikey, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { hash: string; key: { id: string }; base64: string; response: { message: string[] } },
        }));
      const created = await post('/instance/create', demo.adminToken, {
        instanceName: 'demo',
        integration: 'WHATSAPP-BAILEYS',
        qrcode: true,
      });
      for (let i = 0; i < 100 && demo.instance('demo')?.state !== 'open'; i++) await new Promise((r) => setTimeout(r, 10));
      expect(demo.instance('demo')?.state).toBe('open');
      expect(demo.instance('demo')?.ownerJid).toMatch(/^55119\d{8}@s\.whatsapp\.net$/);
      const token = created.body.hash;
      const sent = await post('/message/sendMedia/demo', token, { number: '5511987654321', mediatype: 'image', media: `${base}/foto.jpg` });
      expect(sent.status).toBe(201);
      const media = await post('/chat/getBase64FromMediaMessage/demo', token, { message: { key: { id: sent.body.key.id } } });
      expect(Buffer.from(media.body.base64, 'base64').toString()).toBe('JPEG!');
      const missing = await post('/message/sendMedia/demo', token, {
        number: '5511987654321',
        mediatype: 'image',
        media: `${base}/nada.jpg`,
      });
      expect(missing).toMatchObject({ status: 400, body: { response: { message: ['Error: Request failed with status code 404'] } } });
    } finally {
      await demo.close();
      files.close();
    }
  });

  it('logout and delete report connection changes; restart reconnects an open session', async () => {
    const inst = await openInstance(['CONNECTION_UPDATE']);
    const restart = await call('POST', `/instance/restart/${inst.name}`, inst.token);
    expect(restart.body).toEqual({ instance: { instanceName: inst.name, state: 'open' } });
    expect((await call('DELETE', `/instance/logout/${inst.name}`, inst.token)).body).toEqual({
      status: 'SUCCESS',
      error: false,
      response: { message: 'Instance logged out' },
    });
    expect((await call('DELETE', `/instance/logout/${inst.name}`, inst.token)).body.response.message).toEqual([
      `The "${inst.name}" instance is not connected`,
    ]);
    expect((await call('POST', `/instance/restart/${inst.name}`, inst.token)).body).toEqual({
      error: true,
      message: `BadRequestException: The "${inst.name}" instance is not connected`,
    });
    const states = (await receiver.waitFor(inst.name, 'connection.update', 5)).map((h) => [h.body.data.state, h.body.data.statusReason]);
    expect(states).toEqual([
      ['connecting', 200],
      ['open', 200],
      ['connecting', 200],
      ['open', 200],
      ['close', 401],
    ]);
    expect((await call('DELETE', `/instance/delete/${inst.name}`, inst.token)).status).toBe(200);
    expect(sim.instanceToken(inst.name)).toBeUndefined();
    await expect(sim.receive(inst.name, { from: '+5511987654321', text: 'x' })).rejects.toThrow(/no instance/);
  });

  it('control API guards: receive needs an open instance, ack a known message, groups a participant', async () => {
    const inst = await createInstance();
    await expect(sim.receive(inst.name, { from: '+5511987654321', text: 'x' })).rejects.toThrow(/only an open instance receives/);
    await expect(sim.completePairing(inst.name)).rejects.toThrow(/not connecting/);
    const open = await openInstance([]);
    await expect(sim.ack(open.name, 'UNKNOWN', 'read')).rejects.toThrow(/no message UNKNOWN/);
    await expect(sim.receive(open.name, { from: '120363000000000001@g.us', text: 'x' })).rejects.toThrow(/participant/);
    await expect(sim.deliverRaw(inst.name, {})).rejects.toThrow(/no webhook/);
    expect(await sim.deliverRaw(open.name, { event: 'messages.upsert', instance: open.name, data: {} })).toEqual({ status: 200, body: '' });
    const before = sim.requests().length;
    expect(before).toBeGreaterThan(0);
    sim.reset();
    expect(sim.requests()).toEqual([]);
    expect(sim.sent()).toEqual([]);
    expect(sim.deliveries()).toEqual([]);
  });
});
