import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { testEnv } from './env.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// A fresh database per run, migrated with the same command users run, so every run starts from the
// migrations and not from whatever an earlier run left behind.
export default async function setup(): Promise<void> {
  const url = new URL(testEnv.DATABASE_URL as string);
  const name = url.pathname.slice(1);
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await admin.end();

  const migrate = spawnSync('npm', ['run', '-s', 'db:migrate'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: testEnv.DATABASE_URL },
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);

  const redis = new Redis(testEnv.REDIS_URL as string, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.flushdb();
  redis.disconnect();
}
