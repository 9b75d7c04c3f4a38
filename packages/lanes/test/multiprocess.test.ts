import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRedis, type Redis } from '@whatpro/platform';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { enqueue, wake } from '../src/index.ts';
import { assertSerialInOrder, createFixture, type Fixture, laneHistory, sleep, testDb, testRedis, waitFor } from './support.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const db = testDb(12);
const raw = db.$unguarded('lanes multi-process test');
const record = testRedis();
const children = new Set<ChildProcess>();

afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
  children.clear();
});
afterAll(async () => {
  record.disconnect();
  await db.$disconnect();
});

interface Run {
  id: string;
  fx: Fixture;
  key: (k: string) => string;
  workers: Map<string, ChildProcess>;
}

async function startRun(
  count: number,
  opts: { concurrency?: number; leaseMs?: number; pollMs?: number; wakeUrl?: string } = {},
  policy = {},
): Promise<Run> {
  const fx = await createFixture(db, policy);
  const id = randomUUID();
  const workers = new Map<string, ChildProcess>();
  for (let i = 0; i < count; i++) {
    const workerId = `proc-${i}-${id.slice(0, 8)}`;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'worker-process.ts')], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        LANES_WORKER_ID: workerId,
        LANES_RUN_ID: id,
        LANES_TENANT_ID: fx.tenantId,
        LANES_RECORD_REDIS_URL: process.env.REDIS_URL,
        LANES_WAKE_REDIS_URL: opts.wakeUrl ?? process.env.REDIS_URL,
        LANES_CONCURRENCY: String(opts.concurrency ?? 6),
        LANES_LEASE_MS: String(opts.leaseMs ?? 10_000),
        LANES_POLL_MS: String(opts.pollMs ?? 250),
      },
    });
    children.add(child);
    workers.set(workerId, child);
  }
  const key = (k: string) => `lanes-mp:${id}:${k}`;
  await waitFor('the worker processes to start', async () => (await record.llen(key('ready'))) === count, 90_000);
  return { id, fx, key, workers };
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

async function enqueueLane(run: Run, contactKey: string, ns: number[], wakeWith: Redis | null, extra: (n: number) => object = () => ({})) {
  const woke: boolean[] = [];
  for (const n of ns) {
    await db.$transaction((tx) =>
      enqueue(tx, { ...run.fx, direction: 'INBOUND', contactKey, kind: 'record', payload: { lane: contactKey, n, ...extra(n) } }),
    );
    woke.push(await wake(wakeWith, { instanceId: run.fx.instanceId }));
  }
  return woke;
}

const succeeded = (run: Run) => raw.laneItem.count({ where: { tenantId: run.fx.tenantId, status: 'SUCCEEDED' } });
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => String(i + from));

/** Every lane ran its items once each, in order, one at a time: from the database and from the handlers' own records. */
async function expectExactlyOnceInOrder(run: Run, lanes: Map<string, number>) {
  const { items, byLane } = await laneHistory(db, run.fx.tenantId);
  expect(items.every((i) => i.status === 'SUCCEEDED')).toBe(true);
  expect(items.length).toBe([...lanes.values()].reduce((a, b) => a + b, 0));
  for (const [contactKey, count] of lanes) {
    const laneItems = byLane.get(contactKey) ?? [];
    expect(laneItems.map((i) => (i.payload as { n: number }).n)).toEqual(range(count).map(Number));
    expect(assertSerialInOrder(laneItems)).toBeNull();
    expect(await record.lrange(run.key(`done:${contactKey}`), 0, -1)).toEqual(range(count));
  }
  expect(await record.llen(run.key('overlaps'))).toBe(0);
  return items;
}

