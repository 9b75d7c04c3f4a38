import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

const dbDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = path.join(dbDir, 'prisma/schema.prisma');

function migrate(...args: string[]) {
  const result = spawnSync('node', ['--no-warnings', '--experimental-wasm-modules', '--import', 'tsx', 'scripts/migrate.ts', ...args], {
    cwd: dbDir,
    env: process.env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

async function tables(): Promise<string[]> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  const res = await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
  await client.end();
  return res.rows.map((r) => r.tablename);
}

describe('migrations', () => {
  it('created every table, and a second deploy changes nothing', async () => {
    const before = await tables();
    for (const t of [
      'tenants',
      'users',
      'memberships',
      'refresh_tokens',
      'provider_servers',
      'instances',
      'chatwoot_connections',
      'inbox_links',
      'contact_identities',
      'message_mappings',
      'inbound_events',
      'lanes',
      'lane_items',
      'execution_attempts',
      'audit_logs',
      '_prisma_migrations',
    ]) {
      expect(before).toContain(t);
    }
    const again = migrate('deploy');
    expect(again.status).toBe(0);
    expect(again.out).toContain('database is up to date');
    expect(await tables()).toEqual(before);
  });

  it('produce exactly schema.prisma (no drift)', () => {
    const result = migrate('diff');
    expect(result.out).toContain('no drift');
    expect(result.status).toBe(0);
  });

  it('fails the drift check when schema.prisma changes without a migration', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'whatpro-drift-'));
    const drifted = path.join(dir, 'schema.prisma');
    const schema = readFileSync(schemaPath, 'utf8').replace('model Tenant {\n', 'model Tenant {\n  driftColumn String?\n');
    expect(schema).toContain('driftColumn');
    writeFileSync(drifted, schema.replace('output       = "../src/generated"', `output       = "${path.join(dbDir, 'src/generated')}"`));
    const result = migrate('diff', '--schema', drifted);
    expect(result.status).toBe(2);
    expect(result.out).toMatch(/ALTER TABLE "tenants" ADD COLUMN\s+"driftColumn" TEXT/);
  });
});
