// Lanes benchmark: 1,000 lanes × 10 items, 2 worker processes, real Postgres and Redis.
//   phase "drain":  10,000 items enqueued with the instance paused, then resumed → the workers'
//                   throughput on a backlog (and, separately, the enqueue rate)
//   phase "paced":  another 1,000 lanes × 10 items at a steady rate, half the measured capacity unless
//                   BENCH_PACED_RATE says otherwise → enqueue-to-start latency p50/p95/p99
// Latency is from the enqueue's commit (measured here) to the attempt's start (written by the worker).
// Writes bench/results/lanes.json. See bench/README.md.
import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb, recreateDatabase } from '@whatpro/db';
import { enqueue, wake } from '@whatpro/lanes';
import { createRedis } from '@whatpro/platform';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const env = process.env;
const LANES = Number(env.BENCH_LANES ?? 1000);
const ITEMS = Number(env.BENCH_ITEMS ?? 10);
const WORKERS = Number(env.BENCH_WORKERS ?? 2);
const CONCURRENCY = Number(env.BENCH_CONCURRENCY ?? 16);
const PACED_RATE = env.BENCH_PACED_RATE ? Number(env.BENCH_PACED_RATE) : null; // items per second
const ENQUEUERS = Number(env.BENCH_ENQUEUERS ?? 16);
const DATABASE_URL = env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/whatpro_bench_lanes';
const REDIS_URL = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/3';
const REDIS_KEY_PREFIX = 'whatpro-bench:';

const db = createDb({ url: DATABASE_URL, max: ENQUEUERS + 4 });
const raw = db.$unguarded('bench');
const redis = createRedis({ url: REDIS_URL, keyPrefix: REDIS_KEY_PREFIX });

async function fixture() {
  const tenant = await raw.tenant.create({ data: { name: 'bench', slug: `bench-${Date.now()}` } });
  const server = await raw.providerServer.create({
    data: { tenantId: tenant.id, provider: 'UAZAPI', name: 'bench', baseUrl: 'http://127.0.0.1:9', adminTokenEnc: 'bench' },
  });
  const instance = await raw.instance.create({
    data: {
      tenantId: tenant.id,
      providerServerId: server.id,
      provider: 'UAZAPI',
      name: 'bench',
      externalName: 'bench',
      tokenEnc: 'bench',
      webhookSecretHash: `bench-${Date.now()}`,
      webhookSecretEnc: 'bench',
    },
  });
  return { tenantId: tenant.id, instanceId: instance.id };
}

