// Throwaway databases (tests, the demo, benchmarks) are dropped and rebuilt from the migrations with
// the same command users run, so none of them ever starts from a schema the migrations do not make.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export async function dropDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: target.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** `npm run db:migrate` against `url` (which creates the database when it is missing). */
export function migrateDatabase(url: string, env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync('npm', ['run', '-s', 'db:migrate'], { cwd: repoRoot, env: { ...env, DATABASE_URL: url }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`migrations failed:\n${result.stdout}\n${result.stderr}`);
}

export async function recreateDatabase(url: string, env?: NodeJS.ProcessEnv): Promise<void> {
  await dropDatabase(url);
  migrateDatabase(url, env);
}
