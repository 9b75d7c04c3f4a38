// The management services against the contract-faithful simulators (both providers and Chatwoot) and
// the real Postgres: what reaches the provider, what is stored (encrypted, hashed), what is audited.
import { enqueue } from '@whatpro/lanes';
import { AppError, sha256 } from '@whatpro/platform';
import type { ChatwootSimulator, ProviderSimulator } from '@whatpro/simulators';
import { startChatwootSimulator } from '@whatpro/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDeps } from '../src/deps.ts';
import { adapterForServer } from '../src/services/mgmt.ts';
import {
  connectInstance,
  createChatwootConnection,
  createInstance,
  createProviderServer,
  deleteInstance,
  deleteProviderServer,
  disconnectInstance,
  getInstanceCodes,
  importInstance,
  linkInbox,
  refreshInstanceStatus,
  restartInstance,
  syncInstances,
  unlinkInbox,
  updateChatwootConnection,
  updateInstanceSettings,
  updateLanePolicy,
  updateProviderServer,
} from '../src/services/provisioning.ts';
import {
  HUB_URL,
  type MgmtDeps,
  mgmtDeps,
  newTenant,
  PROVIDER_ENUM,
  type ProviderName,
  providerWebhookUrl,
  secretOfUrl,
  startProviderSim,
} from './mgmt-fixtures.ts';

const decrypt = (deps: MgmtDeps, value: string, field: string, rowId: string) => deps.secretBox.decrypt(value, { field, rowId });

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the call to fail');
}

