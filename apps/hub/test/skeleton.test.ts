import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { closeDeps, type HubDeps } from '../src/deps.ts';
import { testDeps } from './helpers.ts';

const hubDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('hub skeleton', () => {
  let deps: HubDeps;
  let app: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    deps = testDeps();
    app = await buildApp(deps);
  });
  afterAll(async () => {
    await app.close();
    await closeDeps(deps);
  });

  it('answers /healthz and /readyz when Postgres and Redis are up', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'up', redis: 'up' } });
  });

  it('gives every response a request id, reusing a sane incoming one', async () => {
    const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers['x-request-id']).toBe('abc-123');
    const generated = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with the one error shape', async () => {
    const res = await app.inject('/nope?token=secret');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for GET /nope' } });
  });

  it('serves an OpenAPI 3.1 document', async () => {
    const res = await app.inject('/api/v1/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('WhatPro Hub API');
    expect(doc.components.securitySchemes.bearer.scheme).toBe('bearer');
  });
});

describe('readiness with Redis down', () => {
  it('answers 503 and names Redis', async () => {
    // Nothing listens on this port: from the Hub's point of view Redis is down.
    const deps = testDeps({ REDIS_URL: 'redis://127.0.0.1:6399' });
    const app = await buildApp(deps);
    try {
      const res = await app.inject('/readyz');
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body.status).toBe('unavailable');
      expect(body.down).toEqual(['redis']);
      expect(body.checks.postgres).toBe('up');
      expect(body.checks.redis).toMatch(/^down: /);
    } finally {
      await app.close();
      await closeDeps(deps);
    }
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight request finish and does not wait for its keep-alive connection', async () => {
    // With Redis unreachable, /readyz takes about a second: a real request in flight during close.
    const deps = testDeps({ REDIS_URL: 'redis://127.0.0.1:6399' });
    const app = await buildApp(deps);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    try {
      const pending = fetch(`http://127.0.0.1:${port}/readyz`);
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      const closed = app.close();
      const res = await pending;
      expect(res.status).toBe(503);
      expect(res.headers.get('connection')).toBe('close');
      await closed;
      // Without `Connection: close` the server would wait out the 72 s keep-alive timeout.
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await closeDeps(deps);
    }
  });
});

describe('start-up configuration', () => {
  it('names every missing variable and exits non-zero', () => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: process.env.DATABASE_URL ?? '' };
    const result = spawnSync('node', ['--import', 'tsx', 'src/main.ts'], { cwd: hubDir, env, encoding: 'utf8', timeout: 60_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('invalid environment');
    expect(result.stderr).toContain('SECRET_KEYS is required');
    expect(result.stderr).toContain('JWT_KEYS is required');
    expect(result.stderr).toContain('HUB_PUBLIC_URL is required');
    expect(result.stderr).not.toContain('DATABASE_URL');
  });
});
