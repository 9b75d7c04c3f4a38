// Every request the Uazapi adapter sends, validated against the vendor's OpenAPI document. The scenario
// drives every adapter method against the simulator; the simulator records the requests as they went
// over the wire.
import type { SendCommand } from '@whatpro/domain';
import { startUazapiSimulator, type UazapiSimulatorServer } from '@whatpro/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUazapiAdapter, type UazapiAdapter } from '../src/uazapi/adapter.ts';
import { UazapiOpenApi } from './openapi-uazapi.ts';

const CONTACT = '+5511987654321';

describe('Uazapi requests conform to uazapi-openapi.json', () => {
  let sim: UazapiSimulatorServer;
  let adapter: UazapiAdapter;
  const spec = new UazapiOpenApi();

  beforeAll(async () => {
    sim = await startUazapiSimulator({ qrRotateMs: 60_000, webhookAttempts: 1 });
    adapter = createUazapiAdapter({ baseUrl: sim.baseUrl, adminToken: sim.adminToken, pairRetryDelayMs: 5 });
  });
  afterAll(() => sim.close());

  it('accepts every request of a full scenario, and the scenario reaches every adapter call', async () => {
    const created = await adapter.createInstance({ name: 'openapi-check', webhook: { url: 'http://127.0.0.1:9/unreachable' } });
    const inst = { name: created.name, id: created.id, token: created.token };
    await adapter.listInstances();
    await adapter.updateSettings(inst, { ignoreGroups: true, alwaysOnline: true, rejectCalls: true, syncFullHistory: true });
    await adapter.connect(inst);
    await adapter.connect(inst, { phone: CONTACT }); // the pair-code quirk: disconnect, poll, connect again
    await sim.completePairing(inst.name, '+5511900001111');
    await adapter.getConnection(inst);

    const inbound = await sim.receive(inst.name, { from: CONTACT, text: 'oi' });
    const photo = await sim.receive(inst.name, {
      from: CONTACT,
      media: { kind: 'image', mimeType: 'image/jpeg', data: Buffer.from('jpeg') },
    });
    const to = CONTACT;
    const sends: SendCommand[] = [
      {
        type: 'text',
        to,
        text: 'Olá {{name}}',
        replyTo: { id: inbound },
        linkPreview: true,
        mentions: [CONTACT],
        delayMs: 1200,
        trackId: 't1',
      },
      { type: 'text', to: '120363000000000001@g.us', text: 'grupo' },
      { type: 'image', to, source: { url: 'https://cdn.example.com/a.jpg' }, caption: 'foto', trackId: 't2' },
      { type: 'image', to, source: { base64: Buffer.from('jpeg').toString('base64'), mimeType: 'image/jpeg' } },
      { type: 'video', to, source: { url: 'https://cdn.example.com/v.mp4' } },
      { type: 'document', to, source: { url: 'https://cdn.example.com/c.pdf' }, fileName: 'c.pdf', mimeType: 'application/pdf' },
      { type: 'audio', to, source: { url: 'https://cdn.example.com/a.mp3' } },
      { type: 'voice', to, source: { url: 'https://cdn.example.com/v.ogg' } },
      { type: 'sticker', to, source: { url: 'https://cdn.example.com/s.webp' } },
      { type: 'location', to, latitude: -23.56, longitude: -46.65, name: 'MASP', address: 'Av. Paulista' },
      { type: 'contact', to, name: 'João', phones: ['+5511912345678', '+5511923456789'], organization: 'ACME', email: 'j@acme.example' },
      { type: 'reaction', to, target: { id: inbound }, emoji: '👍' },
    ];
    for (const command of sends) await adapter.send(inst, command);
    const own = await adapter.send(inst, { type: 'text', to, text: 'errado' });
    await adapter.send(inst, { type: 'edit', to, target: { id: own.messageId }, text: 'certo' });
    await adapter.send(inst, { type: 'delete', to, target: { id: own.messageId } });
    await adapter.markRead(inst, to, [{ id: inbound }]);
    await adapter.markRead(inst, to, []);
    for (const state of ['typing', 'recording', 'paused', 'available', 'unavailable'] as const)
      await adapter.setPresence(inst, to, state, 400_000);
    await adapter.downloadMedia(inst, { handle: { messageId: photo } });
    await adapter.rename(inst, 'openapi-check-2');
    await adapter.restart(inst);
    await adapter.disconnect(inst);
    await adapter.deleteInstance(inst);

    const requests = sim.requests();
    const problems = requests.flatMap((r) => spec.check(r));
    expect(problems).toEqual([]);

    const operations = new Set(requests.filter((r) => !spec.exception(r)).map((r) => `${r.method} ${r.path}`));
    expect([...operations].sort()).toEqual(
      [
        'DELETE /instance',
        'GET /instance/all',
        'GET /instance/status',
        'GET /webhook',
        'POST /chat/read',
        'POST /instance/connect',
        'POST /instance/create',
        'POST /instance/disconnect',
        'POST /instance/presence',
        'POST /instance/reset',
        'POST /instance/updateInstanceName',
        'POST /message/delete',
        'POST /message/download',
        'POST /message/edit',
        'POST /message/markread',
        'POST /message/presence',
        'POST /message/react',
        'POST /send/contact',
        'POST /send/location',
        'POST /send/media',
        'POST /send/text',
        'POST /webhook',
      ].sort(),
    );
    // The file link is fetched without any credential.
    const file = requests.find((r) => r.path.startsWith('/files/'));
    expect(file?.headers.token).toBeUndefined();
    expect(file?.headers.admintoken).toBeUndefined();
  });

  it('the validator rejects what the spec forbids', () => {
    const base = { query: {}, at: 0 };
    expect(spec.check({ ...base, method: 'POST', path: '/send/text', headers: { token: 't' }, body: { number: '5511999999999' } })).toEqual(
      [expect.stringContaining("must have required property 'text'")],
    );
    expect(spec.check({ ...base, method: 'POST', path: '/instance/create', headers: { token: 't' }, body: { name: 'x' } })).toEqual([
      expect.stringContaining('missing credential header (admintoken)'),
    ]);
    expect(
      spec.check({ ...base, method: 'POST', path: '/send/media', headers: { token: 't' }, body: { number: '1', type: 'gif', file: 'x' } }),
    ).toEqual([expect.stringContaining('must be equal to one of the allowed values')]);
    expect(spec.check({ ...base, method: 'POST', path: '/instance/logout', headers: { token: 't' }, body: undefined })).toEqual([
      'POST /instance/logout: no such operation in the spec',
    ]);
    expect(
      spec.check({
        ...base,
        method: 'POST',
        path: '/message/presence',
        headers: { token: 't' },
        body: { number: '1', presence: 'composing', delay: 400000 },
      }),
    ).toEqual([expect.stringContaining('must be <= 300000')]);
  });
});
