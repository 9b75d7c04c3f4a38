// The management REST API through app.inject with real logins: provider servers, instances, Chatwoot,
// lanes and executions. Secrets never appear in a response; other tenants' records are 404; bad input is
// a 400 in the one error shape; provider failures are 502.
import { enqueue } from '@whatpro/lanes';
import type { ChatwootSimulator, ProviderSimulator } from '@whatpro/simulators';
import { startChatwootSimulator } from '@whatpro/simulators';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { closeDeps } from '../src/deps.ts';
import { adapterForServer } from '../src/services/mgmt.ts';
import { createInstance, createProviderServer } from '../src/services/provisioning.ts';
import { bearer, errorCode, login, makeUser, PASSWORD } from './auth-fixtures.ts';
import { HUB_URL, type MgmtDeps, mgmtDeps, newTenant, providerWebhookUrl, secretOfUrl, startProviderSim } from './mgmt-fixtures.ts';

let deps: MgmtDeps;
let app: FastifyInstance;
let sim: ProviderSimulator;
let chatwoot: ChatwootSimulator;
let tenantId: string;
let token: string;
/** Another tenant's records, for the 404 checks. */
const other = { tenantId: '', serverId: '', instanceId: '' };
/** Every response body seen, checked at the end for leaked secrets. */
const bodies: string[] = [];

async function call(method: InjectOptions['method'], url: string, payload?: unknown): Promise<LightMyRequestResponse> {
  const res = await app.inject({
    method,
    url: `/api/v1${url}`,
    headers: bearer(token),
    ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }),
  });
  bodies.push(res.body);
  return res;
}

function expectError(res: LightMyRequestResponse, status: number, code?: string) {
  expect(res.statusCode, res.body).toBe(status);
  const actual = errorCode(res);
  if (code) expect(actual).toBe(code);
}

const masked = (secret: string) => `••••${secret.slice(-4)}`;

beforeAll(async () => {
  deps = mgmtDeps();
  app = await buildApp(deps);
  sim = await startProviderSim('uazapi');
  chatwoot = await startChatwootSimulator({ host: '127.0.0.1' });
  tenantId = await newTenant(deps, 'api');
  const owner = await makeUser(deps.db, { tenantId, role: 'OWNER' });
  token = (await login(app, owner.email, PASSWORD)).accessToken;

  other.tenantId = await newTenant(deps, 'api-other');
  other.serverId = (
    await createProviderServer(deps, other.tenantId, {
      provider: 'UAZAPI',
      name: 'theirs',
      baseUrl: sim.baseUrl,
      adminToken: sim.adminToken,
    })
  ).id;
  other.instanceId = (await createInstance(deps, other.tenantId, { providerServerId: other.serverId, name: 'their instance' })).id;
});

afterAll(async () => {
  await app.close();
  await Promise.all([sim.close(), chatwoot.close()]);
  await closeDeps(deps);
});

