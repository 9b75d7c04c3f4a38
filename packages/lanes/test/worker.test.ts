import { AppError } from '@whatpro/platform';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createLaneWorker,
  type DeadItem,
  enqueue,
  type Handler,
  type HandlerItem,
  LaneDeferral,
  type LaneWorkerOptions,
} from '../src/index.ts';
import { assertSerialInOrder, createFixture, type Fixture, fillLane, laneHistory, sleep, testDb, waitFor } from './support.ts';

const db = testDb();
const raw = db.$unguarded('lanes worker test');
const workers: { stop(o?: { graceMs?: number }): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ graceMs: 2000 })));
});
afterAll(async () => {
  await db.$disconnect();
});

function startWorker(fx: Fixture, handlers: Record<string, Handler>, extra: Partial<LaneWorkerOptions> = {}) {
  const worker = createLaneWorker({
    db,
    handlers,
    concurrency: 4,
    leaseMs: 5000,
    pollMs: 20,
    scope: { tenantIds: [fx.tenantId] },
    ...extra,
  });
  workers.push(worker);
  void worker.start();
  return worker;
}

// Lets a worker whose clock is behind claim lanes enqueued on the real clock.
const backdate = (fx: Fixture) =>
  raw.lane.updateMany({ where: { tenantId: fx.tenantId }, data: { readyAt: new Date(Date.now() - 120_000) } });
const statusOf = async (id: string) => (await raw.laneItem.findUniqueOrThrow({ where: { id } })).status;
const allFinal = (tenantId: string, total: number) => async () =>
  (await raw.laneItem.count({ where: { tenantId, status: { in: ['SUCCEEDED', 'DEAD', 'SKIPPED', 'CANCELLED'] } } })) === total;