describe.each<ProviderName>(['uazapi', 'evolution'])('provisioning on %s', (kind) => {
  let deps: MgmtDeps;
  let sim: ProviderSimulator;
  let tenantId: string;
  let serverId: string;
  const raw = () => deps.db.$unguarded('test assertions');

  beforeAll(async () => {
    deps = mgmtDeps();
    sim = await startProviderSim(kind);
    tenantId = await newTenant(deps);
    const server = await createProviderServer(deps, tenantId, {
      provider: PROVIDER_ENUM[kind],
      name: `${kind} sim`,
      baseUrl: `${sim.baseUrl}/`,
      adminToken: sim.adminToken,
    });
    serverId = server.id;
  });
  afterAll(async () => {
    await sim.close();
    await closeDeps(deps);
  });

  it('stores the provider server with its admin token encrypted, and refuses a wrong token', async () => {
    const row = await raw().providerServer.findUniqueOrThrow({ where: { id: serverId } });
    expect(row.baseUrl).toBe(sim.baseUrl);
    expect(row.adminTokenEnc).not.toContain(sim.adminToken);
    expect(decrypt(deps, row.adminTokenEnc, 'ProviderServer.adminTokenEnc', row.id)).toBe(sim.adminToken);
    const audit = await raw().auditLog.findMany({ where: { tenantId, targetId: serverId } });
    expect(audit.map((a) => [a.action, a.metadata])).toEqual([
      ['secret.changed', { field: 'ProviderServer.adminTokenEnc', change: 'set' }],
    ]);

    const wrong = await rejection(
      createProviderServer(deps, tenantId, {
        provider: PROVIDER_ENUM[kind],
        name: 'wrong',
        baseUrl: sim.baseUrl,
        adminToken: 'not-the-token',
      }),
    );
    expect([wrong.status, wrong.code]).toEqual([400, 'CREDENTIALS_REJECTED']);
    expect(await raw().providerServer.count({ where: { tenantId, name: 'wrong' } })).toBe(0);

    const duplicate = await rejection(
      createProviderServer(deps, tenantId, {
        provider: PROVIDER_ENUM[kind],
        name: `${kind} sim`,
        baseUrl: sim.baseUrl,
        adminToken: sim.adminToken,
      }),
    );
    expect(duplicate.status).toBe(409);
  });

  it('creates an instance with the Hub webhook, an encrypted token and a hashed path secret', async () => {
    deps.changed.length = 0;
    const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'Vendas Loja' });
    const row = await raw().instance.findUniqueOrThrow({ where: { id: instance.id } });
    expect(row.externalName).toMatch(/^vendas-loja-[a-z0-9x]{6}$/);
    expect(row.status).toBe('CLOSED');
    const token = sim.instanceToken(row.externalName);
    expect(token).toBeTruthy();
    expect(row.tokenEnc).not.toContain(token);
    expect(decrypt(deps, row.tokenEnc, 'Instance.tokenEnc', row.id)).toBe(token);

    const url = providerWebhookUrl(sim, row.externalName);
    expect(url?.startsWith(`${HUB_URL}/webhooks/${kind}/`)).toBe(true);
    const secret = secretOfUrl(url);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(row.webhookSecretHash).toBe(sha256(secret));
    expect(decrypt(deps, row.webhookSecretEnc, 'Instance.webhookSecretEnc', row.id)).toBe(secret);

    const audit = await raw().auditLog.findMany({ where: { tenantId, targetId: row.id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.metadata)).toEqual([
      { field: 'Instance.tokenEnc', change: 'set' },
      { field: 'Instance.webhookSecretEnc', change: 'set' },
    ]);
    expect(JSON.stringify(audit)).not.toContain(token);
    expect(deps.changed).toEqual([row.id]);

    const again = await rejection(createInstance(deps, tenantId, { providerServerId: serverId, name: 'Vendas Loja' }));
    expect(again.status).toBe(409);
  });

  it('applies provider settings on create and reports the ones the provider cannot honour', async () => {
    const instance = await createInstance(deps, tenantId, {
      providerServerId: serverId,
      name: 'settings on create',
      settings: { alwaysOnline: true, rejectCalls: true, signMessages: true },
    });
    if (kind === 'uazapi') {
      expect(instance.settingsResult).toEqual({ applied: ['alwaysOnline', 'signMessages'], unsupported: ['rejectCalls'], error: null });
    } else {
      expect(instance.settingsResult.applied.sort()).toEqual(['alwaysOnline', 'rejectCalls', 'signMessages']);
      expect(instance.settingsResult.unsupported).toEqual([]);
      const settings = (sim as import('@whatpro/simulators').EvolutionSimulator).instance(instance.externalName)?.settings;
      expect([settings?.alwaysOnline, settings?.rejectCall]).toEqual([true, true]);
    }
    expect(instance.settings).toEqual({ alwaysOnline: true, rejectCalls: true, signMessages: true });
  });

  it('updates settings: provider part applied, Hub part stored, unknown keys refused', async () => {
    const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'settings update' });
    deps.changed.length = 0;
    const result = await updateInstanceSettings(deps, tenantId, instance.id, {
      ignoreGroups: true,
      readStatus: true,
      typingBeforeSendMs: 1200,
    });
    if (kind === 'uazapi') {
      expect(result.applied).toEqual(['ignoreGroups', 'typingBeforeSendMs']);
      expect(result.unsupported).toEqual(['readStatus']);
    } else {
      expect(result.applied.sort()).toEqual(['ignoreGroups', 'readStatus', 'typingBeforeSendMs']);
      expect(result.unsupported).toEqual([]);
    }
    expect(result.instance.settings).toEqual({ ignoreGroups: true, readStatus: true, typingBeforeSendMs: 1200 });
    expect(deps.changed).toEqual([instance.id]);
    // The webhook survives the group filter change (Uazapi keeps the filter in the webhook config).
    expect(providerWebhookUrl(sim, instance.externalName)?.startsWith(`${HUB_URL}/webhooks/${kind}/`)).toBe(true);

    const bad = await rejection(updateInstanceSettings(deps, tenantId, instance.id, { bogus: true } as never));
    expect([bad.status, bad.code]).toEqual([400, 'VALIDATION']);
  });

  it('connects with a QR code, pairs, and reads OPEN with the number on refresh', async () => {
    const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'pairing' });
    const { codes } = await connectInstance(deps, tenantId, instance.id);
    expect(codes.status).toBe('CONNECTING');
    expect(codes.qrCode).toBeTruthy();
    expect(codes.expired).toBe(false);
    expect(codes.expiresAt?.getTime()).toBeGreaterThan(Date.now());
    const stored = await getInstanceCodes(deps, tenantId, instance.id);
    expect(stored.qrCode).toBe(codes.qrCode);

    await sim.completePairing(instance.externalName, '+5511988887777');
    const open = await refreshInstanceStatus(deps, tenantId, instance.id);
    expect(open.status).toBe('OPEN');
    expect(open.phoneE164).toBe('+5511988887777');
    expect(open.jid).toBe('5511988887777@s.whatsapp.net');
    expect([open.qrCode, open.pairCode, open.qrExpiresAt]).toEqual([null, null, null]);
    expect((await getInstanceCodes(deps, tenantId, instance.id)).qrCode).toBeNull();

    const already = await rejection(connectInstance(deps, tenantId, instance.id));
    expect(already.status).toBe(409);

    const restarted = await restartInstance(deps, tenantId, instance.id);
    expect(sim.requests({ method: 'POST', path: kind === 'uazapi' ? '/instance/reset' : /\/instance\/restart\// }).length).toBe(1);
    expect(['OPEN', 'CONNECTING', 'CLOSED']).toContain(restarted.status);

    const closed = await disconnectInstance(deps, tenantId, instance.id);
    expect(['CLOSED', 'LOGGED_OUT']).toContain(closed.status);
    expect(closed.phoneE164).toBe('+5511988887777');
  });

  it('gives a pair code for a phone number', async () => {
    const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'pair code' });
    const { codes } = await connectInstance(deps, tenantId, instance.id, { phone: '+55 11 97777-6666' });
    expect(codes.status).toBe('CONNECTING');
    expect(codes.pairCode).toMatch(/^[A-Z0-9-]{8,9}$/);
    // A pair code is never renewed behind the user's back.
    await raw().instance.update({ where: { id: instance.id }, data: { qrExpiresAt: new Date(Date.now() - 1000) } });
    const connects = sim.requests({ path: /\/instance\/connect(\/|$)/ }).length;
    const later = await getInstanceCodes(deps, tenantId, instance.id);
    expect(later.pairCode).toBe(codes.pairCode);
    expect(sim.requests({ path: /\/instance\/connect(\/|$)/ }).length).toBe(connects);
    const bad = await rejection(connectInstance(deps, tenantId, instance.id, { phone: '12' }));
    expect(bad.status).toBe(400);
  });

  it('maps a provider 500 to 502 and a hang to 504, never with the token in the message', async () => {
    const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'failures' });
    const token = sim.instanceToken(instance.externalName) as string;
    const statusPath = kind === 'uazapi' ? '/instance/status' : '/instance/connectionState';
    sim.fail({ path: statusPath, status: 500, body: { error: 'boom' }, times: 1 });
    const e502 = await rejection(refreshInstanceStatus(deps, tenantId, instance.id));
    expect(e502.status).toBe(502);
    expect(e502.message).toContain(kind);
    expect((e502.details as { retryable: boolean }).retryable).toBe(true);
    expect(JSON.stringify({ m: e502.message, d: e502.details })).not.toContain(token);

    const quick = mgmtDeps({ providerTimeoutMs: 200 });
    try {
      sim.fail({ path: statusPath, hang: true, times: 1 });
      const e504 = await rejection(refreshInstanceStatus(quick, tenantId, instance.id));
      expect(e504.status).toBe(504);
      expect(e504.message).not.toContain(token);
    } finally {
      sim.clearFailures();
      await closeDeps(quick);
    }
  });

  it('cleans up the provider instance when the row cannot be written', async () => {
    // Two creates with one name pass the name check together; the second insert fails on the unique name.
    sim.setLatency(150);
    const before = (await adapterForServer(deps, await raw().providerServer.findUniqueOrThrow({ where: { id: serverId } })).listInstances())
      .length;
    try {
      const results = await Promise.allSettled([
        createInstance(deps, tenantId, { providerServerId: serverId, name: 'race' }),
        createInstance(deps, tenantId, { providerServerId: serverId, name: 'race' }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect((failure.reason as AppError).status).toBe(409);
    } finally {
      sim.setLatency(0);
    }
    const server = await raw().providerServer.findUniqueOrThrow({ where: { id: serverId } });
    const remote = await adapterForServer(deps, server).listInstances();
    expect(remote.length).toBe(before + 1);
    expect(remote.filter((r) => r.name.startsWith('race-')).length).toBe(1);
  });

  it('syncs: updates known instances, flags missing ones, lists unknown ones, and imports', async () => {
    const server = await raw().providerServer.findUniqueOrThrow({ where: { id: serverId } });
    const adapter = adapterForServer(deps, server);
    const known = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'sync known' });
    await connectInstance(deps, tenantId, known.id);
    await sim.completePairing(known.externalName, '+5511966665555');
    const doomed = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'sync doomed' });
    await adapter.deleteInstance({ name: doomed.externalName, token: sim.instanceToken(doomed.externalName) as string });
    const stranger = await adapter.createInstance({ name: `stranger-${tenantId.slice(0, 6)}` });

    deps.changed.length = 0;
    const result = await syncInstances(deps, { tenantId, providerServerId: serverId });
    expect(result.servers).toEqual([{ providerServerId: serverId, ok: true, error: null, remote: expect.any(Number) }]);
    expect(result.updated).toContain(known.id);
    expect(result.updated).toContain(doomed.id);
    expect(result.missing).toEqual([doomed.id]);
    expect(deps.changed).toEqual(expect.arrayContaining([known.id, doomed.id]));
    expect(result.unknown.map((u) => u.externalName)).toContain(stranger.name);
    expect(JSON.stringify(result)).not.toContain(stranger.token);

    const knownRow = await raw().instance.findUniqueOrThrow({ where: { id: known.id } });
    expect([knownRow.status, knownRow.phoneE164]).toEqual(['OPEN', '+5511966665555']);
    expect(knownRow.lastSyncedAt).not.toBeNull();
    const doomedRow = await raw().instance.findUniqueOrThrow({ where: { id: doomed.id } });
    expect([doomedRow.status, doomedRow.statusReason]).toEqual(['ERROR', 'missing on the provider server (not in its instance list)']);

    // A second pass changes nothing that has not changed.
    const second = await syncInstances(deps, { tenantId });
    expect(second.updated).toEqual([]);
    expect(second.missing).toEqual([doomed.id]);

    const imported = await importInstance(deps, tenantId, { providerServerId: serverId, externalName: stranger.name, name: 'adopted' });
    expect(imported.name).toBe('adopted');
    expect(decrypt(deps, imported.tokenEnc, 'Instance.tokenEnc', imported.id)).toBe(stranger.token);
    const url = providerWebhookUrl(sim, stranger.name);
    expect(imported.webhookSecretHash).toBe(sha256(secretOfUrl(url)));
    const twice = await rejection(
      importInstance(deps, tenantId, { providerServerId: serverId, externalName: stranger.name, name: 'again' }),
    );
    expect(twice.status).toBe(409);
    const third = await syncInstances(deps, { tenantId });
    expect(third.unknown.map((u) => u.externalName)).not.toContain(stranger.name);
    const nowhere = await rejection(importInstance(deps, tenantId, { providerServerId: serverId, externalName: 'no-such-instance' }));
    expect(nowhere.status).toBe(404);
  });

  it('deletes on the provider, soft-deletes the row, cancels waiting lane items and frees the name', async () => {
    const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'to delete' });
    const item = await enqueue(deps.db, {
      tenantId,
      instanceId: instance.id,
      direction: 'OUTBOUND',
      contactKey: 'contact-1',
      kind: 'outbound.message',
      payload: { text: 'hi' },
    });
    deps.changed.length = 0;
    await deleteInstance(deps, tenantId, instance.id);
    expect(sim.instanceToken(instance.externalName)).toBeUndefined();
    const row = await raw().instance.findUniqueOrThrow({ where: { id: instance.id } });
    expect(row.deletedAt).not.toBeNull();
    expect(row.lanesPaused).toBe(true);
    expect((await raw().laneItem.findUniqueOrThrow({ where: { id: item } })).status).toBe('CANCELLED');
    expect(deps.changed).toEqual([instance.id]);
    expect((await rejection(refreshInstanceStatus(deps, tenantId, instance.id))).status).toBe(404);

    const again = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'to delete' });
    expect(again.id).not.toBe(instance.id);
  });

  it('refuses a provider delete failure unless forced', async () => {
    const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'stubborn' });
    const path = kind === 'uazapi' ? '/instance' : '/instance/delete';
    sim.fail({ path, method: 'DELETE', status: 500, times: 1 });
    expect((await rejection(deleteInstance(deps, tenantId, instance.id))).status).toBe(502);
    expect((await raw().instance.findUniqueOrThrow({ where: { id: instance.id } })).deletedAt).toBeNull();
    sim.fail({ path, method: 'DELETE', status: 500, times: 1 });
    await deleteInstance(deps, tenantId, instance.id, { force: true });
    expect((await raw().instance.findUniqueOrThrow({ where: { id: instance.id } })).deletedAt).not.toBeNull();
    sim.clearFailures();
  });

  it('updates the lane policy and refuses an impossible one', async () => {
    const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'policy' });
    const updated = await updateLanePolicy(deps, tenantId, instance.id, {
      outboundExhaustion: 'SKIP',
      outboundMaxAttempts: 3,
      minSendIntervalMs: 1500,
    });
    expect([updated.outboundExhaustion, updated.outboundMaxAttempts, updated.minSendIntervalMs, updated.inboundExhaustion]).toEqual([
      'SKIP',
      3,
      1500,
      'SKIP',
    ]);
    const bad = await rejection(updateLanePolicy(deps, tenantId, instance.id, { backoffBaseMs: 400_000 }));
    expect([bad.status, bad.code]).toEqual([400, 'VALIDATION']);
  });

  it('deletes a provider server once its instances are gone, the deleted ones with it', async () => {
    const spare = await createProviderServer(deps, tenantId, {
      provider: PROVIDER_ENUM[kind],
      name: 'spare',
      baseUrl: sim.baseUrl,
      adminToken: sim.adminToken,
    });
    const instance = await createInstance(deps, tenantId, { providerServerId: spare.id, name: 'on the spare server' });
    expect((await rejection(deleteProviderServer(deps, tenantId, spare.id))).status).toBe(409);
    await deleteInstance(deps, tenantId, instance.id);
    await deleteProviderServer(deps, tenantId, spare.id);
    expect(await raw().providerServer.count({ where: { id: spare.id } })).toBe(0);
    expect(await raw().instance.count({ where: { id: instance.id } })).toBe(0);
    const audit = await raw().auditLog.findMany({ where: { tenantId, targetId: spare.id }, orderBy: { id: 'asc' } });
    expect(audit.at(-1)?.metadata).toEqual({ field: 'ProviderServer.adminTokenEnc', change: 'removed' });
  });

  it('keeps other tenants out: their instances and servers are not found', async () => {
    const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'mine' });
    const other = await newTenant(deps, 'other');
    expect((await rejection(refreshInstanceStatus(deps, other, instance.id))).status).toBe(404);
    expect((await rejection(createInstance(deps, other, { providerServerId: serverId, name: 'theirs' }))).status).toBe(404);
    expect((await rejection(updateProviderServer(deps, other, serverId, { name: 'x' }))).status).toBe(404);
    expect((await rejection(deleteProviderServer(deps, other, serverId))).status).toBe(404);
  });

  it('rotates the admin token (checked first) and refuses to delete a server in use', async () => {
    deps.changed.length = 0;
    const rotated = await updateProviderServer(deps, tenantId, serverId, { adminToken: sim.adminToken, name: `${kind} renamed` });
    expect(rotated.name).toBe(`${kind} renamed`);
    expect(deps.changed.length).toBeGreaterThan(0);
    const audit = await raw().auditLog.findMany({ where: { tenantId, targetId: serverId }, orderBy: { id: 'asc' } });
    expect(audit.at(-1)?.metadata).toEqual({ field: 'ProviderServer.adminTokenEnc', change: 'rotated' });
    expect((await rejection(updateProviderServer(deps, tenantId, serverId, { adminToken: 'wrong-token' }))).code).toBe(
      'CREDENTIALS_REJECTED',
    );
    expect((await rejection(deleteProviderServer(deps, tenantId, serverId))).status).toBe(409);
  });
});