describe('provider servers and instances', () => {
  let serverId: string;
  let instanceId: string;
  let externalName: string;

  it('creates a provider server and only ever shows its admin token masked', async () => {
    const bad = await call('POST', '/provider-servers', {
      provider: 'UAZAPI',
      name: 'x',
      baseUrl: 'ftp://nope',
      adminToken: sim.adminToken,
    });
    expectError(bad, 400, 'VALIDATION');
    expect(bad.json().error.details[0].path).toBe('body/baseUrl');
    const wrong = await call('POST', '/provider-servers', {
      provider: 'UAZAPI',
      name: 'x',
      baseUrl: sim.baseUrl,
      adminToken: 'wrong-token',
    });
    expectError(wrong, 400, 'CREDENTIALS_REJECTED');

    const res = await call('POST', '/provider-servers', {
      provider: 'UAZAPI',
      name: 'Uazapi',
      baseUrl: sim.baseUrl,
      adminToken: sim.adminToken,
    });
    expect(res.statusCode, res.body).toBe(201);
    const server = res.json();
    expect(server).toMatchObject({
      provider: 'UAZAPI',
      name: 'Uazapi',
      baseUrl: sim.baseUrl,
      adminToken: masked(sim.adminToken),
      instanceCount: 0,
    });
    serverId = server.id;

    const list = await call('GET', '/provider-servers');
    expect(list.json().items.map((s: { id: string }) => s.id)).toEqual([serverId]);
    const renamed = await call('PATCH', `/provider-servers/${serverId}`, { name: 'Uazapi principal' });
    expect(renamed.json().name).toBe('Uazapi principal');
    expectError(await call('GET', `/provider-servers/${other.serverId}`), 404, 'NOT_FOUND');
    expectError(await call('PATCH', `/provider-servers/${other.serverId}`, { name: 'mine now' }), 404);
  });

  it('creates an instance: 201 with masked token and webhook URL, settings outcome', async () => {
    const res = await call('POST', '/instances', {
      providerServerId: serverId,
      name: 'Loja Centro',
      settings: { alwaysOnline: true, rejectCalls: true },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { instance, settings } = res.json();
    instanceId = instance.id;
    externalName = instance.externalName;
    const providerToken = sim.instanceToken(externalName) as string;
    const secret = secretOfUrl(providerWebhookUrl(sim, externalName));
    expect(instance).toMatchObject({
      name: 'Loja Centro',
      provider: 'UAZAPI',
      providerServerId: serverId,
      status: 'CLOSED',
      token: masked(providerToken),
      webhookUrl: `${HUB_URL}/webhooks/uazapi/${masked(secret)}`,
      hasCode: false,
      link: null,
      queue: { QUEUED: 0, RUNNING: 0, RETRYING: 0, UNKNOWN: 0, DEAD: 0 },
    });
    expect(instance.settings).toMatchObject({ alwaysOnline: true, rejectCalls: true, signMessages: false, relayGroups: true });
    expect(instance.lanePolicy).toEqual({
      inboundMaxAttempts: 8,
      outboundMaxAttempts: 5,
      inboundExhaustion: 'SKIP',
      outboundExhaustion: 'BLOCK',
      backoffBaseMs: 1000,
      backoffMaxMs: 300000,
      minSendIntervalMs: 0,
      lanesPaused: false,
    });
    expect(settings).toEqual({ applied: ['alwaysOnline'], unsupported: ['rejectCalls'], error: null });
    expect(res.body).not.toContain(providerToken);
    expect(res.body).not.toContain(secret);

    expectError(await call('POST', '/instances', { providerServerId: serverId, name: '' }), 400, 'VALIDATION');
    expectError(await call('POST', '/instances', { providerServerId: serverId, name: 'x', settings: { nope: 1 } }), 400, 'VALIDATION');
    expectError(await call('POST', '/instances', { providerServerId: other.serverId, name: 'sneaky' }), 404);
  });

  it('lists instances with queue counts per state', async () => {
    const base = { tenantId, instanceId, direction: 'INBOUND' as const, kind: 'inbound.event', payload: {} };
    await enqueue(deps.db, { ...base, contactKey: 'c-1' });
    const dead = await enqueue(deps.db, { ...base, contactKey: 'c-2' });
    await deps.db.laneItem.updateMany({ where: { id: dead, tenantId }, data: { status: 'DEAD' } });
    const list = await call('GET', '/instances');
    expect(list.statusCode).toBe(200);
    const mine = list.json().items.find((i: { id: string }) => i.id === instanceId);
    expect(mine.queue).toEqual({ QUEUED: 1, RUNNING: 0, RETRYING: 0, UNKNOWN: 0, DEAD: 1 });
    expect(list.json().items.map((i: { id: string }) => i.id)).not.toContain(other.instanceId);
    const filtered = await call('GET', '/instances?status=OPEN');
    expect(filtered.json().items).toEqual([]);
    expectError(await call('GET', '/instances?status=SLEEPING'), 400, 'VALIDATION');
  });

  it('connects with a QR code, shows it, and reads OPEN after pairing', async () => {
    const res = await call('POST', `/instances/${instanceId}/connect`, {});
    expect(res.statusCode, res.body).toBe(200);
    const codes = res.json();
    expect(codes.status).toBe('CONNECTING');
    expect(codes.qrCode).toMatch(/^data:image\/png;base64,/);
    expect(codes.expired).toBe(false);
    const qr = await call('GET', `/instances/${instanceId}/qr`);
    expect(qr.json().qrCode).toBe(codes.qrCode);
    expect((await call('GET', `/instances/${instanceId}`)).json().hasCode).toBe(true);

    await sim.completePairing(externalName, '+5511955554444');
    const refreshed = await call('POST', `/instances/${instanceId}/refresh`);
    expect(refreshed.json()).toMatchObject({ status: 'OPEN', phoneE164: '+5511955554444', hasCode: false });
    expectError(await call('POST', `/instances/${instanceId}/connect`, { phone: 'abc' }), 400, 'VALIDATION');
  });

  it('answers 502 with a readable message and no token when the provider fails', async () => {
    sim.fail({ path: '/instance/status', status: 500, body: { error: 'internal explosion' }, times: 1 });
    const res = await call('POST', `/instances/${instanceId}/refresh`);
    expectError(res, 502, 'PROVIDER_SERVER');
    expect(res.json().error.message).toContain('uazapi');
    expect(res.json().error.details).toMatchObject({ provider: 'uazapi', kind: 'server', httpStatus: 500, retryable: true });
  });

  it('updates settings and lane policy', async () => {
    const res = await call('PATCH', `/instances/${instanceId}/settings`, {
      signMessages: true,
      signatureFormat: '*{name}*: {message}',
      readStatus: true,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().applied).toEqual(['signMessages', 'signatureFormat']);
    expect(res.json().unsupported).toEqual(['readStatus']);
    expect(res.json().instance.settings).toMatchObject({ signMessages: true, signatureFormat: '*{name}*: {message}', alwaysOnline: true });
    expectError(await call('PATCH', `/instances/${instanceId}/settings`, { signatureFormat: 'no placeholder' }), 400, 'VALIDATION');

    const policy = await call('PATCH', `/instances/${instanceId}/lane-policy`, { outboundExhaustion: 'SKIP', minSendIntervalMs: 2000 });
    expect(policy.json().lanePolicy).toMatchObject({ outboundExhaustion: 'SKIP', minSendIntervalMs: 2000 });
    expectError(
      await call('PATCH', `/instances/${instanceId}/lane-policy`, { backoffBaseMs: 5000, backoffMaxMs: 1000 }),
      400,
      'VALIDATION',
    );
    expectError(await call('PATCH', `/instances/${other.instanceId}/settings`, { signMessages: true }), 404);
  });

  it('answers 404 for every operation on another tenant’s instance', async () => {
    for (const [method, path] of [
      ['GET', ''],
      ['GET', '/qr'],
      ['POST', '/connect'],
      ['POST', '/refresh'],
      ['POST', '/restart'],
      ['POST', '/disconnect'],
      ['DELETE', ''],
    ] as const) {
      expectError(await call(method, `/instances/${other.instanceId}${path}`, method === 'POST' ? {} : undefined), 404, 'NOT_FOUND');
    }
    expectError(await call('GET', '/instances/not-a-uuid'), 400, 'VALIDATION');
  });

  it('syncs, lists unknown remote instances without tokens, and imports one', async () => {
    const server = await deps.db.providerServer.findFirstOrThrow({ where: { id: serverId, tenantId } });
    const created = await adapterForServer(deps, server).createInstance({ name: 'made-on-the-panel' });
    const sync = await call('POST', '/instances/sync', { providerServerId: serverId });
    expect(sync.statusCode, sync.body).toBe(200);
    const unknown = sync.json().unknown.find((u: { externalName: string }) => u.externalName === 'made-on-the-panel');
    expect(unknown).toMatchObject({ providerServerId: serverId, state: 'closed' });
    expect(sync.body).not.toContain(created.token);

    const imported = await call('POST', '/instances/import', {
      providerServerId: serverId,
      externalName: 'made-on-the-panel',
      name: 'Panel',
    });
    expect(imported.statusCode, imported.body).toBe(201);
    expect(imported.json()).toMatchObject({ name: 'Panel', externalName: 'made-on-the-panel', token: masked(created.token) });
    expectError(
      await call('POST', '/instances/import', { providerServerId: serverId, externalName: 'made-on-the-panel' }),
      409,
      'CONFLICT',
    );
  });

  it('deletes an instance (204) and then does not find it', async () => {
    const created = await call('POST', '/instances', { providerServerId: serverId, name: 'short lived' });
    const id = created.json().instance.id;
    const res = await call('DELETE', `/instances/${id}`);
    expect(res.statusCode).toBe(204);
    expectError(await call('GET', `/instances/${id}`), 404);
    expectError(await call('DELETE', `/provider-servers/${serverId}`), 409, 'CONFLICT');
  });
});

describe('Chatwoot connections and links', () => {
  it('manages a connection and a link, never showing tokens or secrets', async () => {
    const server = await createProviderServer(deps, tenantId, {
      provider: 'UAZAPI',
      name: 'for links',
      baseUrl: sim.baseUrl,
      adminToken: sim.adminToken,
    });
    const instance = await createInstance(deps, tenantId, { providerServerId: server.id, name: 'linked via api' });

    expectError(
      await call('POST', '/chatwoot/connections', { name: 'cw', baseUrl: chatwoot.baseUrl, accountId: 0, userToken: chatwoot.userToken }),
      400,
    );
    const created = await call('POST', '/chatwoot/connections', {
      name: 'Chatwoot',
      baseUrl: chatwoot.baseUrl,
      accountId: chatwoot.accountId,
      userToken: chatwoot.userToken,
    });
    expect(created.statusCode, created.body).toBe(201);
    const connection = created.json();
    expect(connection).toMatchObject({
      name: 'Chatwoot',
      accountId: chatwoot.accountId,
      userToken: masked(chatwoot.userToken),
      linkCount: 0,
    });

    const link = await call('POST', '/chatwoot/links', {
      instanceId: instance.id,
      chatwootConnectionId: connection.id,
      createInbox: { name: 'WhatsApp API' },
    });
    expect(link.statusCode, link.body).toBe(201);
    const inbox = chatwoot.inboxes().find((i) => i.name === 'WhatsApp API');
    const hubSecret = secretOfUrl(inbox?.webhookUrl ?? undefined);
    expect(link.json()).toMatchObject({
      instanceId: instance.id,
      inboxId: inbox?.id,
      inboxIdentifier: inbox?.identifier,
      signatureMode: 'SIGNED',
      signingSecret: masked(inbox?.secret as string),
      webhookUrl: `${HUB_URL}/webhooks/chatwoot/${masked(hubSecret)}`,
      conversationPolicy: 'REOPEN',
    });

    const inboxes = await call('GET', `/chatwoot/connections/${connection.id}/inboxes`);
    expect(inboxes.json().items.find((i: { id: number }) => i.id === inbox?.id)).toEqual({
      id: inbox?.id,
      name: 'WhatsApp API',
      channelType: 'Channel::Api',
      isApiInbox: true,
      webhookToHub: true,
      hasSigningSecret: true,
      linkId: link.json().id,
      instanceId: instance.id,
    });
    const detail = await call('GET', `/instances/${instance.id}`);
    expect(detail.json().link).toMatchObject({ id: link.json().id, connectionName: 'Chatwoot', inboxId: inbox?.id });
    expect((await call('GET', `/chatwoot/connections/${connection.id}`)).json().linkCount).toBe(1);
    expect((await call('GET', '/chatwoot/links')).json().items.map((l: { id: string }) => l.id)).toEqual([link.json().id]);

    const patched = await call('PATCH', `/chatwoot/links/${link.json().id}`, {
      conversationPolicy: 'CREATE_NEW',
      conversationPending: true,
    });
    expect(patched.json()).toMatchObject({ conversationPolicy: 'CREATE_NEW', conversationPending: true });
    expectError(await call('DELETE', `/chatwoot/connections/${connection.id}`), 409, 'CONFLICT');
    expect((await call('DELETE', `/chatwoot/links/${link.json().id}`)).statusCode).toBe(204);
    expectError(await call('GET', `/chatwoot/links/${link.json().id}`), 404);
    expect((await call('DELETE', `/chatwoot/connections/${connection.id}`)).statusCode).toBe(204);

    for (const body of bodies) {
      expect(body).not.toContain(chatwoot.userToken);
      expect(body).not.toContain(inbox?.secret as string);
      expect(body).not.toContain(hubSecret);
      expect(body).not.toContain(sim.adminToken);
    }
  });

  it('answers 502 when Chatwoot is down while listing inboxes', async () => {
    const created = await call('POST', '/chatwoot/connections', {
      name: 'flaky',
      baseUrl: chatwoot.baseUrl,
      accountId: chatwoot.accountId,
      userToken: chatwoot.userToken,
    });
    chatwoot.fail({ path: '/inboxes', method: 'GET', status: 500, times: 1 });
    const res = await call('GET', `/chatwoot/connections/${created.json().id}/inboxes`);
    expectError(res, 502, 'CHATWOOT_SERVER');
  });
});

describe('lanes and executions', () => {
  let instanceId: string;
  const items: Record<string, string> = {};

  beforeAll(async () => {
    const server = await createProviderServer(deps, tenantId, {
      provider: 'UAZAPI',
      name: 'for lanes',
      baseUrl: sim.baseUrl,
      adminToken: sim.adminToken,
    });
    instanceId = (await createInstance(deps, tenantId, { providerServerId: server.id, name: 'lanes instance' })).id;
    const base = { tenantId, instanceId, kind: 'outbound.message', payload: { text: 'hi' } };
    items.a1 = await enqueue(deps.db, { ...base, direction: 'OUTBOUND', contactKey: 'alice' });
    items.a2 = await enqueue(deps.db, { ...base, direction: 'OUTBOUND', contactKey: 'alice' });
    items.b1 = await enqueue(deps.db, { ...base, direction: 'OUTBOUND', contactKey: 'bob' });
    items.c1 = await enqueue(deps.db, { ...base, direction: 'INBOUND', contactKey: 'carol', kind: 'inbound.event' });
    // alice's head died after two attempts and blocks her lane.
    await deps.db.laneItem.updateMany({
      where: { id: items.a1, tenantId },
      data: {
        status: 'DEAD',
        attempts: 2,
        lastErrorCode: 'PROVIDER_TIMEOUT',
        lastError: 'uazapi did not answer in time',
        finishedAt: new Date(),
      },
    });
    await deps.db.lane.updateMany({ where: { tenantId, instanceId, contactKey: 'alice' }, data: { blocked: true } });
    const started = Date.now() - 60_000;
    const timeout = { errorCode: 'PROVIDER_TIMEOUT', errorMessage: 'uazapi did not answer in time', durationMs: 15000 };
    // One insert at a time, a moment apart: attempt ids (uuid v7) order the log like the worker's inserts do.
    for (const data of [
      { laneItemId: items.a1, attempt: 1, fencingToken: 1n, startedAt: new Date(started), outcome: 'RETRY' as const, ...timeout },
      { laneItemId: items.a1, attempt: 2, fencingToken: 2n, startedAt: new Date(started + 20_000), outcome: 'DEAD' as const, ...timeout },
      {
        laneItemId: items.c1,
        attempt: 1,
        fencingToken: 3n,
        startedAt: new Date(started + 40_000),
        outcome: 'SUCCEEDED' as const,
        durationMs: 120,
      },
    ]) {
      await deps.db.executionAttempt.create({ data: { tenantId, workerId: 'w1', ...data } });
      await new Promise((r) => setTimeout(r, 3));
    }
  });

  it('lists lanes with pending and dead counts, filtered', async () => {
    const all = await call('GET', `/lanes?instanceId=${instanceId}`);
    expect(all.statusCode, all.body).toBe(200);
    const byContact = Object.fromEntries(all.json().items.map((l: { contactKey: string }) => [l.contactKey, l]));
    expect(Object.keys(byContact).sort()).toEqual(['alice', 'bob', 'carol']);
    expect(byContact.alice).toMatchObject({ direction: 'OUTBOUND', blocked: true, pending: 1, dead: 1, leased: false });
    const blocked = await call('GET', `/lanes?instanceId=${instanceId}&blocked=true`);
    expect(blocked.json().items.map((l: { contactKey: string }) => l.contactKey)).toEqual(['alice']);
    const inbound = await call('GET', `/lanes?instanceId=${instanceId}&direction=INBOUND`);
    expect(inbound.json().items.map((l: { contactKey: string }) => l.contactKey)).toEqual(['carol']);
    expectError(await call('GET', '/lanes?blocked=maybe'), 400, 'VALIDATION');
  });

  it('lists items by status with cursor pagination, and shows one with every attempt', async () => {
    const first = await call('GET', `/lanes/items?instanceId=${instanceId}&status=QUEUED,DEAD&limit=2`);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().items.map((i: { id: string }) => i.id)).toEqual([items.c1, items.b1]);
    const second = await call('GET', `/lanes/items?instanceId=${instanceId}&status=QUEUED,DEAD&limit=2&cursor=${first.json().nextCursor}`);
    expect(second.json().items.map((i: { id: string }) => i.id)).toEqual([items.a2, items.a1]);
    expect(second.json().nextCursor).toBeNull();
    const dead = await call('GET', `/lanes/items?status=DEAD&contactKey=alice`);
    expect(dead.json().items.map((i: { id: string }) => i.id)).toEqual([items.a1]);
    expectError(await call('GET', '/lanes/items?status=NOPE'), 400, 'VALIDATION');
    expectError(await call('GET', '/lanes/items?cursor=abc'), 400, 'VALIDATION');

    const detail = await call('GET', `/lanes/items/${items.a1}`);
    expect(detail.json()).toMatchObject({ status: 'DEAD', contactKey: 'alice', laneBlocked: true, payload: { text: 'hi' } });
    expect(detail.json().attemptsLog.map((a: { attempt: number; outcome: string }) => [a.attempt, a.outcome])).toEqual([
      [1, 'RETRY'],
      [2, 'DEAD'],
    ]);
  });

  it('searches executions by instance, outcome, error text, time and page', async () => {
    const all = await call('GET', `/executions?instanceId=${instanceId}`);
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json().items.map((e: { outcome: string }) => e.outcome)).toEqual(['SUCCEEDED', 'DEAD', 'RETRY']);
    expect(all.json().items[1]).toMatchObject({
      laneItemId: items.a1,
      errorCode: 'PROVIDER_TIMEOUT',
      item: { kind: 'outbound.message', direction: 'OUTBOUND', contactKey: 'alice', instanceId, status: 'DEAD' },
    });
    const text = await call('GET', `/executions?instanceId=${instanceId}&q=ANSWER IN TIME&outcome=DEAD,RETRY`);
    expect(text.json().items.map((e: { attempt: number }) => e.attempt)).toEqual([2, 1]);
    const dead = await call('GET', `/executions?instanceId=${instanceId}&outcome=DEAD`);
    expect(dead.json().items.map((e: { attempt: number }) => e.attempt)).toEqual([2]);
    const page = await call('GET', `/executions?instanceId=${instanceId}&limit=1`);
    const next = await call('GET', `/executions?instanceId=${instanceId}&limit=1&cursor=${page.json().nextCursor}`);
    expect(next.json().items[0].outcome).toBe('DEAD');
    const from = new Date(Date.now() - 30_000).toISOString();
    const recent = await call('GET', `/executions?instanceId=${instanceId}&from=${encodeURIComponent(from)}`);
    expect(recent.json().items.map((e: { outcome: string }) => e.outcome)).toEqual(['SUCCEEDED']);
    expectError(await call('GET', '/executions?from=yesterday'), 400, 'VALIDATION');
    const theirs = await call('GET', `/executions?instanceId=${other.instanceId}`);
    expect(theirs.json().items).toEqual([]);
  });

  it('retries and skips items, purges a contact, pauses and resumes, and counts', async () => {
    const counts = await call('GET', `/lanes/counts?instanceId=${instanceId}`);
    expect(counts.json().items).toMatchObject({ QUEUED: 3, DEAD: 1, SUCCEEDED: 0 });
    expect(counts.json().lanes).toMatchObject({ total: 3, blocked: 1 });

    expectError(await call('POST', `/lanes/items/${items.b1}/retry`), 409, 'CONFLICT');
    const retried = await call('POST', `/lanes/items/${items.a1}/retry`);
    expect(retried.json()).toMatchObject({ status: 'QUEUED', attempts: 0, laneBlocked: false });
    const skipped = await call('POST', `/lanes/items/${items.a2}/skip`);
    expect(skipped.json().status).toBe('SKIPPED');

    const purge = await call('POST', `/instances/${instanceId}/lanes/purge`, { contactKey: 'alice' });
    expect(purge.json()).toEqual({ cancelled: 1 });
    expect((await call('GET', `/lanes/items/${items.a1}`)).json().status).toBe('CANCELLED');
    expect((await call('GET', `/lanes/items/${items.b1}`)).json().status).toBe('QUEUED');

    deps.changed.length = 0;
    expect((await call('POST', `/instances/${instanceId}/lanes/pause`)).json()).toEqual({ instanceId, lanesPaused: true });
    expect((await call('GET', `/instances/${instanceId}`)).json().lanePolicy.lanesPaused).toBe(true);
    expect((await call('POST', `/instances/${instanceId}/lanes/resume`)).json()).toEqual({ instanceId, lanesPaused: false });
    expect(deps.changed).toEqual([instanceId, instanceId]);

    const whole = await call('POST', `/instances/${instanceId}/lanes/purge`, {});
    expect(whole.json()).toEqual({ cancelled: 2 });
    const after = await call('GET', `/lanes/counts?instanceId=${instanceId}`);
    expect(after.json().items).toMatchObject({ QUEUED: 0, CANCELLED: 3, SKIPPED: 1 });
  });

  it('keeps another tenant’s lanes out of reach', async () => {
    const theirLane = await deps.db.lane.create({
      data: { tenantId: other.tenantId, instanceId: other.instanceId, direction: 'INBOUND', contactKey: 'x' },
    });
    const theirItem = await deps.db.laneItem.create({
      data: { tenantId: other.tenantId, laneId: theirLane.id, kind: 'inbound.event', payload: {}, status: 'DEAD' },
    });
    expectError(await call('GET', `/lanes/items/${theirItem.id}`), 404, 'NOT_FOUND');
    expectError(await call('POST', `/lanes/items/${theirItem.id}/retry`), 404);
    expectError(await call('POST', `/instances/${other.instanceId}/lanes/purge`, {}), 404);
    expectError(await call('POST', `/instances/${other.instanceId}/lanes/pause`), 404);
    expectError(await call('GET', `/lanes/counts?instanceId=${other.instanceId}`), 404);
    const lanes = await call('GET', `/lanes?instanceId=${other.instanceId}`);
    expect(lanes.json().items).toEqual([]);
  });
});