describe('enqueue', () => {
  it('commits with the caller’s transaction and disappears with its rollback', async () => {
    const fx = await createFixture(db);
    await expect(
      db.$transaction(async (tx) => {
        await enqueue(tx, { ...fx, direction: 'INBOUND', contactKey: 'rolled-back', kind: 'record', payload: { n: 1 } });
        throw new Error('caller failed after enqueue');
      }),
    ).rejects.toThrow('caller failed after enqueue');
    expect(await raw.lane.count({ where: { tenantId: fx.tenantId } })).toBe(0);
    expect(await raw.laneItem.count({ where: { tenantId: fx.tenantId } })).toBe(0);

    const id = await db.$transaction((tx) =>
      enqueue(tx, { ...fx, direction: 'OUTBOUND', contactKey: '5511999990000', kind: 'send', payload: { text: 'hi' } }),
    );
    // A plain (non-transaction) client works too: enqueue opens its own transaction.
    const second = await enqueue(db, {
      ...fx,
      direction: 'OUTBOUND',
      contactKey: '5511999990000',
      kind: 'send',
      payload: { text: 'again' },
    });
    const lanes = await raw.lane.findMany({ where: { tenantId: fx.tenantId }, include: { items: { orderBy: { seq: 'asc' } } } });
    expect(lanes).toHaveLength(1);
    expect(lanes[0]).toMatchObject({ instanceId: fx.instanceId, direction: 'OUTBOUND', contactKey: '5511999990000', blocked: false });
    expect(lanes[0]?.readyAt).toBeInstanceOf(Date);
    expect(lanes[0]?.items.map((i) => [i.id, i.status, i.kind, i.payload])).toEqual([
      [id, 'QUEUED', 'send', { text: 'hi' }],
      [second, 'QUEUED', 'send', { text: 'again' }],
    ]);
  });

  it('rejects an item without contact or kind', async () => {
    const fx = await createFixture(db);
    await expect(enqueue(db, { ...fx, direction: 'INBOUND', contactKey: '', kind: 'k', payload: {} })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(enqueue(db, { ...fx, direction: 'INBOUND', contactKey: 'c', kind: '', payload: {} })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(enqueue(db, { ...fx, direction: 'SIDEWAYS' as 'INBOUND', contactKey: 'c', kind: 'k', payload: {} })).rejects.toMatchObject(
      {
        code: 'VALIDATION',
      },
    );
  });
});

describe('lane worker', () => {
  it('runs each lane’s items once, in enqueue order, one at a time, and logs every attempt', async () => {
    const fx = await createFixture(db);
    const seen = new Map<string, number[]>();
    const busy = new Set<string>();
    let overlaps = 0;
    const handler: Handler = async (item) => {
      const { lane, n } = item.payload as { lane: string; n: number };
      if (busy.has(lane)) overlaps++;
      busy.add(lane);
      await sleep(Math.random() * 4);
      seen.set(lane, [...(seen.get(lane) ?? []), n]);
      busy.delete(lane);
      return { n, echoed: item.contactKey };
    };
    startWorker(fx, { record: handler }, { concurrency: 3 });
    await Promise.all(['a', 'b', 'c', 'd'].map((contactKey) => fillLane(db, fx, { contactKey }, 15)));
    await waitFor('all items to succeed', allFinal(fx.tenantId, 60));

    expect(overlaps).toBe(0);
    for (const key of ['a', 'b', 'c', 'd']) expect(seen.get(key)).toEqual([...Array(15).keys()]);
    const { items, byLane } = await laneHistory(db, fx.tenantId);
    for (const laneItems of byLane.values()) expect(assertSerialInOrder(laneItems)).toBeNull();
    for (const item of items) {
      expect(item).toMatchObject({ status: 'SUCCEEDED', attempts: 1, deferrals: 0, lastError: null });
      expect(item.result).toEqual({ n: (item.payload as { n: number }).n, echoed: item.lane.contactKey });
      expect(item.attemptsLog).toHaveLength(1);
      const [attempt] = item.attemptsLog;
      expect(attempt).toMatchObject({ attempt: 1, outcome: 'SUCCEEDED', errorCode: null });
      expect(attempt?.workerId).toMatch(/^lanes-/);
      expect(attempt?.durationMs).toBe((attempt?.finishedAt?.getTime() ?? 0) - (attempt?.startedAt.getTime() ?? 0));
      expect(attempt?.fencingToken).toBeGreaterThan(0n);
    }
    const lanes = await raw.lane.findMany({ where: { tenantId: fx.tenantId } });
    expect(lanes.every((l) => l.readyAt === null && l.leaseOwner === null && !l.blocked)).toBe(true);
  });

  it('holds everything behind a failing head until it succeeds, with growing backoff gaps', async () => {
    const fx = await createFixture(db, { backoffBaseMs: 500, backoffMaxMs: 10_000 });
    const starts: { n: number; at: number; attempt: number }[] = [];
    let failures = 0;
    startWorker(
      fx,
      {
        record: async (item) => {
          const { n } = item.payload as { n: number };
          starts.push({ n, at: Date.now(), attempt: item.attempt });
          if (n === 0 && failures < 3) {
            failures++;
            throw Object.assign(new Error(`provider 503 #${failures}`), { code: 'UPSTREAM_ERROR' });
          }
          return null;
        },
      },
      { random: () => 0.5 },
    );
    const ids = await fillLane(db, fx, { contactKey: 'head' }, 4);
    await waitFor('the lane to drain', allFinal(fx.tenantId, 4));

    // Nothing behind the head ran before the head's success.
    expect(starts.map((s) => s.n)).toEqual([0, 0, 0, 0, 1, 2, 3]);
    expect(starts.slice(0, 4).map((s) => s.attempt)).toEqual([1, 2, 3, 4]);
    // Equal jitter with random = 0.5 waits 3/4 of base·2^(k-1): 375, 750, 1500 ms. Each gap is at
    // least its delay; the steps between delays (375 ms and more) dwarf scheduling noise.
    const gaps = [1, 2, 3].map((i) => (starts[i]?.at ?? 0) - (starts[i - 1]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(370);
    expect(gaps[1]).toBeGreaterThanOrEqual(745);
    expect(gaps[2]).toBeGreaterThanOrEqual(1495);
    expect(gaps[1]).toBeGreaterThan(gaps[0] ?? 0);
    expect(gaps[2]).toBeGreaterThan(gaps[1] ?? 0);

    const head = await raw.laneItem.findUniqueOrThrow({ where: { id: ids[0] }, include: { attemptsLog: { orderBy: { attempt: 'asc' } } } });
    expect(head).toMatchObject({ status: 'SUCCEEDED', attempts: 4, lastErrorCode: 'UPSTREAM_ERROR', lastError: 'provider 503 #3' });
    expect(head.attemptsLog.map((a) => [a.attempt, a.outcome, a.errorCode, a.errorMessage])).toEqual([
      [1, 'RETRY', 'UPSTREAM_ERROR', 'provider 503 #1'],
      [2, 'RETRY', 'UPSTREAM_ERROR', 'provider 503 #2'],
      [3, 'RETRY', 'UPSTREAM_ERROR', 'provider 503 #3'],
      [4, 'SUCCEEDED', null, null],
    ]);
    const { byLane } = await laneHistory(db, fx.tenantId);
    expect(assertSerialInOrder(byLane.get('head') ?? [])).toBeNull();
  });

  it('uses an error’s retryAfterMs instead of the backoff', async () => {
    const fx = await createFixture(db, { backoffBaseMs: 5, backoffMaxMs: 10 });
    const starts: number[] = [];
    startWorker(fx, {
      record: async () => {
        starts.push(Date.now());
        if (starts.length === 1) throw Object.assign(new Error('429'), { code: 'RATE_LIMITED', retryAfterMs: 300 });
        return { ok: true };
      },
    });
    const [id] = await fillLane(db, fx, { contactKey: 'ra' }, 1);
    await waitFor('the retry', async () => (await statusOf(id as string)) === 'SUCCEEDED');
    expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(295);
  });

  it('sends a non-retryable error straight to dead, and under SKIP runs the next item', async () => {
    const fx = await createFixture(db, { inboundMaxAttempts: 5 });
    const dead: { item: DeadItem; error: unknown }[] = [];
    const ran: number[] = [];
    startWorker(
      fx,
      {
        record: async (item) => {
          const { n } = item.payload as { n: number };
          ran.push(n);
          if (n === 0) throw new AppError('VALIDATION', 'contact has no WhatsApp'); // AppError: retryable false
          return null;
        },
      },
      {
        onDead: async (item, error) => {
          dead.push({ item, error });
          throw new Error('chatwoot note failed'); // logged, never fatal
        },
      },
    );
    const ids = await fillLane(db, fx, { contactKey: 'nr' }, 3);
    await waitFor('the lane to drain', allFinal(fx.tenantId, 3));
    expect(ran).toEqual([0, 1, 2]);
    const first = await raw.laneItem.findUniqueOrThrow({ where: { id: ids[0] }, include: { attemptsLog: true } });
    expect(first).toMatchObject({ status: 'DEAD', attempts: 1, lastErrorCode: 'VALIDATION', lastError: 'contact has no WhatsApp' });
    expect(first.attemptsLog.map((a) => a.outcome)).toEqual(['DEAD']);
    expect(dead).toHaveLength(1);
    expect(dead[0]?.item).toMatchObject({ id: ids[0], errorCode: 'VALIDATION', laneBlocked: false, attempt: 1, direction: 'INBOUND' });
    expect(dead[0]?.error).toBeInstanceOf(AppError);
    expect(await statusOf(ids[2] as string)).toBe('SUCCEEDED');
  });

  it('exhausts retries under SKIP: the item dies and the lane continues', async () => {
    const fx = await createFixture(db, { inboundMaxAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 20 });
    const ran: number[] = [];
    startWorker(fx, {
      record: async (item) => {
        const { n } = item.payload as { n: number };
        ran.push(n);
        if (n === 0) throw new Error('always down');
        return null;
      },
    });
    const ids = await fillLane(db, fx, { contactKey: 'skip' }, 2);
    await waitFor('the lane to drain', allFinal(fx.tenantId, 2));
    expect(ran).toEqual([0, 0, 1]);
    const first = await raw.laneItem.findUniqueOrThrow({
      where: { id: ids[0] },
      include: { attemptsLog: { orderBy: { attempt: 'asc' } } },
    });
    expect(first).toMatchObject({ status: 'DEAD', attempts: 2, lastErrorCode: 'HANDLER_ERROR', lastError: 'always down' });
    expect(first.attemptsLog.map((a) => a.outcome)).toEqual(['RETRY', 'DEAD']);
    const lane = await raw.lane.findFirstOrThrow({ where: { tenantId: fx.tenantId } });
    expect(lane.blocked).toBe(false);
  });

  it('leaves an item of a kind it cannot handle to a worker that can, in lane order', async () => {
    const fx = await createFixture(db);
    const recordRuns: number[] = [];
    const mysteryRuns: number[] = [];
    startWorker(fx, { record: async (it) => recordRuns.push((it.payload as { n: number }).n) });
    const [first] = await fillLane(db, fx, { contactKey: 'nk', kind: 'mystery' }, 1, () => ({ n: 0 }));
    const [second] = await fillLane(db, fx, { contactKey: 'nk', kind: 'record' }, 1, () => ({ n: 1 }));
    await sleep(300);
    // The record worker never claims a lane whose head it cannot run, and never kills that head.
    expect(recordRuns).toEqual([]);
    expect(await statusOf(first as string)).toBe('QUEUED');
    expect(await statusOf(second as string)).toBe('QUEUED');

    startWorker(fx, { mystery: async (it) => mysteryRuns.push((it.payload as { n: number }).n) });
    await waitFor('both items', allFinal(fx.tenantId, 2));
    expect(mysteryRuns).toEqual([0]);
    expect(recordRuns).toEqual([1]);
    expect(await raw.laneItem.findUniqueOrThrow({ where: { id: first } })).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
  });

  it('defers on LaneDeferral without counting attempts', async () => {
    const fx = await createFixture(db, { inboundMaxAttempts: 1, backoffBaseMs: 10 });
    const seen: HandlerItem[] = [];
    startWorker(fx, {
      record: async (item) => {
        seen.push(item);
        if (seen.length <= 3) throw new LaneDeferral('instance disconnected', { code: 'INSTANCE_CLOSED', retryAfterMs: 30 });
        return { sent: true };
      },
    });
    const [id] = await fillLane(db, fx, { contactKey: 'defer' }, 1);
    await waitFor('the item to succeed', async () => (await statusOf(id as string)) === 'SUCCEEDED');
    // With a budget of one attempt, three deferrals would have killed it had they counted.
    expect(seen.map((i) => i.attempt)).toEqual([1, 1, 1, 1]);
    const item = await raw.laneItem.findUniqueOrThrow({ where: { id }, include: { attemptsLog: { orderBy: { attempt: 'asc' } } } });
    expect(item).toMatchObject({ attempts: 1, deferrals: 3, result: { sent: true } });
    expect(item.attemptsLog.map((a) => [a.attempt, a.outcome, a.errorCode])).toEqual([
      [1, 'DEFERRED', 'INSTANCE_CLOSED'],
      [2, 'DEFERRED', 'INSTANCE_CLOSED'],
      [3, 'DEFERRED', 'INSTANCE_CLOSED'],
      [4, 'SUCCEEDED', null],
    ]);
  });

  it('spaces outbound sends of an instance by its minimum interval without counting attempts', async () => {
    const interval = 300;
    const fx = await createFixture(db, { minSendIntervalMs: interval });
    const sends: number[] = [];
    startWorker(
      fx,
      {
        record: async (item) => {
          if (item.direction === 'OUTBOUND') sends.push(Date.now());
          return null;
        },
      },
      { concurrency: 4 },
    );
    await Promise.all(['r1', 'r2', 'r3'].map((contactKey) => fillLane(db, fx, { contactKey, direction: 'OUTBOUND' }, 2)));
    // Inbound work of the same instance is not a send: not spaced, never delayed by the sends.
    await fillLane(db, fx, { contactKey: 'in', direction: 'INBOUND' }, 1);
    await waitFor('all items', allFinal(fx.tenantId, 7));
    const items = await raw.laneItem.findMany({ where: { tenantId: fx.tenantId } });
    expect(items.every((i) => i.status === 'SUCCEEDED' && i.attempts === 1 && i.deferrals === 0)).toBe(true);
    // Calls are booked `interval` apart and made by timer at their slot; the tolerance only absorbs
    // timer lateness on a loaded machine (unlimited, these six calls would be milliseconds apart).
    const sorted = [...sends].sort((a, b) => a - b);
    expect(sorted).toHaveLength(6);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(interval - 100);
    expect(sorted.at(-1)! - sorted[0]!).toBeGreaterThanOrEqual(5 * interval - 100);
    const instance = await raw.instance.findUniqueOrThrow({ where: { id: fx.instanceId } });
    expect(instance.lanesNextSendAt!.getTime()).toBeGreaterThan(sorted.at(-1)!);
  });

  it('returns an expired lease to another worker, which reconciles; the stale completion is rejected', async () => {
    const fx = await createFixture(db);
    let release: () => void = () => {};
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    const staleRuns: HandlerItem[] = [];
    let staleAborted = false;
    let staleReturned = false;
    // This worker's clock runs 60 s behind, so every lease it takes is already expired for the others:
    // the same as a worker that froze mid-item.
    startWorker(
      fx,
      {
        record: async (item, { signal }) => {
          staleRuns.push(item);
          signal.addEventListener('abort', () => {
            staleAborted = true;
          });
          await stuck;
          staleReturned = true;
          return { by: 'stale' };
        },
      },
      { now: () => Date.now() - 60_000, workerId: 'lanes-stale', leaseMs: 300, reapMs: 60_000 },
    );
    const [id, next] = await fillLane(db, fx, { contactKey: 'lease' }, 2);
    await backdate(fx);
    await waitFor('the stale worker to start', async () => staleRuns.length === 1);

    const fresh: HandlerItem[] = [];
    const healthy = startWorker(
      fx,
      {
        record: async (item) => {
          fresh.push(item);
          return { by: 'fresh' };
        },
      },
      { reapMs: 60_000 },
    );
    expect(await healthy.reap()).toBe(1);
    await waitFor('the lane to drain', allFinal(fx.tenantId, 2));
    expect(fresh.map((i) => [i.id, i.previousOutcomeUnknown, i.attempt])).toEqual([
      [id, true, 2],
      [next, false, 1],
    ]);

    // The frozen worker's lease renewal fails, which aborts its handler; its late completion then
    // presents a stale fencing token and changes nothing.
    await waitFor('the stale handler to be aborted', async () => staleAborted);
    release();
    await waitFor('the stale handler to return', async () => staleReturned);
    await sleep(150);
    const item = await raw.laneItem.findUniqueOrThrow({ where: { id }, include: { attemptsLog: { orderBy: { attempt: 'asc' } } } });
    expect(item).toMatchObject({ status: 'SUCCEEDED', result: { by: 'fresh' }, attempts: 2 });
    expect(item.attemptsLog.map((a) => [a.workerId, a.outcome, a.errorCode])).toEqual([
      ['lanes-stale', 'LEASE_LOST', 'LEASE_LOST'],
      [expect.stringMatching(/^lanes-/), 'SUCCEEDED', null],
    ]);
    expect(item.attemptsLog[1]?.fencingToken).toBeGreaterThan(item.attemptsLog[0]?.fencingToken ?? 0n);
    expect(item.attemptsLog[1]?.workerId).not.toBe('lanes-stale');
  });

  it('kills an item whose lease expired on its last attempt, and blocks the lane under BLOCK', async () => {
    const fx = await createFixture(db, { outboundMaxAttempts: 1, outboundExhaustion: 'BLOCK' });
    const dead: DeadItem[] = [];
    let release: () => void = () => {};
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    startWorker(
      fx,
      {
        record: async () => {
          started++;
          await stuck;
          return null;
        },
      },
      { now: () => Date.now() - 60_000, leaseMs: 300, reapMs: 60_000 },
    );
    const [id, next] = await fillLane(db, fx, { contactKey: 'poison', direction: 'OUTBOUND' }, 2);
    await backdate(fx);
    await waitFor('the first run', async () => started === 1);
    const reaper = createLaneWorker({
      db,
      handlers: { record: async () => null },
      scope: { tenantIds: [fx.tenantId] },
      onDead: (item) => void dead.push(item),
    });
    // A worker without a handler for the running item's kind leaves its lease alone.
    expect(await createLaneWorker({ db, handlers: { other: async () => null }, scope: { tenantIds: [fx.tenantId] } }).reap()).toBe(0);
    expect(await reaper.reap()).toBe(1);
    release();
    expect(await raw.laneItem.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'DEAD', lastErrorCode: 'LEASE_LOST' });
    expect(await statusOf(next as string)).toBe('QUEUED');
    expect(await raw.lane.findFirstOrThrow({ where: { tenantId: fx.tenantId } })).toMatchObject({
      blocked: true,
      readyAt: null,
      leaseOwner: null,
    });
    expect(dead.map((d) => [d.id, d.errorCode, d.laneBlocked, d.attempt])).toEqual([[id, 'LEASE_LOST', true, 1]]);
  });

  it('stops gracefully: lets a short item finish, and returns the lease of one that will not', async () => {
    const fx = await createFixture(db);
    let finished = 0;
    const worker = createLaneWorker({
      db,
      scope: { tenantIds: [fx.tenantId] },
      pollMs: 20,
      handlers: {
        record: async (item) => {
          const { n } = item.payload as { n: number };
          if (n === 0) {
            await sleep(150);
            finished++;
            return { n };
          }
          await sleep(5000); // ignores the abort signal
          return { n };
        },
      },
    });
    await worker.start();
    const [first] = await fillLane(db, fx, { contactKey: 'g1' }, 1);
    await waitFor('the item to start', async () => (await statusOf(first as string)) === 'RUNNING');
    await worker.stop({ graceMs: 3000 });
    expect(finished).toBe(1);
    expect(await statusOf(first as string)).toBe('SUCCEEDED');

    const second = createLaneWorker({
      db,
      scope: { tenantIds: [fx.tenantId] },
      pollMs: 20,
      handlers: { record: async () => sleep(1500) },
    });
    await second.start();
    const [slow] = await fillLane(db, fx, { contactKey: 'g2' }, 1, () => ({ n: 1 }));
    await waitFor('the slow item to start', async () => (await statusOf(slow as string)) === 'RUNNING');
    expect(second.inFlight).toBe(1);
    await second.stop({ graceMs: 50 });
    const item = await raw.laneItem.findUniqueOrThrow({ where: { id: slow }, include: { lane: true, attemptsLog: true } });
    expect(item).toMatchObject({ status: 'UNKNOWN', lastErrorCode: 'LEASE_LOST' });
    expect(item.attemptsLog.map((a) => a.outcome)).toEqual(['LEASE_LOST']);
    expect(item.lane).toMatchObject({ leaseOwner: null, blocked: false });
    expect(item.lane.readyAt).not.toBeNull();
  });
});
