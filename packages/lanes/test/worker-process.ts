// A lane worker in its own process, for the multi-process tests. It records what it runs in Redis
// (the shared test Redis, never the one a test may kill) and returns who ran the item, which the
// engine stores in LaneItem.result.
import { createDb } from '@whatpro/db';
import { createLogger, createRedis } from '@whatpro/platform';
import { createLaneWorker, type HandlerItem } from '../src/index.ts';

const env = process.env;
const required = (name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const workerId = required('LANES_WORKER_ID');
const runId = required('LANES_RUN_ID');
const keyPrefix = env.REDIS_KEY_PREFIX;
const concurrency = Number(env.LANES_CONCURRENCY ?? 6);
const db = createDb({ url: required('DATABASE_URL'), max: concurrency + 3 });
const record = createRedis({ url: required('LANES_RECORD_REDIS_URL'), keyPrefix }, { enableOfflineQueue: true });
const wakeRedis = env.LANES_WAKE_REDIS_URL ? createRedis({ url: env.LANES_WAKE_REDIS_URL, keyPrefix }) : null;
// A killed Redis must not kill the worker; the engine falls back to polling.
wakeRedis?.on('error', () => {});
const logger = createLogger({ level: env.LANES_LOG_LEVEL ?? 'silent', name: workerId });

const key = (k: string) => `lanes-mp:${runId}:${k}`;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Payload {
  lane: string;
  n: number;
  maxDelayMs?: number;
  /** First run never returns: the test kills this process. */
  hang?: boolean;
  /** First run takes this long and ignores the abort signal: the test freezes and thaws this process. */
  stallMs?: number;
}

async function handle(item: HandlerItem): Promise<unknown> {
  const p = item.payload as Payload;
  const injected = !item.previousOutcomeUnknown && (p.hang === true || p.stallMs !== undefined);
  if (injected) {
    await record.rpush(key(`started:${item.id}`), workerId);
    if (p.hang) await new Promise(() => {});
    await record.rpush(key(`runs:${p.lane}`), String(p.n));
    await sleep(p.stallMs ?? 0);
    await record.rpush(key(`finished:${item.id}`), workerId);
    return { worker: workerId, n: p.n, unknown: item.previousOutcomeUnknown };
  }
  if (item.previousOutcomeUnknown) {
    // The previous holder was killed (or fenced out) mid-run: its busy mark will never be cleared.
    await record.set(key(`busy:${p.lane}`), '0');
    // Reconcile, as a real handler would: if the killed run got as far as its side effect, do not
    // repeat it.
    if (await record.sismember(key('done-items'), item.id)) return { worker: workerId, n: p.n, unknown: true, reconciled: true };
  }
  // Two runs of one lane at once would show as a counter above one.
  if ((await record.incr(key(`busy:${p.lane}`))) !== 1) await record.rpush(key('overlaps'), `${p.lane}:${p.n}`);
  await record.rpush(key(`runs:${p.lane}`), String(p.n));
  await sleep(Math.random() * (p.maxDelayMs ?? 0));
  await record.decr(key(`busy:${p.lane}`));
  // The side effect and its marker together, so a kill can never leave one without the other.
  await record
    .multi()
    .rpush(key(`done:${p.lane}`), String(p.n))
    .sadd(key('done-items'), item.id)
    .exec();
  if (item.previousOutcomeUnknown) await record.rpush(key(`finished:${item.id}`), workerId);
  return { worker: workerId, n: p.n, unknown: item.previousOutcomeUnknown };
}

const worker = createLaneWorker({
  db,
  redis: wakeRedis,
  workerId,
  handlers: { record: handle },
  concurrency,
  leaseMs: Number(env.LANES_LEASE_MS ?? 10_000),
  pollMs: Number(env.LANES_POLL_MS ?? 250),
  logger,
  scope: env.LANES_TENANT_ID ? { tenantIds: [env.LANES_TENANT_ID] } : {},
});

process.on('SIGTERM', () => {
  worker
    .stop({ graceMs: 2000 })
    .catch(() => {})
    .finally(() => process.exit(0));
});

await worker.start();
await record.rpush(key('ready'), workerId);