describe('Chatwoot connections and inbox links', () => {
  let deps: MgmtDeps;
  let sim: ProviderSimulator;
  let chatwoot: ChatwootSimulator;
  let tenantId: string;
  let serverId: string;
  const raw = () => deps.db.$unguarded('test assertions');

  beforeAll(async () => {
    deps = mgmtDeps();
    sim = await startProviderSim('uazapi');
    chatwoot = await startChatwootSimulator({ host: '127.0.0.1' });
    tenantId = await newTenant(deps);
    serverId = (
      await createProviderServer(deps, tenantId, { provider: 'UAZAPI', name: 'sim', baseUrl: sim.baseUrl, adminToken: sim.adminToken })
    ).id;
  });
  afterAll(async () => {
    await Promise.all([sim.close(), chatwoot.close()]);
    await closeDeps(deps);
  });

  const connection = (name: string) =>
    createChatwootConnection(deps, tenantId, {
      name,
      baseUrl: chatwoot.baseUrl,
      accountId: chatwoot.accountId,
      userToken: chatwoot.userToken,
    });

  it('verifies the token when a connection is created and stores it encrypted', async () => {
    const wrong = await rejection(
      createChatwootConnection(deps, tenantId, {
        name: 'bad',
        baseUrl: chatwoot.baseUrl,
        accountId: chatwoot.accountId,
        userToken: 'nope-nope-nope',
      }),
    );
    expect([wrong.status, wrong.code]).toEqual([400, 'CREDENTIALS_REJECTED']);
    expect(wrong.message).not.toContain('nope-nope-nope');
    const created = await connection('main');
    expect(created.userTokenEnc).not.toContain(chatwoot.userToken);
    expect(decrypt(deps, created.userTokenEnc, 'ChatwootConnection.userTokenEnc', created.id)).toBe(chatwoot.userToken);
    expect(chatwoot.requests({ method: 'GET', path: /\/inboxes$/ }).length).toBeGreaterThanOrEqual(2);
    const renamed = await updateChatwootConnection(deps, tenantId, created.id, { name: 'main renamed' });
    expect(renamed.name).toBe('main renamed');
  });

  it('links a new API inbox: webhook registered on Chatwoot, its signing secret and identifier stored', async () => {
    const cw = (await raw().chatwootConnection.findFirst({ where: { tenantId } })) ?? (await connection('main'));
    const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'linked' });
    deps.changed.length = 0;
    const link = await linkInbox(deps, tenantId, {
      instanceId: instance.id,
      chatwootConnectionId: cw.id,
      createInbox: { name: 'WhatsApp Vendas' },
      signatureMode: 'SIGNED',
      conversationPolicy: 'CREATE_NEW',
    });
    const inbox = chatwoot.inbox(link.inboxId);
    expect(inbox?.name).toBe('WhatsApp Vendas');
    expect(inbox?.webhookUrl?.startsWith(`${HUB_URL}/webhooks/chatwoot/`)).toBe(true);
    const secret = secretOfUrl(inbox?.webhookUrl ?? undefined);
    expect(link.hubSecretHash).toBe(sha256(secret));
    expect(decrypt(deps, link.hubSecretEnc, 'InboxLink.hubSecretEnc', link.id)).toBe(secret);
    expect(decrypt(deps, link.webhookSigningSecretEnc as string, 'InboxLink.webhookSigningSecretEnc', link.id)).toBe(inbox?.secret);
    expect(link.inboxIdentifier).toBe(inbox?.identifier);
    expect(link.conversationPolicy).toBe('CREATE_NEW');
    expect(deps.changed).toEqual([instance.id]);
    const audit = await raw().auditLog.findMany({ where: { tenantId, targetId: link.id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.metadata)).toEqual([
      { field: 'InboxLink.hubSecretEnc', change: 'set' },
      { field: 'InboxLink.webhookSigningSecretEnc', change: 'set' },
    ]);

    const twice = await rejection(
      linkInbox(deps, tenantId, {
        instanceId: instance.id,
        chatwootConnectionId: cw.id,
        createInbox: { name: 'x' },
        signatureMode: 'SIGNED',
      }),
    );
    expect(twice.status).toBe(409);

    deps.changed.length = 0;
    await unlinkInbox(deps, tenantId, link.id);
    expect(await raw().inboxLink.count({ where: { id: link.id } })).toBe(0);
    expect(deps.changed).toEqual([instance.id]);
    const removed = await raw().auditLog.findMany({ where: { tenantId, targetId: link.id }, orderBy: { id: 'asc' } });
    expect(removed.slice(2).map((a) => a.metadata)).toEqual([
      { field: 'InboxLink.hubSecretEnc', change: 'removed' },
      { field: 'InboxLink.webhookSigningSecretEnc', change: 'removed' },
    ]);
  });

  it('links an existing inbox: points its webhook at the Hub; SIGNED needs a signing secret', async () => {
    const cw = await connection(`existing-${Date.now()}`).catch(async () =>
      raw().chatwootConnection.findFirstOrThrow({ where: { tenantId } }),
    );
    const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'existing inbox' });
    const existing = chatwoot.createInbox({ name: 'Old inbox', webhookUrl: 'https://n8n.example/webhook/abc' });
    const link = await linkInbox(deps, tenantId, {
      instanceId: instance.id,
      chatwootConnectionId: cw.id,
      inboxId: existing.id,
      signatureMode: 'SIGNED',
      signingSecret: 'given-signing-secret',
    });
    expect(chatwoot.inbox(existing.id)?.webhookUrl).toBe(
      `${HUB_URL}/webhooks/chatwoot/${decrypt(deps, link.hubSecretEnc, 'InboxLink.hubSecretEnc', link.id)}`,
    );
    expect(decrypt(deps, link.webhookSigningSecretEnc as string, 'InboxLink.webhookSigningSecretEnc', link.id)).toBe(
      'given-signing-secret',
    );
    expect(chatwoot.requests({ method: 'PATCH', path: `/inboxes/${existing.id}` }).length).toBe(1);

    const other = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'same inbox' });
    const taken = await rejection(
      linkInbox(deps, tenantId, { instanceId: other.id, chatwootConnectionId: cw.id, inboxId: existing.id, signatureMode: 'UNSIGNED' }),
    );
    expect(taken.status).toBe(409);
    const missing = await rejection(
      linkInbox(deps, tenantId, { instanceId: other.id, chatwootConnectionId: cw.id, inboxId: 99_999, signatureMode: 'UNSIGNED' }),
    );
    expect(missing.status).toBe(404);
    const both = await rejection(
      linkInbox(deps, tenantId, { instanceId: other.id, chatwootConnectionId: cw.id, signatureMode: 'UNSIGNED' }),
    );
    expect(both.status).toBe(400);
  });

  it('refuses SIGNED on a Chatwoot that does not sign (before 4.13) and accepts UNSIGNED', async () => {
    const old = await startChatwootSimulator({ host: '127.0.0.1', signWebhooks: false });
    try {
      const cw = await createChatwootConnection(deps, tenantId, {
        name: 'old',
        baseUrl: old.baseUrl,
        accountId: old.accountId,
        userToken: old.userToken,
      });
      const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'old chatwoot' });
      const inbox = old.createInbox({ name: 'Legacy' });
      const signed = await rejection(
        linkInbox(deps, tenantId, { instanceId: instance.id, chatwootConnectionId: cw.id, inboxId: inbox.id, signatureMode: 'SIGNED' }),
      );
      expect(signed.status).toBe(400);
      const link = await linkInbox(deps, tenantId, {
        instanceId: instance.id,
        chatwootConnectionId: cw.id,
        inboxId: inbox.id,
        signatureMode: 'UNSIGNED',
      });
      expect([link.signatureMode, link.webhookSigningSecretEnc]).toEqual(['UNSIGNED', null]);
    } finally {
      await old.close();
    }
  });

  it('maps a Chatwoot outage to 502 when linking', async () => {
    const cw = await raw().chatwootConnection.findFirstOrThrow({ where: { tenantId } });
    const instance = await createInstance(deps, tenantId, { providerServerId: serverId, name: 'chatwoot down' });
    chatwoot.fail({ path: '/inboxes', method: 'POST', status: 503, times: 1 });
    const error = await rejection(
      linkInbox(deps, tenantId, {
        instanceId: instance.id,
        chatwootConnectionId: cw.id,
        createInbox: { name: 'never' },
        signatureMode: 'SIGNED',
      }),
    );
    expect(error.status).toBe(502);
    expect(error.message).not.toContain(chatwoot.userToken);
    expect(await raw().inboxLink.count({ where: { instanceId: instance.id } })).toBe(0);
  });
});
