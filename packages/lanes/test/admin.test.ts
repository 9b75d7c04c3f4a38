import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLaneAdmin, createLaneWorker, type Handler, type LaneWorker } from '../src/index.ts';
import { assertSerialInOrder, createFixture, type Fixture, fillLane, laneHistory, sleep, testDb, testRedis, waitFor } from './support.ts';

const db = testDb();
const raw = db.$unguarded('lanes admin test');
const redis = testRedis();
const admin = createLaneAdmin(db, { redis });
const workers: LaneWorker[] = [];

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 2000 })));
});
afterAll(async () => {
  redis.disconnect();
  await db.$disconnect();
});

function startWorker(fx: Fixture, handlers: Record<string, Handler>) {
  const worker = createLaneWorker({ db, redis, handlers, concurrency: 4, pollMs: 20, scope: { tenantIds: [fx.tenantId] } });
  workers.push(worker);
  void worker.start();
  return worker;
}

const item = (id: string | undefined) => raw.laneItem.findUniqueOrThrow({ where: { id } });
const lanesOf = (fx: Fixture) => raw.lane.findMany({ where: { tenantId: fx.tenantId }, orderBy: { contactKey: 'asc' } });

/** A handler whose item n fails for as long as `failing` holds n, and which records what ran. */
function flaky() {
  const failing = new Set<number>();
  const ran: number[] = [];
  const handler: Handler = async (it) => {
    const { n } = it.payload as { n: number };
    ran.push(n);
    if (failing.has(n)) throw Object.assign(new Error(`send ${n} failed`), { code: 'UPSTREAM_ERROR' });
    return { n };
  };
  return { failing, ran, handler };
}

