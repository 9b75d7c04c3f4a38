// The fake Uazapi GO server on its own, over raw HTTP: auth, the real request/response shapes (compared
// with the captured fixtures key by key), instance state, webhook format, filters and retries, and the
// fault injection the tests, demo and benchmarks rely on.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startUazapiSimulator, type UazapiSimulatorServer } from '../src/uazapi/simulator.ts';

type Json = Record<string, unknown>;
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/contracts/uazapi/fixtures');
const fixture = (name: string): Json => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Json;
const keys = (o: unknown) => Object.keys(o as Json).sort();

/** A webhook endpoint whose answers the test scripts (200 unless told otherwise). */
class Hook {
  bodies: Json[] = [];
  paths: string[] = [];
  statuses: number[] = [];
  url = '';
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.paths.push(req.url ?? '');
      this.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json);
      res.writeHead(this.statuses.shift() ?? 200).end('ok');
    });
  });
  async start() {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  of(eventType: string) {
    return this.bodies.filter((b) => b.EventType === eventType);
  }
  clear() {
    this.bodies = [];
    this.paths = [];
    this.statuses = [];
  }
  stop() {
    this.server.closeAllConnections();
    this.server.close();
  }
}

describe('Uazapi simulator', () => {
  let sim: UazapiSimulatorServer;
  const hook = new Hook();
  let counter = 0;

  beforeAll(async () => {
    await hook.start();
    sim = await startUazapiSimulator({ qrRotateMs: 40, webhookRetryDelayMs: 5, maxMediaBytes: 1024 });
  });
  afterAll(async () => {
    await sim.close();
    hook.stop();
  });
  afterEach(() => {
    sim.clearFailures();
    hook.clear();
  });

  async function call(method: string, p: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(sim.baseUrl + p, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {}
    return { status: res.status, body: json as Json & Json[], headers: res.headers };
  }
  const admin = (method: string, p: string, body?: unknown) => call(method, p, body, { admintoken: sim.adminToken });

  async function instance(opts: { connected?: boolean; webhook?: Json } = {}) {
    const created = await admin('POST', '/instance/create', { name: `sim-${++counter}` });
    const token = created.body.token as string;
    const name = created.body.name as string;
    const as = (method: string, p: string, body?: unknown) => call(method, p, body, { token });
    if (opts.webhook !== undefined)
      await as('POST', '/webhook', { url: hook.url, events: ['connection', 'messages', 'messages_update', 'presence'], ...opts.webhook });
    if (opts.connected) {
      await as('POST', '/instance/connect', {});
      await sim.completePairing(name, '+5511900001111');
    }
    return { token, name, as };
  }

  describe('auth and routing', () => {
    it('server routes need the admin token, instance routes the instance token', async () => {
      expect(await call('GET', '/instance/all')).toMatchObject({ status: 401, body: { error: 'Missing AdminToken Header' } });
      expect(await call('GET', '/instance/all', undefined, { admintoken: 'nope' })).toMatchObject({
        status: 401,
        body: { error: 'Invalid AdminToken Header' },
      });
      expect(await call('GET', '/instance/status')).toMatchObject({ status: 401, body: { error: 'missing token' } });
      expect(await call('GET', '/instance/status', undefined, { token: 'nope' })).toMatchObject({
        status: 401,
        body: { error: 'Invalid token' },
      });
      // The instance token does not open server routes.
      const { token } = await instance();
      expect((await call('GET', '/instance/all', undefined, { token })).status).toBe(401);
    });

    it('routes the captured build lacks answer 405; unknown routes 404; bad JSON 400', async () => {
      const { token } = await instance();
      expect((await call('POST', '/instance/logout', {}, { token })).status).toBe(405);
      expect((await call('DELETE', '/instance/r123', undefined, { token })).status).toBe(405);
      const unknown = await call('GET', '/nope', undefined, { token });
      expect(unknown).toMatchObject({ status: 404, body: '404 page not found' });
      const res = await fetch(`${sim.baseUrl}/send/text`, {
        method: 'POST',
        headers: { token, 'content-type': 'application/json' },
        body: '{oops',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'Invalid JSON body' });
    });
  });

  describe('instances', () => {
    it('create, status and list answer with the captured shapes', async () => {
      const created = await admin('POST', '/instance/init', { name: 'shape-check' });
      const real = fixture('instance-init-response.json');
      expect(keys(created.body)).toEqual(keys(real));
      expect(keys(created.body.instance)).toEqual(keys({ ...(real.instance as Json), currentTime: '' }));
      expect(created.body.instance).toMatchObject({ status: 'disconnected', name: 'shape-check', systemName: 'uazapiGO', owner: '' });
      expect(created.body.instance).toHaveProperty('id', expect.stringMatching(/^r[0-9a-f]{14}$/));
      expect(created.body.instance).toHaveProperty('created', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/));
      expect((await admin('POST', '/instance/create', {})).status).toBe(400);

      const status = await call('GET', '/instance/status', undefined, { token: created.body.token as string });
      expect(keys(status.body)).toEqual(keys(fixture('instance-status-response.json')));
      expect(status.body.status).toEqual({ connected: false, jid: null, loggedIn: false, resetting: false });
      const all = await admin('GET', '/instance/all');
      expect(all.body.some((i: Json) => i.token === created.body.token && i.name === 'shape-check')).toBe(true);
    });

    it('QR: rotates while connecting, only the first QR is pushed, pairing opens the session', async () => {
      const { name, as } = await instance({ webhook: {} });
      const connect = await as('POST', '/instance/connect', {});
      expect(keys(connect.body)).toEqual(keys(fixture('connect-response.json')));
      const first = (connect.body.instance as Json).qrcode as string;
      expect(first).toMatch(/^data:image\/png;base64,/);
      let latest = first;
      for (let i = 0; i < 100 && latest === first; i++) {
        await new Promise((r) => setTimeout(r, 20));
        latest = ((await as('GET', '/instance/status')).body.instance as Json).qrcode as string;
      }
      expect(latest).not.toBe(first);
      expect(latest).toMatch(/^data:image\/png;base64,/);
      // Asked again while connecting: the current QR, no pair code.
      const again = await as('POST', '/instance/connect', { phone: '5511987654321' });
      expect(again.body.instance).toMatchObject({ status: 'connecting', paircode: '' });
      await sim.completePairing(name, '+55 11 98765-4321');
      const connections = hook.of('connection');
      expect(connections.map((c) => (c.instance as Json).status)).toEqual(['connecting', 'connected']);
      expect((connections[0]?.instance as Json | undefined)?.qrcode).toBe(first);
      expect(connections[1]).toMatchObject({ owner: '5511987654321', instanceName: name, BaseUrl: sim.baseUrl });
      expect(keys(connections[1])).toEqual([...keys(fixture('webhook-connection-connected.json')), 'event_id'].sort());
      const status = await as('GET', '/instance/status');
      expect(status.body.status).toMatchObject({
        connected: true,
        loggedIn: true,
        jid: expect.stringMatching(/^5511987654321:\d+@s\.whatsapp\.net$/),
      });
    });

    it('pair code from disconnected; invalid phone refused', async () => {
      const { as, name } = await instance();
      expect((await as('POST', '/instance/connect', { phone: '+55 11' })).status).toBe(400);
      const res = await as('POST', '/instance/connect', { phone: '5511987654321' });
      expect(res.body.instance).toMatchObject({
        status: 'connecting',
        qrcode: '',
        paircode: expect.stringMatching(/^[0-9A-F]{4}-[0-9A-F]{4}$/),
      });
      expect(sim.state(name)).toMatchObject({ status: 'connecting' });
    });

    it('disconnect wipes the session; a dropped connection keeps it; a logout does not', async () => {
      const { as, name } = await instance({ connected: true, webhook: {} });
      await sim.dropConnection(name, false);
      expect(((await as('GET', '/instance/status')).body.instance as Json).lastDisconnectReason).toBe('connection closed: stream error');
      // The kept session reconnects without a QR, and pairing it again is a no-op.
      expect((await as('POST', '/instance/connect', {})).body).toMatchObject({ connected: true });
      await sim.completePairing(name);
      await sim.dropConnection(name, true);
      const loggedOut = hook.of('connection').at(-1);
      expect(loggedOut).toMatchObject({
        type: 'LoggedOut',
        instance: { status: 'disconnected', lastDisconnectReason: '401: logged out from another device' },
      });
      expect(keys(loggedOut)).toEqual([...keys(fixture('webhook-connection-disconnected.json')), 'event_id'].sort());
      const qr = await as('POST', '/instance/connect', {});
      expect(qr.body.instance).toMatchObject({ status: 'connecting', qrcode: expect.stringMatching(/^data:/) });
      const off = await as('POST', '/instance/disconnect');
      expect(off.body).toMatchObject({ response: 'Disconnected' });
      expect(sim.state(name)).toMatchObject({ status: 'disconnected', qrcode: '' });
      await expect(sim.completePairing(name)).rejects.toThrow(/not connecting/);
    });

    it('reset needs a connected instance; rename and presence validate; delete removes', async () => {
      const idle = await instance();
      expect(await idle.as('POST', '/instance/reset')).toMatchObject({ status: 409, body: { error: 'Instance is not connected' } });
      const { as, name, token } = await instance({ connected: true });
      expect((await as('POST', '/instance/reset')).body).toMatchObject({ resetting: true, queuedRecoveryAttempted: false });
      expect((await as('POST', '/instance/updateInstanceName', {})).status).toBe(400);
      expect((await as('POST', '/instance/updateInstanceName', { name: `${name}-b` })).body).toMatchObject({ name: `${name}-b` });
      expect(sim.instanceToken(`${name}-b`)).toBe(token);
      expect((await as('POST', '/instance/presence', { presence: 'busy' })).status).toBe(400);
      expect((await as('POST', '/instance/presence', { presence: 'unavailable' })).body).toEqual({
        response: 'Presence updated successfully',
      });
      expect((await as('DELETE', '/instance')).body).toMatchObject({ response: 'Instance Deleted' });
      expect(sim.instanceToken(`${name}-b`)).toBeUndefined();
      expect((await as('GET', '/instance/status')).status).toBe(401);
    });

    it('connects on its own after autoConnectMs (demo)', async () => {
      const demo = await startUazapiSimulator({ autoConnectMs: 10 });
      try {
        const created = await fetch(`${demo.baseUrl}/instance/create`, {
          method: 'POST',
          headers: { admintoken: demo.adminToken, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'demo' }),
        }).then((r) => r.json() as Promise<Json>);
        await fetch(`${demo.baseUrl}/instance/connect`, { method: 'POST', headers: { token: created.token as string } });
        for (let i = 0; i < 100 && demo.state('demo')?.status !== 'connected'; i++) await new Promise((r) => setTimeout(r, 10));
        expect(demo.state('demo')?.status).toBe('connected');
        expect(demo.state('demo')?.owner).toMatch(/^55119\d{8}$/);
      } finally {
        await demo.close();
      }
    });
  });

  describe('webhook configuration and delivery', () => {
    it('simple mode replaces the one webhook; advanced mode adds, updates and deletes; inputs are validated', async () => {
      const { as } = await instance();
      expect((await as('POST', '/webhook', { url: 'ftp://x' })).status).toBe(400);
      expect((await as('POST', '/webhook', { url: hook.url, events: ['message'] })).status).toBe(400);
      expect((await as('POST', '/webhook', { url: hook.url, excludeMessages: ['nope'] })).status).toBe(400);
      const first = await as('POST', '/webhook', { url: hook.url, events: ['messages'] });
      const second = await as('POST', '/webhook', { url: `${hook.url}/2`, events: ['connection'], enabled: false });
      expect(second.body).toHaveLength(1);
      expect(second.body[0]).toEqual({
        id: (first.body[0] as Json).id,
        enabled: false,
        url: `${hook.url}/2`,
        events: ['connection'],
        excludeMessages: [],
        addUrlEvents: false,
        addUrlTypesMessages: false,
      });
      expect(keys(second.body[0])).toEqual(keys((fixture('webhook-config-get-response.json') as unknown as Json[])[0]));
      const added = await as('POST', '/webhook', { action: 'add', url: `${hook.url}/3`, events: ['messages'] });
      expect(added.body).toHaveLength(2);
      const id = (added.body[1] as Json).id;
      await as('POST', '/webhook', { action: 'update', id, url: `${hook.url}/4`, events: ['presence'] });
      expect(((await as('GET', '/webhook')).body[1] as Json).url).toBe(`${hook.url}/4`);
      expect((await as('POST', '/webhook', { action: 'update', id: 'missing', url: hook.url })).status).toBe(404);
      expect((await as('POST', '/webhook', { action: 'delete', id })).body).toHaveLength(1);
      expect((await as('POST', '/webhook', { action: 'zap', url: hook.url })).status).toBe(400);
    });

    it('delivers only subscribed events, honours excludeMessages, and appends event and type to the URL when asked', async () => {
      const { name, as } = await instance({ connected: true });
      await as('POST', '/webhook', {
        url: hook.url,
        events: ['messages'],
        excludeMessages: ['fromMeYes', 'isGroupYes'],
        addUrlEvents: true,
        addUrlTypesMessages: true,
      });
      await sim.receive(name, { from: '+5511987654321', text: 'entra' });
      await sim.receive(name, { from: '+5511987654321', text: 'meu', fromMe: true });
      await sim.receive(name, { from: '120363000000000001@g.us', participant: '+5511912345678', text: 'grupo' });
      await sim.typing(name, '+5511987654321', 'composing');
      const sent = await as('POST', '/send/text', { number: '5511987654321', text: 'eco' });
      expect(sent.status).toBe(200);
      await sim.receive(name, { from: '+5511987654321', text: 'depois' });
      expect(hook.bodies.map((b) => (b.message as Json).text)).toEqual(['entra', 'depois']);
      expect(hook.paths).toEqual(['/hook/messages/ExtendedTextMessage', '/hook/messages/ExtendedTextMessage']);
    });

    it('retries a failing endpoint with the same body, then records the failure like GET /webhook/errors', async () => {
      const { name, as } = await instance({ connected: true, webhook: {} });
      hook.clear();
      hook.statuses = [500, 502];
      const id = await sim.receive(name, { from: '+5511987654321', text: 'insiste' });
      expect(hook.bodies).toHaveLength(3);
      expect(new Set(hook.bodies.map((b) => b.event_id)).size).toBe(1);
      expect(
        sim
          .deliveries()
          .slice(-3)
          .map((d) => d.status),
      ).toEqual([500, 502, 200]);
      hook.statuses = [500, 500, 500];
      await sim.receive(name, { from: '+5511987654321', text: 'desiste' });
      const errors = await as('GET', '/webhook/errors');
      expect(errors.body).toHaveLength(1);
      expect(keys(errors.body[0])).toEqual(keys((fixture('webhook-errors-response.json') as unknown as Json[])[0]));
      expect(errors.body[0]).toMatchObject({
        event: 'messages',
        status_code: 500,
        attempts: 3,
        type: 'local',
        message_type: 'ExtendedTextMessage',
      });
      expect(id).toMatch(/^AC[0-9A-F]{30}$/);
      const raw = await sim.deliverRaw(name, { EventType: 'messages', anything: true });
      expect(raw.status).toBe(200);
      expect(hook.bodies.at(-1)).toEqual({ EventType: 'messages', anything: true });
    });
  });

  describe('the phone side: webhooks in the captured format', () => {
    it('an inbound text carries the same envelope, chat and message fields as the real capture', async () => {
      const { name } = await instance({ connected: true, webhook: {} });
      const id = await sim.receive(name, { from: '+5511987654321', text: 'oi', pushName: 'Maria' });
      const body = hook.of('messages')[0] as Json;
      const real = fixture('webhook-message-text.json');
      expect(keys(body)).toEqual([...keys(real), 'event_id'].sort());
      expect(keys(body.message)).toEqual(keys(real.message));
      expect(body.message).toMatchObject({
        messageid: id,
        id: `5511900001111:${id}`,
        chatid: '5511987654321@s.whatsapp.net',
        chatlid: expect.stringMatching(/^\d{15}@lid$/),
        sender: expect.stringMatching(/@lid$/),
        sender_pn: '5511987654321@s.whatsapp.net',
        senderName: 'Maria',
        fromMe: false,
        isGroup: false,
        wasSentByApi: false,
        messageType: 'ExtendedTextMessage',
        type: 'text',
        text: 'oi',
        content: { text: 'oi' },
      });
      expect(Math.abs(Date.now() - ((body.message as Json).messageTimestamp as number))).toBeLessThan(60_000);
      expect((body.chat as Json).wa_chatid).toBe('5511987654321@s.whatsapp.net');
    });

    it('media, location, contact, reaction, edit, reply, group and deletion payloads', async () => {
      const { name } = await instance({ connected: true, webhook: {} });
      const from = '+5511987654321';
      const doc = await sim.receive(name, {
        from,
        media: { kind: 'document', mimeType: 'application/pdf', data: Buffer.from('%PDF'), fileName: 'a.pdf', caption: 'veja' },
      });
      await sim.receive(name, { from, media: { kind: 'voice', mimeType: 'audio/ogg; codecs=opus', data: Buffer.from('OggS') } });
      await sim.receive(name, { from, location: { latitude: -8, longitude: -34, name: 'Recife' } });
      await sim.receive(name, { from, contact: { name: 'Ana', phone: '+5511912345678' } });
      await sim.receive(name, { from, reaction: { targetId: doc, emoji: '👍' } });
      await sim.receive(name, { from, edit: { targetId: doc, text: 'novo' } });
      await sim.receive(name, { from, text: 'resposta', replyToId: doc });
      await sim.receive(name, { from: '120363000000000001@g.us', participant: '+5511912345678', text: 'grupo' });
      await sim.receive(name, { from, deleteOf: doc });
      const messages = hook.of('messages').map((b) => b.message as Json);
      expect(messages.map((m) => [m.messageType, m.mediaType, m.type])).toEqual([
        ['DocumentMessage', 'document', 'media'],
        ['AudioMessage', 'ptt', 'media'],
        ['LocationMessage', 'location', 'media'],
        ['ContactMessage', 'vcard', 'media'],
        ['ReactionMessage', '', 'reaction'],
        ['ExtendedTextMessage', '', 'text'],
        ['ExtendedTextMessage', '', 'text'],
        ['ExtendedTextMessage', '', 'text'],
      ]);
      expect(messages[0]?.content).toMatchObject({
        mimetype: 'application/pdf',
        fileName: 'a.pdf',
        caption: 'veja',
        fileLength: 4,
        URL: expect.stringMatching(/^https:\/\/mmg\.whatsapp\.net\//),
      });
      expect(messages[1]?.content).toMatchObject({ PTT: true });
      expect(messages[2]?.content).toMatchObject({ degreesLatitude: -8, degreesLongitude: -34, name: 'Recife' });
      expect((messages[3]?.content as Json | undefined)?.vcard).toContain('waid=5511912345678');
      expect(messages[4]).toMatchObject({ reaction: doc, text: '👍' });
      expect(messages[5]).toMatchObject({ edited: doc, text: 'novo' });
      expect(messages[6]).toMatchObject({ quoted: doc });
      expect(messages[7]).toMatchObject({
        chatid: '120363000000000001@g.us',
        isGroup: true,
        chatlid: '',
        sender_pn: '5511912345678@s.whatsapp.net',
        groupName: 'Grupo Simulado',
      });
      const deleted = hook.of('messages_update')[0] as Json;
      expect(keys(deleted)).toEqual([...keys(fixture('webhook-messages-update-deleted.json')), 'event_id'].sort());
      expect(deleted).toMatchObject({
        state: 'Deleted',
        type: 'DeletedMessage',
        event: { MessageIDs: [doc], Type: 'Deleted', IsFromMe: false },
      });
    });

    it('a LID-addressed contact, typing and acks', async () => {
      const { name, as } = await instance({ connected: true, webhook: {} });
      await sim.receive(name, { from: '+5511976543210', lid: '123456789012345@lid', text: 'lid' });
      expect(hook.of('messages')[0]?.message).toMatchObject({
        chatlid: '123456789012345@lid',
        sender: '123456789012345@lid',
        sender_pn: '5511976543210@s.whatsapp.net',
      });
      await sim.typing(name, '+5511976543210', 'recording');
      expect(hook.of('presence')[0]).toMatchObject({
        type: 'ChatPresence',
        event: { State: 'composing', Media: 'audio', IsFromMe: false },
      });
      const sent = await as('POST', '/send/text', { number: '5511976543210', text: 'oi' });
      await sim.ack(name, sent.body.messageid as string, 'read');
      const ack = hook.of('messages_update')[0] as Json;
      expect(keys(ack)).toEqual([...keys(fixture('webhook-messages-update-read.json')), 'event_id'].sort());
      expect(ack).toMatchObject({
        state: 'Read',
        event: { MessageIDs: [sent.body.messageid], Chat: '5511976543210@s.whatsapp.net', IsFromMe: false },
      });
      await expect(sim.ack(name, 'NOPE', 'read')).rejects.toThrow(/unknown message/);
      await expect(sim.receive(name, { from: '120363000000000001@g.us', text: 'x' })).rejects.toThrow(/participant/);
    });

    it('refuses to receive on an instance that is not connected', async () => {
      const { name } = await instance();
      await expect(sim.receive(name, { from: '+5511987654321', text: 'x' })).rejects.toThrow(/not connected/);
    });
  });

  describe('the API side: sends', () => {
    it('text answers the captured Message shape, echoes on the webhook and expands placeholders', async () => {
      const { name, as } = await instance({ connected: true, webhook: {} });
      await sim.receive(name, { from: '+5511987654321', text: 'oi', pushName: 'Maria Clara' });
      hook.clear();
      const res = await as('POST', '/send/text', {
        number: '5511987654321',
        text: 'Olá {{first_name}}!',
        track_source: 'whatpro',
        track_id: 'T-1',
      });
      expect(keys(res.body)).toEqual(keys(fixture('send-text-response.json')));
      expect(res.body).toMatchObject({
        messageid: expect.stringMatching(/^3EB0[0-9A-F]{18}$/),
        fromMe: true,
        wasSentByApi: true,
        track_id: 'T-1',
        text: 'Olá Maria!',
      });
      await sim.settled(name);
      const echo = hook.of('messages')[0]?.message as Json;
      expect(echo).toMatchObject({
        messageid: res.body.messageid,
        fromMe: true,
        wasSentByApi: true,
        track_source: 'whatpro',
        track_id: 'T-1',
        source: 'api',
      });
      expect(sim.sent(name).at(-1)).toMatchObject({ type: 'text', text: 'Olá Maria!', trackId: 'T-1', to: '5511987654321@s.whatsapp.net' });
    });

    it('validates sends like the server does', async () => {
      const idle = await instance();
      expect(await idle.as('POST', '/send/text', { number: '5511987654321', text: 'x' })).toMatchObject({
        status: 500,
        body: { error: 'No session' },
      });
      const { as, name } = await instance({ connected: true });
      expect(await as('POST', '/send/text', { number: '5511987654321' })).toMatchObject({
        status: 400,
        body: { error: 'Missing number or text' },
      });
      expect((await as('POST', '/send/text', { number: 'abc', text: 'x' })).status).toBe(400);
      expect((await as('POST', '/send/text', { number: '5511987654321@x.net', text: 'x' })).status).toBe(400);
      expect((await as('POST', '/send/media', { number: '5511987654321', type: 'gif', file: 'https://x/y' })).status).toBe(400);
      expect((await as('POST', '/send/media', { number: '5511987654321', type: 'image', file: '%%%' })).status).toBe(400);
      const big = Buffer.alloc(2048, 1).toString('base64');
      expect(await as('POST', '/send/media', { number: '5511987654321', type: 'image', file: big })).toMatchObject({
        status: 413,
        body: { error: 'File size exceeds limit' },
      });
      expect((await as('POST', '/send/location', { number: '5511987654321', latitude: 91, longitude: 0 })).status).toBe(400);
      expect((await as('POST', '/send/contact', { number: '5511987654321', fullName: 'A' })).status).toBe(400);
      const mine = await as('POST', '/send/text', { number: '5511987654321', text: 'meu' });
      expect(await as('POST', '/message/react', { number: '5511987654321', text: '👍', id: mine.body.messageid })).toMatchObject({
        status: 400,
      });
      const theirs = await sim.receive(name, { from: '+5511987654321', text: 'deles' });
      expect(await as('POST', '/message/edit', { id: theirs, text: 'x' })).toMatchObject({
        status: 400,
        body: { error: 'You can only edit your own messages' },
      });
      expect(await as('POST', '/message/delete', { id: 'NOPE' })).toMatchObject({ status: 404, body: { error: 'Message not found' } });
      expect((await as('POST', '/message/presence', { number: '5511987654321', presence: 'typing' })).status).toBe(400);
      expect((await as('POST', '/chat/read', { number: '5511987654321@s.whatsapp.net' })).status).toBe(400);
      expect((await as('POST', '/message/markread', { id: [] })).status).toBe(400);
    });

    it('media: base64 kept, full ids accepted, markread per id, find by track id', async () => {
      const { as, name } = await instance({ connected: true });
      const data = Buffer.from('OggS-voice').toString('base64');
      const res = await as('POST', '/send/media', {
        number: '5511987654321',
        type: 'ptt',
        file: `data:audio/ogg;base64,${data}`,
        track_id: 'V1',
      });
      expect(keys(res.body)).toEqual(keys(fixture('send-media-response.json')));
      expect((res.body.response as Json).fileUrl).toMatch(/^https:\/\/mmg\.whatsapp\.net\//);
      expect(sim.sent(name).at(-1)).toMatchObject({ type: 'voice', mediaBase64: data, mimeType: 'audio/ogg; codecs=opus', trackId: 'V1' });
      const inbound = await sim.receive(name, { from: '+5511987654321', text: 'x' });
      expect((await as('POST', '/message/markread', { id: [`5511900001111:${inbound}`, 'NOPE'] })).body).toEqual({
        results: [
          { message_id: `5511900001111:${inbound}`, status: 'success' },
          { message_id: 'NOPE', status: 'error', error: 'message not found' },
        ],
      });
      const found = await as('POST', '/message/find', { track_id: 'V1' });
      expect(found.body).toMatchObject({
        returnedMessages: 1,
        hasMore: false,
        messages: [{ messageid: res.body.messageid, track_id: 'V1' }],
      });
      const deleted = await as('POST', '/message/delete', { id: `5511900001111:${res.body.messageid}` });
      expect(deleted.body).toMatchObject({ id: res.body.messageid, timestamp: expect.any(Number) });
    });

    it('/message/download returns a public link, inline base64 on request, and reports MP3 for audio unless told not to', async () => {
      const { as, name } = await instance({ connected: true });
      const bytes = Buffer.from('OggS-voice-note');
      const id = await sim.receive(name, {
        from: '+5511987654321',
        media: { kind: 'voice', mimeType: 'audio/ogg; codecs=opus', data: bytes },
      });
      const link = await as('POST', '/message/download', { id });
      expect(keys(link.body)).toEqual(['fileURL', 'mimetype']);
      expect(link.body.mimetype).toBe('audio/mpeg');
      const file = await fetch(link.body.fileURL as string);
      expect(Buffer.from(await file.arrayBuffer()).equals(bytes)).toBe(true);
      const inline = await as('POST', '/message/download', { id, return_base64: true, return_link: false, generate_mp3: false });
      expect(inline.body).toEqual({ mimetype: 'audio/ogg; codecs=opus', base64Data: bytes.toString('base64') });
      const text = await sim.receive(name, { from: '+5511987654321', text: 'sem mídia' });
      expect((await as('POST', '/message/download', { id: text })).status).toBe(400);
      expect((await fetch(`${sim.baseUrl}/files/missing`)).status).toBe(404);
    });

    it('acknowledges API sends on its own after autoAckMs (demo)', async () => {
      const demo = await startUazapiSimulator({ autoAckMs: 5 });
      try {
        const created = (await fetch(`${demo.baseUrl}/instance/create`, {
          method: 'POST',
          headers: { admintoken: demo.adminToken, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'ack' }),
        }).then((r) => r.json())) as Json;
        const token = created.token as string;
        const post = (p: string, body: unknown) =>
          fetch(demo.baseUrl + p, { method: 'POST', headers: { token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        await post('/webhook', { url: hook.url, events: ['messages_update'] });
        await post('/instance/connect', {});
        await demo.completePairing('ack', '+5511900002222');
        const sent = (await (await post('/send/text', { number: '5511987654321', text: 'oi' })).json()) as Json;
        for (let i = 0; i < 100 && hook.of('messages_update').length < 2; i++) await new Promise((r) => setTimeout(r, 10));
        expect(hook.of('messages_update').map((b) => [b.state, (b.event as Json).MessageIDs])).toEqual([
          ['Delivered', [sent.messageid]],
          ['Read', [sent.messageid]],
        ]);
      } finally {
        await demo.close();
      }
    });
  });

  describe('fault injection and recordings', () => {
    it('planned failures match path and method, count down, delay, and carry headers', async () => {
      const { as } = await instance();
      sim.fail({ path: '/instance/status', method: 'POST', status: 418 });
      expect((await as('GET', '/instance/status')).status).toBe(200);
      sim.clearFailures();
      sim.fail({ path: /^\/instance\//, status: 429, headers: { 'retry-after': '7' }, times: 2, delayMs: 5 });
      const first = await as('GET', '/instance/status');
      expect(first.status).toBe(429);
      expect(first.headers.get('retry-after')).toBe('7');
      expect(first.body).toEqual({ error: 'Too Many Requests' });
      expect((await as('GET', '/instance/status')).status).toBe(429);
      expect((await as('GET', '/instance/status')).status).toBe(200);
    });

    it('reset drops the connection; hang never answers; error rate fails with 500', async () => {
      const { as } = await instance();
      sim.fail({ path: '/instance/status', reset: true });
      await expect(as('GET', '/instance/status')).rejects.toThrow();
      sim.fail({ path: '/instance/status', hang: true });
      await expect(fetch(`${sim.baseUrl}/instance/status`, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
      sim.setErrorRate(1);
      expect(await as('GET', '/instance/status')).toMatchObject({ status: 500, body: { error: 'Internal server error' } });
      sim.setErrorRate(0);
      expect((await as('GET', '/instance/status')).status).toBe(200);
    });

    it('records requests with headers and bodies, filters them, and reset() forgets them', async () => {
      const { as, token } = await instance();
      await as('POST', '/instance/updateInstanceName', { name: 'recorded' });
      const recorded = sim.requests({ path: '/instance/updateInstanceName', method: 'post' }).at(-1);
      expect(recorded).toMatchObject({ method: 'POST', body: { name: 'recorded' }, headers: { token } });
      expect(sim.requests({ path: /updateInstanceName/ }).length).toBeGreaterThan(0);
      sim.reset();
      expect(sim.requests()).toEqual([]);
      expect(sim.sent()).toEqual([]);
      expect(sim.deliveries()).toEqual([]);
      expect(sim.instanceToken('recorded')).toBe(token);
    });
  });
});