function startWorkers(): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from(
      { length: WORKERS },
      (_, i) =>
        new Promise<ChildProcess>((resolve, reject) => {
          const child = fork(path.join(here, 'worker.ts'), [], {
            cwd: root,
            execArgv: ['--import', 'tsx', ...(env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${env.BENCH_CPU_PROF}`] : [])],
            env: {
              ...env,
              DATABASE_URL,
              REDIS_URL,
              REDIS_KEY_PREFIX,
              BENCH_WORKER_ID: `bench-${i}`,
              BENCH_CONCURRENCY: String(CONCURRENCY),
            },
            stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
          });
          child.once('message', () => resolve(child));
          child.once('exit', (code) => reject(new Error(`worker ${i} exited with ${code}`)));
        }),
    ),
  );
}

type Fx = Awaited<ReturnType<typeof fixture>>;

/**
 * Enqueues item 0 of every lane, then item 1 of every lane, and so on, like traffic spread over many
 * contacts; `ENQUEUERS` at a time, optionally paced. With more lanes than enqueuers, two items of one
 * lane are never in flight together, so each lane's enqueue order is well defined.
 */
async function enqueueAll(fx: Fx, phase: string, ratePerSecond: number | null): Promise<Map<string, number>> {
  if (LANES <= ENQUEUERS) throw new Error('BENCH_LANES must exceed BENCH_ENQUEUERS');
  const committed = new Map<string, number>();
  const total = LANES * ITEMS;
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: ENQUEUERS }, async () => {
      for (let i = next++; i < total; i = next++) {
        const lane = i % LANES;
        const n = Math.floor(i / LANES);
        if (ratePerSecond) {
          const wait = t0 + (i * 1000) / ratePerSecond - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const id = await db.$transaction((tx) =>
          enqueue(tx, { ...fx, direction: 'INBOUND', contactKey: `${phase}-${lane}`, kind: 'bench', payload: { n } }),
        );
        committed.set(id, Date.now());
        await wake(redis, { instanceId: fx.instanceId });
      }
    }),
  );
  return committed;
}

async function waitDone(fx: Fx, expected: number): Promise<void> {
  for (;;) {
    const done = await raw.laneItem.count({ where: { tenantId: fx.tenantId, status: 'SUCCEEDED' } });
    if (done >= expected) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

async function latencies(fx: Fx, committed: Map<string, number>) {
  const attempts = await raw.executionAttempt.findMany({
    where: { tenantId: fx.tenantId, laneItemId: { in: [...committed.keys()] }, attempt: 1 },
    select: { laneItemId: true, startedAt: true },
  });
  const sorted = attempts.map((a) => a.startedAt.getTime() - (committed.get(a.laneItemId) ?? 0)).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

const round = (x: number, digits = 0) => Number(x.toFixed(digits));

async function main() {
  await recreateDatabase(DATABASE_URL);
  const fx = await fixture();
  const workers = await startWorkers();
  const total = LANES * ITEMS;
  try {
    const loadBefore = os.loadavg()[0] ?? 0;

    // Drain: build the backlog behind a paused instance, then let both workers at it.
    await raw.instance.update({ where: { id: fx.instanceId }, data: { lanesPaused: true } });
    let t = performance.now();
    await enqueueAll(fx, 'drain', null);
    const enqueueSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    await raw.instance.update({ where: { id: fx.instanceId }, data: { lanesPaused: false } });
    await wake(redis, { instanceId: fx.instanceId });
    await waitDone(fx, total);
    const drainSeconds = (performance.now() - t) / 1000;
    const throughput = total / drainSeconds;
    const enqueueRate = total / enqueueSeconds;

    // Paced: new lanes at a steady rate below capacity, so latency is the pickup time, not queueing.
    const rate = PACED_RATE ?? Math.max(5, Math.floor(Math.min(throughput, enqueueRate) / 2));
    t = performance.now();
    const committed = await enqueueAll(fx, 'paced', rate);
    const pacedSeconds = (performance.now() - t) / 1000;
    await waitDone(fx, 2 * total);
    const latency = await latencies(fx, committed);

    const result = {
      benchmark: 'lanes',
      date: new Date().toISOString(),
      setup: {
        lanes: LANES,
        itemsPerLane: ITEMS,
        workerProcesses: WORKERS,
        concurrencyPerWorker: CONCURRENCY,
        enqueuers: ENQUEUERS,
        handler: 'no-op',
        enqueue: 'one tenant-guarded interactive transaction per item, then a Redis wake-up',
        machine: { cpus: os.cpus().length, node: process.version, loadAverage1mAtStart: round(loadBefore, 2) },
      },
      drain: { items: total, seconds: round(drainSeconds, 2), itemsPerSecond: round(throughput) },
      enqueue: { items: total, seconds: round(enqueueSeconds, 2), itemsPerSecond: round(enqueueRate) },
      paced: {
        items: total,
        targetRatePerSecond: rate,
        achievedRatePerSecond: round(total / pacedSeconds),
        enqueueToStartMs: latency,
      },
      loadAverage1mAtEnd: round(os.loadavg()[0] ?? 0, 2),
    };
    writeFileSync(path.join(root, 'bench/results/lanes.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode === null ? w.once('exit', r) : r(null)))));
    redis.disconnect();
    await db.$disconnect();
  }
}

await main();