describe('exhaustion under BLOCK and the operator’s way out', () => {
  it('blocks the lane on a dead head; retry returns it to the head with a fresh budget and unblocks', async () => {
    const fx = await createFixture(db, { outboundMaxAttempts: 2, outboundExhaustion: 'BLOCK', backoffBaseMs: 10, backoffMaxMs: 20 });
    const h = flaky();
    h.failing.add(0);
    startWorker(fx, { record: h.handler });
    const ids = await fillLane(db, fx, { contactKey: 'blocked', direction: 'OUTBOUND' }, 3, (n) => ({ n }), redis);
    await waitFor('the head to die', async () => (await item(ids[0])).status === 'DEAD');
    await sleep(200); // workers keep polling; a blocked lane must stay untouched
    expect(h.ran).toEqual([0, 0]);
    expect((await item(ids[1])).status).toBe('QUEUED');
    expect((await lanesOf(fx))[0]).toMatchObject({ blocked: true, readyAt: null, leaseOwner: null });
    expect((await admin.counts({ tenantId: fx.tenantId })).lanes).toMatchObject({ total: 1, blocked: 1, leased: 0, ready: 0 });

    h.failing.delete(0);
    const retried = await admin.retryItem({ tenantId: fx.tenantId, itemId: ids[0] as string });
    expect(retried).toMatchObject({ id: ids[0], status: 'QUEUED', attempts: 0, laneBlocked: false });
    await waitFor('the lane to drain', async () => (await item(ids[2])).status === 'SUCCEEDED');
    expect(h.ran).toEqual([0, 0, 0, 1, 2]);
    const detail = await admin.getItem({ tenantId: fx.tenantId, itemId: ids[0] as string });
    expect(detail).toMatchObject({ status: 'SUCCEEDED', attempts: 1, result: { n: 0 }, payload: { lane: 'blocked', n: 0 } });
    expect(detail.attemptsLog.map((a) => [a.attempt, a.outcome, a.errorCode])).toEqual([
      [1, 'RETRY', 'UPSTREAM_ERROR'],
      [2, 'DEAD', 'UPSTREAM_ERROR'],
      [3, 'SUCCEEDED', null],
    ]);
    expect(typeof detail.attemptsLog[0]?.fencingToken).toBe('string');
    const { byLane } = await laneHistory(db, fx.tenantId);
    expect(assertSerialInOrder(byLane.get('blocked') ?? [])).toBeNull();
  });

  it('skipping the blocking dead item lets the lane continue; skipping an older dead one does not unblock', async () => {
    const fx = await createFixture(db, { outboundMaxAttempts: 1, outboundExhaustion: 'SKIP' });
    const h = flaky();
    h.failing.add(0);
    h.failing.add(2);
    startWorker(fx, { record: h.handler });
    const first = await fillLane(db, fx, { contactKey: 's', direction: 'OUTBOUND' }, 2, (n) => ({ n }), redis);
    await waitFor('the first two', async () => (await item(first[1])).status === 'SUCCEEDED');
    expect((await item(first[0])).status).toBe('DEAD');

    // The operator switches the instance to BLOCK; the next dead item stops the lane.
    await raw.instance.update({ where: { id: fx.instanceId }, data: { outboundExhaustion: 'BLOCK' } });
    const second = await fillLane(db, fx, { contactKey: 's', direction: 'OUTBOUND' }, 2, (n) => ({ n: n + 2 }), redis);
    await waitFor('the blocking death', async () => (await lanesOf(fx))[0]?.blocked === true);
    expect((await item(second[0])).status).toBe('DEAD');
    expect((await item(second[1])).status).toBe('QUEUED');

    const older = await admin.skipItem({ tenantId: fx.tenantId, itemId: first[0] as string });
    expect(older).toMatchObject({ status: 'SKIPPED', laneBlocked: true });
    await sleep(100);
    expect((await item(second[1])).status).toBe('QUEUED');

    const blocker = await admin.skipItem({ tenantId: fx.tenantId, itemId: second[0] as string });
    expect(blocker).toMatchObject({ status: 'SKIPPED', laneBlocked: false });
    expect(blocker.finishedAt).toBeInstanceOf(Date);
    await waitFor('the rest', async () => (await item(second[1])).status === 'SUCCEEDED');
    expect(h.ran).toEqual([0, 1, 2, 3]);
  });

  it('skips a waiting item before it runs', async () => {
    const fx = await createFixture(db);
    const ids = await fillLane(db, fx, { contactKey: 'w' }, 2);
    expect(await admin.skipItem({ tenantId: fx.tenantId, itemId: ids[0] as string })).toMatchObject({ status: 'SKIPPED', attempts: 0 });
    const ran: number[] = [];
    startWorker(fx, { record: async (it) => ran.push((it.payload as { n: number }).n) });
    await waitFor('the second item', async () => (await item(ids[1])).status === 'SUCCEEDED');
    expect(ran).toEqual([1]);
  });

  it('refuses what makes no sense and hides other tenants’ items', async () => {
    const fx = await createFixture(db);
    const other = await createFixture(db);
    startWorker(fx, { record: async () => ({ ok: true }) });
    const [done] = await fillLane(db, fx, { contactKey: 'x' }, 1, (n) => ({ n }), redis);
    await waitFor('the item', async () => (await item(done)).status === 'SUCCEEDED');

    await expect(admin.retryItem({ tenantId: fx.tenantId, itemId: done as string })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(admin.skipItem({ tenantId: fx.tenantId, itemId: done as string })).rejects.toMatchObject({ code: 'CONFLICT' });
    for (const call of [admin.getItem, admin.retryItem, admin.skipItem]) {
      await expect(call({ tenantId: other.tenantId, itemId: done as string })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(call({ tenantId: fx.tenantId, itemId: 'not-a-uuid' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    await expect(admin.purge({ tenantId: other.tenantId, instanceId: fx.instanceId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(admin.pauseInstance({ tenantId: other.tenantId, instanceId: fx.instanceId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(admin.resumeInstance({ tenantId: fx.tenantId, instanceId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(admin.counts({ tenantId: other.tenantId, instanceId: fx.instanceId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await admin.listItems({ tenantId: other.tenantId })).rows).toEqual([]);
    expect((await admin.listLanes({ tenantId: other.tenantId, instanceId: fx.instanceId })).rows).toEqual([]);
    expect((await raw.instance.findUniqueOrThrow({ where: { id: fx.instanceId } })).lanesPaused).toBe(false);
    await expect(admin.listItems({ tenantId: fx.tenantId, cursor: 'x1' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(admin.listLanes({ tenantId: fx.tenantId, cursor: 'x1' })).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});

describe('purge', () => {
  it('cancels the waiting items of one contact, then of the whole instance, keeping them for the record', async () => {
    const fx = await createFixture(db);
    await fillLane(db, fx, { contactKey: 'p1' }, 3);
    await fillLane(db, fx, { contactKey: 'p2' }, 2);
    await fillLane(db, fx, { contactKey: 'p2', direction: 'OUTBOUND' }, 2);
    await raw.lane.updateMany({ where: { tenantId: fx.tenantId, contactKey: 'p1' }, data: { blocked: true } });

    expect(await admin.purge({ tenantId: fx.tenantId, instanceId: fx.instanceId, contactKey: 'p1' })).toEqual({ cancelled: 3 });
    const p1 = await admin.listItems({ tenantId: fx.tenantId, contactKey: 'p1' });
    expect(p1.rows.map((r) => r.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    expect(p1.rows.every((r) => r.finishedAt instanceof Date)).toBe(true);
    expect((await lanesOf(fx)).find((l) => l.contactKey === 'p1')?.blocked).toBe(false);
    expect((await admin.counts({ tenantId: fx.tenantId, instanceId: fx.instanceId })).items).toMatchObject({ QUEUED: 4, CANCELLED: 3 });

    expect(await admin.purge({ tenantId: fx.tenantId, instanceId: fx.instanceId, contactKey: 'p2', direction: 'OUTBOUND' })).toEqual({
      cancelled: 2,
    });
    expect(await admin.purge({ tenantId: fx.tenantId, instanceId: fx.instanceId })).toEqual({ cancelled: 2 });
    const counts = await admin.counts({ tenantId: fx.tenantId });
    expect(counts.items).toEqual({ QUEUED: 0, RUNNING: 0, RETRYING: 0, SUCCEEDED: 0, DEAD: 0, SKIPPED: 0, CANCELLED: 7, UNKNOWN: 0 });

    // Nothing cancelled ever runs.
    const ran: number[] = [];
    startWorker(fx, { record: async (it) => ran.push((it.payload as { n: number }).n) });
    await sleep(200);
    expect(ran).toEqual([]);
    expect((await lanesOf(fx)).every((l) => l.readyAt === null)).toBe(true);
  });
});

describe('pause and resume', () => {
  it('pauses every lane of the instance where it stands and resumes in order', async () => {
    const fx = await createFixture(db);
    const ran: string[] = [];
    startWorker(fx, {
      record: async (it) => {
        const { lane, n } = it.payload as { lane: string; n: number };
        ran.push(`${lane}${n}`);
        // The operator pauses while a1 is running; it finishes, nothing else starts.
        if (lane === 'a' && n === 1) await admin.pauseInstance(fx);
        return null;
      },
    });
    await fillLane(db, fx, { contactKey: 'a' }, 4, (n) => ({ n }), redis);
    await waitFor('the pause', async () => (await raw.instance.findUniqueOrThrow({ where: { id: fx.instanceId } })).lanesPaused);
    await fillLane(db, fx, { contactKey: 'b' }, 2, (n) => ({ n }), redis);
    await sleep(300);
    expect(ran).toEqual(['a0', 'a1']);
    const counts = await admin.counts({ tenantId: fx.tenantId, instanceId: fx.instanceId });
    expect(counts.items).toMatchObject({ SUCCEEDED: 2, QUEUED: 4, RUNNING: 0 });
    const items = await raw.laneItem.findMany({ where: { tenantId: fx.tenantId, status: 'QUEUED' } });
    expect(items.every((i) => i.attempts === 0)).toBe(true);

    await admin.resumeInstance(fx);
    await waitFor('everything', async () => (await raw.laneItem.count({ where: { tenantId: fx.tenantId, status: 'SUCCEEDED' } })) === 6);
    expect(ran.filter((r) => r.startsWith('a'))).toEqual(['a0', 'a1', 'a2', 'a3']);
    expect(ran.filter((r) => r.startsWith('b'))).toEqual(['b0', 'b1']);
  });
});

describe('listing', () => {
  it('lists lanes and items with filters and cursor pagination', async () => {
    const fx = await createFixture(db, { inboundMaxAttempts: 1 });
    const record: Handler = async (it) => {
      const { n } = it.payload as { n: number };
      if (n === 1) throw Object.assign(new Error('bad media'), { retryable: false, code: 'MEDIA' });
      return { n };
    };
    startWorker(fx, { record, send: record });
    const before = new Date(Date.now() - 1000);
    await fillLane(db, fx, { contactKey: 'l1' }, 3, (n) => ({ n }), redis);
    await fillLane(db, fx, { contactKey: 'l2' }, 2, (n) => ({ n }), redis);
    await fillLane(db, fx, { contactKey: 'l3', direction: 'OUTBOUND', kind: 'send' }, 1, (n) => ({ n }), redis);
    await waitFor(
      'all done',
      async () => (await raw.laneItem.count({ where: { tenantId: fx.tenantId, finishedAt: { not: null } } })) === 6,
    );

    const lanes = await admin.listLanes({ tenantId: fx.tenantId, instanceId: fx.instanceId, limit: 2 });
    expect(lanes.rows).toHaveLength(2);
    expect(lanes.nextCursor).toBe(lanes.rows[1]?.id);
    const rest = await admin.listLanes({ tenantId: fx.tenantId, cursor: lanes.nextCursor });
    expect(rest.nextCursor).toBeNull();
    const all = [...lanes.rows, ...rest.rows];
    expect(all.map((l) => l.contactKey).sort()).toEqual(['l1', 'l2', 'l3']);
    expect(all.find((l) => l.contactKey === 'l1')).toMatchObject({
      direction: 'INBOUND',
      pending: 0,
      dead: 1,
      leased: false,
      blocked: false,
    });
    expect(all.find((l) => l.contactKey === 'l2')).toMatchObject({ pending: 0, dead: 1 });
    expect((await admin.listLanes({ tenantId: fx.tenantId, direction: 'OUTBOUND' })).rows.map((l) => l.contactKey)).toEqual(['l3']);
    expect((await admin.listLanes({ tenantId: fx.tenantId, contactKey: 'l2', blocked: false, from: before })).rows).toHaveLength(1);
    expect((await admin.listLanes({ tenantId: fx.tenantId, to: before })).rows).toHaveLength(0);

    const page1 = await admin.listItems({ tenantId: fx.tenantId, limit: 4 });
    const page2 = await admin.listItems({ tenantId: fx.tenantId, limit: 4, cursor: page1.nextCursor });
    expect(page1.rows).toHaveLength(4);
    expect(page2.rows).toHaveLength(2);
    expect(page2.nextCursor).toBeNull();
    const seqs = [...page1.rows, ...page2.rows].map((r) => BigInt(r.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => (a > b ? -1 : 1)));
    const asc = await admin.listItems({ tenantId: fx.tenantId, order: 'asc', limit: 5 });
    const ascRest = await admin.listItems({ tenantId: fx.tenantId, order: 'asc', limit: 5, cursor: asc.nextCursor });
    expect([...asc.rows, ...ascRest.rows].map((r) => BigInt(r.seq))).toEqual([...seqs].reverse());

    const dead = await admin.listItems({ tenantId: fx.tenantId, status: 'DEAD' });
    expect(dead.rows.map((r) => [r.contactKey, r.lastErrorCode, r.lastError])).toEqual([
      ['l2', 'MEDIA', 'bad media'],
      ['l1', 'MEDIA', 'bad media'],
    ]);
    expect((await admin.listItems({ tenantId: fx.tenantId, status: ['SUCCEEDED', 'DEAD'], contactKey: 'l1' })).rows).toHaveLength(3);
    expect((await admin.listItems({ tenantId: fx.tenantId, kind: 'send', direction: 'OUTBOUND' })).rows.map((r) => r.contactKey)).toEqual([
      'l3',
    ]);
    expect((await admin.listItems({ tenantId: fx.tenantId, instanceId: fx.instanceId, from: before, to: new Date() })).rows).toHaveLength(
      6,
    );
    expect((await admin.listItems({ tenantId: fx.tenantId, to: before })).rows).toHaveLength(0);
    const laneId = all.find((l) => l.contactKey === 'l2')?.id as string;
    expect((await admin.listItems({ tenantId: fx.tenantId, laneId })).rows.map((r) => r.laneId)).toEqual([laneId, laneId]);

    const counts = await admin.counts({ tenantId: fx.tenantId, instanceId: fx.instanceId });
    expect(counts).toEqual({
      items: { QUEUED: 0, RUNNING: 0, RETRYING: 0, SUCCEEDED: 4, DEAD: 2, SKIPPED: 0, CANCELLED: 0, UNKNOWN: 0 },
      lanes: { total: 3, blocked: 0, leased: 0, ready: 0 },
    });
  });
});