describe('lanes across worker processes', () => {
  it('200 lanes × 50 items on 4 processes: every lane in enqueue order, each item exactly once', async () => {
    const run = await startRun(4, { concurrency: 6 });
    const lanes = new Map(Array.from({ length: 200 }, (_, i) => [`c${i}`, 50] as const));
    // Each webhook-like transaction carries five items of one contact, committed while the workers run.
    await eachLimit([...lanes.keys()], 10, async (contactKey) => {
      for (let from = 0; from < 50; from += 5) {
        await raw.$transaction(async (tx) => {
          for (let n = from; n < from + 5; n++) {
            await enqueue(tx, {
              ...run.fx,
              direction: 'INBOUND',
              contactKey,
              kind: 'record',
              payload: { lane: contactKey, n, maxDelayMs: 4 },
            });
          }
        });
        await wake(record, { instanceId: run.fx.instanceId });
      }
    });
    await waitFor('10,000 items to succeed', async () => (await succeeded(run)) === 10_000, 150_000);

    const items = await expectExactlyOnceInOrder(run, lanes);
    for (const contactKey of lanes.keys()) expect(await record.lrange(run.key(`runs:${contactKey}`), 0, -1)).toEqual(range(50));
    expect(items.every((i) => i.attempts === 1 && i.attemptsLog.length === 1)).toBe(true);
    const byWorker = new Set(items.map((i) => (i.result as { worker: string }).worker));
    expect([...byWorker].sort()).toEqual([...run.workers.keys()].sort());
  }, 240_000);

  it('a worker killed with SIGKILL mid-item: the lease expires, another worker reconciles it, nothing lost or doubled', async () => {
    const run = await startRun(2, { leaseMs: 1500, pollMs: 100 });
    const lanes = new Map([
      ['k0', 5],
      ['k1', 5],
      ['k2', 5],
    ]);
    await enqueueLane(run, 'k0', [0, 1, 2, 3, 4], record, (n) => (n === 1 ? { hang: true } : {}));
    await enqueueLane(run, 'k1', [0, 1, 2, 3, 4], record);
    await enqueueLane(run, 'k2', [0, 1, 2, 3, 4], record);
    const hung = await raw.laneItem.findFirstOrThrow({
      where: { tenantId: run.fx.tenantId, lane: { contactKey: 'k0' } },
      orderBy: { seq: 'asc' },
      skip: 1,
    });
    const victim = await waitFor('the hanging item to start', async () => record.lindex(run.key(`started:${hung.id}`), 0));
    run.workers.get(victim)?.kill('SIGKILL');

    await waitFor('every item', async () => (await succeeded(run)) === 15, 60_000);
    await expectExactlyOnceInOrder(run, lanes);
    const item = await raw.laneItem.findUniqueOrThrow({
      where: { id: hung.id },
      include: { attemptsLog: { orderBy: { attempt: 'asc' } } },
    });
    const survivor = [...run.workers.keys()].find((w) => w !== victim);
    expect(item.result).toEqual({ worker: survivor, n: 1, unknown: true });
    expect(item.attemptsLog.map((a) => [a.workerId, a.outcome])).toEqual([
      [victim, 'LEASE_LOST'],
      [survivor, 'SUCCEEDED'],
    ]);
    expect(item.attemptsLog[1]?.fencingToken).toBeGreaterThan(item.attemptsLog[0]?.fencingToken ?? 0n);
    // The killed run started (and never finished); the survivor's run completed once.
    expect(await record.lrange(run.key('runs:k0'), 0, -1)).toEqual(['0', '1', '2', '3', '4']);
    expect(await record.lrange(run.key(`finished:${hung.id}`), 0, -1)).toEqual([survivor]);
  }, 120_000);

  it('a frozen worker that wakes after losing its lease: its completion is rejected by the fencing token', async () => {
    const run = await startRun(2, { leaseMs: 1000, pollMs: 100 });
    await enqueueLane(run, 'f', [0, 1, 2], record, (n) => (n === 1 ? { stallMs: 2500 } : {}));
    const stalled = await raw.laneItem.findFirstOrThrow({ where: { tenantId: run.fx.tenantId }, orderBy: { seq: 'asc' }, skip: 1 });
    const frozen = await waitFor('the stalling item to start', async () => record.lindex(run.key(`started:${stalled.id}`), 0));
    const proc = run.workers.get(frozen);
    proc?.kill('SIGSTOP');

    await waitFor('the lane to finish without it', async () => (await succeeded(run)) === 3, 60_000);
    proc?.kill('SIGCONT');
    // The frozen handler runs to its end and tries to complete.
    await waitFor('the stale completion', async () => (await record.llen(run.key(`finished:${stalled.id}`))) === 2, 30_000);
    await sleep(500);

    const other = [...run.workers.keys()].find((w) => w !== frozen);
    expect(await record.lrange(run.key(`finished:${stalled.id}`), 0, -1)).toEqual([other, frozen]);
    const item = await raw.laneItem.findUniqueOrThrow({
      where: { id: stalled.id },
      include: { attemptsLog: { orderBy: { attempt: 'asc' } } },
    });
    expect(item).toMatchObject({ status: 'SUCCEEDED', attempts: 2, result: { worker: other, n: 1, unknown: true } });
    expect(item.attemptsLog.map((a) => [a.workerId, a.outcome])).toEqual([
      [frozen, 'LEASE_LOST'],
      [other, 'SUCCEEDED'],
    ]);
    const { byLane } = await laneHistory(db, run.fx.tenantId);
    expect(assertSerialInOrder(byLane.get('f') ?? [])).toBeNull();
    expect(await record.lrange(run.key('done:f'), 0, -1)).toEqual(['0', '1', '2']);
  }, 120_000);

  it('Redis stopped during a run: processing continues through polling and catches up, nothing lost', async () => {
    const port = await freePort();
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    children.add(server);
    const wakeUrl = `redis://127.0.0.1:${port}`;
    const waker = createRedis({ url: wakeUrl, keyPrefix: process.env.REDIS_KEY_PREFIX });
    waker.on('error', () => {});
    try {
      await waitFor('the private Redis', async () => (await waker.ping().catch(() => null)) === 'PONG');
      const run = await startRun(2, { concurrency: 4, pollMs: 300, wakeUrl });
      const lanes = new Map<string, number>();
      const before = Array.from({ length: 20 }, (_, i) => `r${i}`);
      await eachLimit(before, 5, async (k) => {
        const woke = await enqueueLane(run, k, [0, 1, 2, 3, 4], waker, () => ({ maxDelayMs: 20 }));
        expect(woke.every(Boolean)).toBe(true);
        lanes.set(k, 5);
      });
      await waitFor('work under way', async () => (await succeeded(run)) >= 20);

      server.kill('SIGKILL');
      await waitFor('Redis to be gone', async () => (await waker.ping().catch(() => null)) === null);
      const woke: boolean[] = [];
      // More work on the lanes already running and on new ones, while Redis is down.
      await eachLimit(before, 5, async (k) => {
        woke.push(...(await enqueueLane(run, k, [5, 6, 7], waker)));
        lanes.set(k, 8);
      });
      const after = Array.from({ length: 20 }, (_, i) => `s${i}`);
      await eachLimit(after, 5, async (k) => {
        woke.push(...(await enqueueLane(run, k, [0, 1, 2, 3, 4], waker)));
        lanes.set(k, 5);
      });
      expect(woke.some(Boolean)).toBe(false);
      await waitFor('every item through polling', async () => (await succeeded(run)) === 260, 90_000);
      await expectExactlyOnceInOrder(run, lanes);
    } finally {
      waker.disconnect();
    }
  }, 180_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
