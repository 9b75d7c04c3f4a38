// Evolution-specific adapter behaviour against the Evolution simulator: the awkward paths the shared
// contract suite does not reach (late pair codes, older servers, media retrieval routes, LID read
// receipts, blocking presence, partial settings).
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InstanceCredentials, MediaRef, MessageEvent } from '@whatpro/domain';
import { type EvolutionSimulator, startEvolutionSimulator } from '@whatpro/simulators';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../src/errors.ts';
import { createEvolutionAdapter, DEFAULT_PRESENCE_MS, type EvolutionAdapter } from '../src/evolution/adapter.ts';
import { createProviderAdapter } from '../src/factory.ts';

const CONTACT = '+5511987654321';

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a failure');
}

describe('Evolution adapter against the simulator', () => {
  let sim: EvolutionSimulator;
  let adapter: EvolutionAdapter;
  // The Hub's endpoint only has to answer 2xx: what was delivered is read from the simulator's log.
  const hub = http.createServer((req, res) => req.resume().on('end', () => res.end()));
  let hubUrl = '';
  let n = 0;

  beforeAll(async () => {
    hub.listen(0, '127.0.0.1');
    await once(hub, 'listening');
    hubUrl = `http://127.0.0.1:${(hub.address() as AddressInfo).port}/hook`;
    sim = await startEvolutionSimulator({ qrRotateMs: 10_000, maxDelayMs: 1000, mediaUrls: true });
    adapter = createEvolutionAdapter({
      baseUrl: sim.baseUrl,
      adminToken: sim.adminToken,
      timeoutMs: 3000,
      pairCodeWait: { attempts: 2, intervalMs: 10 },
    });
  });
  afterAll(async () => {
    await sim.close();
    hub.closeAllConnections();
    hub.close();
  });
  afterEach(() => sim.clearFailures());

  const create = async (): Promise<InstanceCredentials> => {
    const c = await adapter.createInstance({ name: `ad-${Date.now().toString(36)}-${++n}` });
    return { name: c.name, id: c.id, token: c.token };
  };
  /** Paired first, webhook configured afterwards: Evolution has not read `webhookBase64` for this session. */
  const openWithLateWebhook = async () => {
    const inst = await create();
    await adapter.connect(inst);
    await sim.completePairing(inst.name, '+5511900002222');
    await adapter.configureWebhook(inst, { url: hubUrl });
    return inst;
  };
  const messageFor = async (inst: InstanceCredentials, id: string): Promise<MessageEvent> => {
    for (let i = 0; i < 100; i++) {
      const ev = sim
        .deliveries()
        .map((d) => adapter.parseWebhook(d.body))
        .filter((p) => p.instanceKey === inst.name)
        .flatMap((p) => p.events)
        .find((e): e is MessageEvent => e.kind === 'message' && e.messageId === id);
      if (ev) return ev;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no message ${id}`);
  };

  it('is what the factory builds for "evolution"', () => {
    const built = createProviderAdapter('evolution', { baseUrl: sim.baseUrl, adminToken: sim.adminToken });
    expect(built.kind).toBe('evolution');
    expect(built.capabilities.trackId).toBe(false);
    expect(built.capabilities.rename).toBe(false);
  });

  it('keeps asking for a pair code Evolution has not produced yet', async () => {
    const inst = await create();
    sim.fail({
      path: '/instance/connect',
      status: 200,
      body: { pairingCode: null, code: '2@late', base64: 'data:image/png;base64,AAAA', count: 1 },
    });
    const info = await adapter.connect(inst, { phone: CONTACT });
    expect(info.state).toBe('connecting');
    expect(info.pairCode).toMatch(/^[A-Z0-9]{8}$/);
    const calls = sim.requests({ path: `/instance/connect/${inst.name}` });
    expect(calls.map((c) => c.query.number)).toEqual(['5511987654321', '5511987654321']);
    expect(sim.requests({ path: '/instance/logout' })).toHaveLength(0);
  });

  it('starts over for a pair code when a QR session is already running', async () => {
    const inst = await create();
    expect((await adapter.connect(inst)).pairCode).toBeUndefined();
    const before = sim.requests({ path: `/instance/connect/${inst.name}` }).length;
    const info = await adapter.connect(inst, { phone: CONTACT });
    expect(info.pairCode).toMatch(/^[A-Z0-9]{8}$/);
    expect(sim.requests({ path: `/instance/logout/${inst.name}` })).toHaveLength(1);
    // 1 + polls while the old session ignores the number, then 1 for the new session.
    expect(sim.requests({ path: `/instance/connect/${inst.name}` }).length - before).toBe(4);
  });

  it('a connect that fails inside Evolution (HTTP 200 with error:true) is a server error', async () => {
    const inst = await create();
    sim.fail({ path: '/instance/connect', status: 200, body: { error: true, message: 'Error: Connection Failure' } });
    const error = await failure(adapter.connect(inst));
    expect(error).toMatchObject({ kind: 'server', retryable: true, httpStatus: 200, providerMessage: 'Error: Connection Failure' });
    expect(error.message).not.toContain(inst.token);
  });

  it('restarting a closed instance connects it; disconnecting a closed one is a no-op', async () => {
    const inst = await create();
    await expect(adapter.disconnect(inst)).resolves.toBeUndefined();
    const info = await adapter.restart(inst);
    expect(info.state).toBe('connecting');
    expect(info.qrCode).toMatch(/^data:image\/png;base64,/);
    expect(sim.requests({ path: `/instance/restart/${inst.name}` })[0]?.method).toBe('POST');
    expect(sim.instance(inst.name)?.state).toBe('connecting');
    // A restart while connecting issues a fresh QR code.
    const again = await adapter.restart(inst);
    expect(again.qrCode).toMatch(/^data:image\/png;base64,/);
    expect(again.qrCode).not.toBe(info.qrCode);
  });

  it('other failures of logout still surface', async () => {
    const inst = await create();
    sim.fail({ path: '/instance/logout', status: 500 });
    expect((await failure(adapter.disconnect(inst))).kind).toBe('server');
  });

  it('deletes on older servers that refuse to delete an open instance, and treats a missing one as deleted', async () => {
    const inst = await create();
    await adapter.connect(inst);
    await sim.completePairing(inst.name, '+5511900003333');
    sim.fail({
      path: '/instance/delete',
      status: 400,
      body: { status: 400, error: 'Bad Request', response: { message: [`The "${inst.name}" instance needs to be disconnected`] } },
    });
    await adapter.deleteInstance(inst);
    const lifecycle = sim.requests({ path: /^\/instance\/(logout|delete)\// }).filter((r) => r.path.endsWith(`/${inst.name}`));
    expect(lifecycle.map((r) => r.path.split('/')[2])).toEqual(['delete', 'logout', 'delete']);
    expect(sim.instance(inst.name)).toBeUndefined();
    await expect(adapter.deleteInstance(inst)).resolves.toBeUndefined();
    sim.fail({ path: '/instance/delete', status: 400, body: { response: { message: ['something else'] } } });
    expect((await failure(adapter.deleteInstance(inst))).providerMessage).toBe('something else');
  });

  it('rejects what Evolution answers without the ids it must carry', async () => {
    sim.fail({ path: '/instance/create', status: 201, body: { instance: { instanceName: 'x' } } });
    expect((await failure(adapter.createInstance({ name: 'x' }))).kind).toBe('invalid_response');
    const inst = await create();
    sim.fail({ path: '/message/sendText', status: 201, body: { status: 'PENDING' } });
    expect((await failure(adapter.send(inst, { type: 'text', to: CONTACT, text: 'x' }))).kind).toBe('invalid_response');
    sim.fail({ path: '/chat/updateMessage', status: 201, body: {} });
    const edit = await adapter.send(inst, { type: 'edit', to: CONTACT, target: { id: 'T9', fromMe: true }, text: 'y' });
    expect(edit.messageId).toBe('T9');
    expect(edit.timestamp).toBeGreaterThan(1_600_000_000_000);
    sim.fail({ path: '/chat/getBase64FromMediaMessage', status: 201, body: { mimetype: 'image/png' } });
    expect((await failure(adapter.downloadMedia(inst, { handle: { messageId: 'M' } }))).kind).toBe('invalid_response');
  });

  it('rename is reported as unsupported', async () => {
    const error = await failure(adapter.rename());
    expect(error).toMatchObject({ kind: 'unsupported', retryable: false });
  });

  it('media without inline data is fetched with getBase64FromMediaMessage; after a restart it arrives inline', async () => {
    const inst = await openWithLateWebhook();
    const data = Buffer.from('%PDF-1.7 fake');
    const id = await sim.receive(inst.name, {
      from: CONTACT,
      media: { kind: 'document', mimeType: 'application/pdf', data, fileName: 'nota.pdf' },
    });
    const ev = await messageFor(inst, id);
    if (ev.content.type !== 'document') throw new Error('expected a document');
    expect(ev.content.media.base64).toBeUndefined();
    expect(ev.content.media.url).toContain('/s3/');
    // The storage URL has expired: the adapter falls back to asking Evolution for the file.
    sim.fail({ path: '/s3', status: 403, body: { error: 'AccessDenied' } });
    const file = await adapter.downloadMedia(inst, ev.content.media);
    expect(file).toEqual({ data, mimeType: 'application/pdf', fileName: 'nota.pdf' });
    const getBase64 = sim.requests({ path: `/chat/getBase64FromMediaMessage/${inst.name}` });
    expect(getBase64.map((r) => r.body)).toEqual([{ message: { key: { id } }, convertToMp4: false }]);
    expect(getBase64[0]?.headers.apikey).toBe(inst.token);

    await adapter.restart(inst);
    const inlineId = await sim.receive(inst.name, {
      from: CONTACT,
      media: { kind: 'image', mimeType: 'image/jpeg', data: Buffer.from('jpeg') },
    });
    const inline = await messageFor(inst, inlineId);
    expect(inline.content.type === 'image' && inline.content.media.base64).toBe(Buffer.from('jpeg').toString('base64'));
  });

  it('downloads from the storage URL without sending Evolution credentials there', async () => {
    const inst = await openWithLateWebhook();
    const data = Buffer.from('OggS voice');
    const id = await sim.receive(inst.name, { from: CONTACT, media: { kind: 'voice', mimeType: 'audio/ogg', data } });
    const ev = await messageFor(inst, id);
    if (ev.content.type !== 'voice') throw new Error('expected a voice note');
    const file = await adapter.downloadMedia(inst, ev.content.media);
    expect(file.data.equals(data)).toBe(true);
    expect(file.mimeType).toBe('audio/ogg; codecs=opus');
    const storage = sim.requests({ path: '/s3' });
    expect(storage.at(-1)?.headers.apikey).toBeUndefined();
    expect(
      sim
        .requests({ path: '/chat/getBase64FromMediaMessage' })
        .filter((r) => (r.body as { message: { key: { id: string } } }).message.key.id === id),
    ).toEqual([]);
  });

  it('media with nothing to fetch it by is a bad request; a storage failure without an id surfaces', async () => {
    const inst = await create();
    expect((await failure(adapter.downloadMedia(inst, { handle: {} }))).kind).toBe('bad_request');
    sim.fail({ path: '/s3', status: 404, body: { error: 'NoSuchKey' } });
    const media: MediaRef = { url: `${sim.baseUrl}/s3/evolution/x/y`, handle: {} };
    expect((await failure(adapter.downloadMedia(inst, media))).kind).toBe('not_found');
    const inline = await adapter.downloadMedia(inst, { base64: Buffer.from('abc').toString('base64'), fileName: 'a.txt', handle: {} });
    expect(inline).toEqual({ data: Buffer.from('abc'), mimeType: 'application/octet-stream', fileName: 'a.txt' });
    const byMessage = await failure(adapter.downloadMedia(inst, { handle: {} }, { id: 'UNKNOWN' }));
    expect(byMessage).toMatchObject({ kind: 'bad_request', httpStatus: 400 });
  });

  it('sends to LIDs and groups with their full JID, bytes without data-URI prefix, documents named', async () => {
    const inst = await create();
    await adapter.connect(inst);
    await sim.completePairing(inst.name, '+5511900004444');
    await adapter.send(inst, { type: 'text', to: '76201477542116@lid', text: 'via lid' });
    await adapter.send(inst, { type: 'text', to: '120363000000000009@g.us', text: 'grupo' });
    await adapter.send(inst, {
      type: 'document',
      to: CONTACT,
      source: { base64: `data:application/pdf;base64,${Buffer.from('pdf').toString('base64')}`, mimeType: 'application/pdf' },
    });
    await adapter.send(inst, {
      type: 'contact',
      to: CONTACT,
      name: 'Ana',
      phones: ['+5511988887777', '+551133334444'],
      organization: 'Acme',
      email: 'ana@acme.test',
    });
    const bodies = sim
      .requests({ path: /^\/message\// })
      .filter((r) => r.path.endsWith(`/${inst.name}`))
      .map((r) => r.body as Record<string, unknown>);
    expect(bodies[0]?.number).toBe('76201477542116@lid');
    expect(bodies[1]?.number).toBe('120363000000000009@g.us');
    expect(bodies[2]).toMatchObject({
      mediatype: 'document',
      media: Buffer.from('pdf').toString('base64'),
      fileName: 'document.pdf',
      mimetype: 'application/pdf',
    });
    expect(bodies[3]?.contact).toEqual([
      { fullName: 'Ana', wuid: '5511988887777', phoneNumber: '+5511988887777', organization: 'Acme', email: 'ana@acme.test' },
      { fullName: 'Ana', wuid: '551133334444', phoneNumber: '+551133334444', organization: 'Acme', email: 'ana@acme.test' },
    ]);
    const sent = sim.sent(inst.name);
    expect(sent.map((s) => s.to)).toEqual(['76201477542116@lid', '120363000000000009@g.us', '5511987654321', '5511987654321']);
    expect(sent[3]?.contactPhones).toEqual(['+5511988887777', '+551133334444']);
  });

  it('a send with a delay waits for Evolution past the normal timeout; presence defaults and LID receipts', async () => {
    const inst = await create();
    await adapter.connect(inst);
    await sim.completePairing(inst.name, '+5511900005555');
    const slow = createEvolutionAdapter({ baseUrl: sim.baseUrl, adminToken: sim.adminToken, timeoutMs: 100 });
    await expect(slow.setPresence(inst, CONTACT, 'recording', 400)).resolves.toBeUndefined();
    const sent = await slow.send(inst, { type: 'text', to: CONTACT, text: 'depois de digitar', delayMs: 400 });
    expect(sent.messageId).toMatch(/^3EB0[0-9A-F]{18}$/);

    await adapter.setPresence(inst, CONTACT, 'paused');
    await adapter.setPresence(inst, CONTACT, 'available');
    expect(sim.presences(inst.name).map((p) => [p.presence, p.delay])).toEqual([
      ['recording', 400],
      ['paused', 0],
      ['available', 0],
    ]);
    expect(DEFAULT_PRESENCE_MS).toBe(3000);

    await adapter.markRead(inst, CONTACT, []);
    expect(sim.requests({ path: '/chat/markMessageAsRead' })).toHaveLength(0);
    await adapter.markRead(inst, CONTACT, [{ id: 'R1', chatJid: '76201477542116@lid' }, { id: 'R2' }]);
    await adapter.markRead(inst, '76201477542116@lid', [{ id: 'R3', chatJid: '76201477542116@lid' }]);
    expect(sim.readReceipts(inst.name).map((r) => [r.id, r.remoteJid, r.skipped])).toEqual([
      ['R1', '5511987654321@s.whatsapp.net', false],
      ['R2', '5511987654321@s.whatsapp.net', false],
      ['R3', '76201477542116@lid', true],
    ]);
  });

  it('partial settings keep the server’s current values; an empty update makes no call', async () => {
    const inst = await create();
    await adapter.updateSettings(inst, { rejectCalls: true, rejectCallMessage: 'Só mensagens', ignoreGroups: true });
    expect(sim.instance(inst.name)?.settings).toMatchObject({
      rejectCall: true,
      msgCall: 'Só mensagens',
      groupsIgnore: true,
      alwaysOnline: false,
    });
    await adapter.updateSettings(inst, { alwaysOnline: true });
    expect(sim.instance(inst.name)?.settings).toMatchObject({
      rejectCall: true,
      msgCall: 'Só mensagens',
      groupsIgnore: true,
      alwaysOnline: true,
    });
    const calls = sim.requests({ path: /^\/settings\// }).length;
    expect(await adapter.updateSettings(inst, { readStatus: undefined })).toEqual({ applied: [], unsupported: [] });
    expect(sim.requests({ path: /^\/settings\// })).toHaveLength(calls);
    // A server without a settings row yet (`null`) starts from all-off.
    sim.fail({ path: '/settings/find', status: 200, body: null });
    await adapter.updateSettings(inst, { readMessages: undefined, autoReadMessages: true } as never);
    expect(sim.requests({ path: '/settings/set' }).at(-1)?.body).toEqual({
      rejectCall: false,
      groupsIgnore: false,
      alwaysOnline: false,
      readMessages: true,
      readStatus: false,
      syncFullHistory: false,
      msgCall: '',
    });
  });

  it('reads older fetchInstances rows and tolerates an open instance missing from them', async () => {
    sim.fail({
      path: '/instance/fetchInstances',
      status: 200,
      body: [
        {
          instance: {
            instanceName: 'old',
            instanceId: 'id-1',
            owner: '5511900006666@s.whatsapp.net',
            profileName: 'Velho',
            status: 'open',
            apikey: 'K',
          },
        },
      ],
    });
    expect(await adapter.listInstances()).toEqual([
      {
        name: 'old',
        id: 'id-1',
        token: 'K',
        state: 'open',
        jid: '5511900006666@s.whatsapp.net',
        phoneE164: '+5511900006666',
        profileName: 'Velho',
      },
    ]);
    const inst = await create();
    sim.fail({ path: '/instance/connectionState', status: 200, body: { instance: { instanceName: inst.name, state: 'open' } } });
    sim.fail({ path: '/instance/fetchInstances', status: 200, body: [] });
    expect(await adapter.getConnection(inst)).toEqual({ state: 'open' });
    sim.fail({ path: '/instance/fetchInstances', status: 200, body: {} });
    expect(await adapter.listInstances()).toEqual([]);
  });

  it('never puts the instance token or global key in an error', async () => {
    const inst = await create();
    for (const status of [400, 401, 404, 500]) {
      sim.fail({ path: /./, status });
      const error = await failure(adapter.send(inst, { type: 'text', to: CONTACT, text: 'x' }));
      const text = `${error.message} ${error.providerMessage} ${JSON.stringify(error)} ${error.stack}`;
      expect(text).not.toContain(inst.token);
      expect(text).not.toContain(sim.adminToken);
      // Evolution's 401 carries a plain "Unauthorized"; the others the message list.
      expect(error.providerMessage).toBe(status === 401 ? 'Unauthorized' : 'injected failure');
    }
  });
});
