// One benchmark worker process: a lane worker whose handler does no outside work, so the numbers
// measure the engine (claim, bookkeeping, wake-ups), not a provider.
import { createDb } from '@whatpro/db';
import { createLaneWorker } from '@whatpro/lanes';
import { createRedis } from '@whatpro/platform';

const env = process.env;
const concurrency = Number(env.BENCH_CONCURRENCY ?? 16);
const db = createDb({ url: env.DATABASE_URL as string, max: concurrency + 4 });
const redis = createRedis({ url: env.REDIS_URL as string, keyPrefix: env.REDIS_KEY_PREFIX });
redis.on('error', () => {});

const worker = createLaneWorker({
  db,
  redis,
  workerId: env.BENCH_WORKER_ID,
  concurrency,
  leaseMs: 30_000,
  pollMs: Number(env.BENCH_POLL_MS ?? 1000),
  handlers: { bench: async () => null },
});

process.on('SIGTERM', () => {
  worker.stop({ graceMs: 5000 }).finally(async () => {
    redis.disconnect();
    await db.$disconnect();
    process.exit(0);
  });
});

await worker.start();
process.send?.('ready');
