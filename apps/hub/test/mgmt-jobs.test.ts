// The worker role's scheduled jobs on the real Redis (BullMQ) and Postgres: the instance sync brings
// the database in line with a provider simulator; retention deletes old history and keeps what an
// operator may still act on.
import { enqueue } from '@whatpro/lanes';
import type { ProviderSimulator } from '@whatpro/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDeps } from '../src/deps.ts';
import { runRetention } from '../src/jobs/retention.ts';
import { startScheduler } from '../src/jobs/scheduler.ts';
import { adapterForServer } from '../src/services/mgmt.ts';
import { connectInstance, createInstance, createProviderServer } from '../src/services/provisioning.ts';
import { type MgmtDeps, mgmtDeps, newTenant, startProviderSim } from './mgmt-fixtures.ts';

async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('scheduled instance sync', () => {
  let deps: MgmtDeps;
  let sim: ProviderSimulator;
  beforeAll(async () => {
    deps = mgmtDeps();
    sim = await startProviderSim('evolution');
  });
  afterAll(async () => {
    await sim.close();
    await closeDeps(deps);
  });

  it('updates status, number and missing instances from the provider on its own', async () => {
    const tenantId = await newTenant(deps, 'jobs');
    const server = await createProviderServer(deps, tenantId, {
      provider: 'EVOLUTION',
      name: 'evo',
      baseUrl: sim.baseUrl,
      adminToken: sim.adminToken,
    });
    const paired = await createInstance(deps, tenantId, { providerServerId: server.id, name: 'paired on the phone' });
    const gone = await createInstance(deps, tenantId, { providerServerId: server.id, name: 'deleted on the panel' });
    await connectInstance(deps, tenantId, paired.id);
    // Both changes happen behind the Hub's back (its webhooks lead nowhere here): only the sync can see them.
    await sim.completePairing(paired.externalName, '+5521977776666');
    await adapterForServer(deps, server).deleteInstance({ name: gone.externalName, token: sim.instanceToken(gone.externalName) as string });
    const raw = deps.db.$unguarded('test assertions');
    expect((await raw.instance.findUniqueOrThrow({ where: { id: paired.id } })).status).toBe('CONNECTING');

    deps.changed.length = 0;
    const stop = await startScheduler(deps, { syncIntervalMs: 500, retentionIntervalMs: 3_600_000, tenantId });
    try {
      const row = await waitFor(async () => {
        const r = await raw.instance.findUniqueOrThrow({ where: { id: paired.id } });
        return r.status === 'OPEN' ? r : null;
      }, 'the sync job to see the paired instance');
      expect([row.phoneE164, row.jid]).toEqual(['+5521977776666', '5521977776666@s.whatsapp.net']);
      expect(row.lastSyncedAt).not.toBeNull();
      const missing = await waitFor(async () => {
        const r = await raw.instance.findUniqueOrThrow({ where: { id: gone.id } });
        return r.status === 'ERROR' ? r : null;
      }, 'the sync job to flag the deleted instance');
      expect(missing.statusReason).toMatch(/missing on the provider/);
      expect(deps.changed).toEqual(expect.arrayContaining([paired.id, gone.id]));
      // It keeps running: a second pairing change is picked up too.
      await sim.dropConnection(paired.externalName);
      await waitFor(async () => (await raw.instance.findUniqueOrThrow({ where: { id: paired.id } })).status === 'CLOSED', 'the next run');
    } finally {
      await stop();
    }
  });
});

describe('retention', () => {
  let deps: MgmtDeps;
  beforeAll(() => {
    deps = mgmtDeps();
  });
  afterAll(async () => {
    await closeDeps(deps);
  });

  it('deletes old events and finished items, keeps waiting and dead ones and their events', async () => {
    const tenantId = await newTenant(deps, 'retention');
    const server = await deps.db.providerServer.create({
      data: { tenantId, provider: 'UAZAPI', name: 'r', baseUrl: 'http://127.0.0.1:9', adminTokenEnc: 'x' },
    });
    const instance = await deps.db.instance.create({
      data: {
        tenantId,
        providerServerId: server.id,
        provider: 'UAZAPI',
        name: 'r',
        externalName: 'r',
        tokenEnc: 'x',
        webhookSecretHash: `hash-${tenantId}`,
        webhookSecretEnc: 'x',
      },
    });
    const old = new Date(Date.now() - 40 * 86_400_000);
    const recent = new Date(Date.now() - 2 * 86_400_000);
    const make = async (label: string, status: 'SUCCEEDED' | 'SKIPPED' | 'CANCELLED' | 'DEAD' | 'QUEUED', at: Date) => {
      const event = await deps.db.inboundEvent.create({
        data: { tenantId, instanceId: instance.id, source: 'PROVIDER', kind: 'message', dedupeKey: label, payload: {}, receivedAt: at },
      });
      const item = await enqueue(deps.db, {
        tenantId,
        instanceId: instance.id,
        direction: 'INBOUND',
        contactKey: label,
        kind: 'inbound.event',
        payload: {},
        eventId: event.id,
      });
      await deps.db.laneItem.updateMany({
        where: { id: item, tenantId },
        data: { status, createdAt: at, finishedAt: status === 'QUEUED' ? null : at },
      });
      await deps.db.executionAttempt.create({
        data: { tenantId, laneItemId: item, attempt: 1, workerId: 'w', fencingToken: 1n, startedAt: at },
      });
      return { event: event.id, item };
    };
    const oldDone = await make('old-done', 'SUCCEEDED', old);
    const oldSkipped = await make('old-skipped', 'SKIPPED', old);
    const oldDead = await make('old-dead', 'DEAD', old);
    const oldWaiting = await make('old-waiting', 'QUEUED', old);
    const recentDone = await make('recent-done', 'SUCCEEDED', recent);
    const orphan = await deps.db.inboundEvent.create({
      data: { tenantId, instanceId: instance.id, source: 'PROVIDER', kind: 'presence', dedupeKey: 'orphan', payload: {}, receivedAt: old },
    });

    const result = await runRetention(deps, { retentionDays: 30, batchSize: 2, tenantId });
    expect(result).toEqual({ laneItems: 2, inboundEvents: 3 });
    const items = await deps.db.laneItem.findMany({ where: { tenantId }, select: { id: true } });
    expect(items.map((i) => i.id).sort()).toEqual([oldDead.item, oldWaiting.item, recentDone.item].sort());
    const events = await deps.db.inboundEvent.findMany({ where: { tenantId }, select: { id: true } });
    expect(events.map((e) => e.id).sort()).toEqual([oldDead.event, oldWaiting.event, recentDone.event].sort());
    expect(await deps.db.executionAttempt.count({ where: { tenantId } })).toBe(3);
    expect(await deps.db.inboundEvent.count({ where: { tenantId, id: { in: [orphan.id, oldDone.event, oldSkipped.event] } } })).toBe(0);

    expect(await runRetention(deps, { retentionDays: 30, tenantId })).toEqual({ laneItems: 0, inboundEvents: 0 });
  });
});
