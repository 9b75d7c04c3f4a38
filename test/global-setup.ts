import { Redis } from 'ioredis';
import { recreateDatabase } from '../packages/db/src/maintenance.ts';
import { testEnv } from './env.ts';

// A fresh database per run, migrated with the same command users run, so every run starts from the
// migrations and not from whatever an earlier run left behind.
export default async function setup(): Promise<void> {
  await recreateDatabase(testEnv.DATABASE_URL as string);
  const redis = new Redis(testEnv.REDIS_URL as string, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.flushdb();
  redis.disconnect();
}
