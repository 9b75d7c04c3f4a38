// Access and refresh tokens as the API sees them: every malformed or foreign access token is a 401, and
// refresh-token reuse ends the login.
import { AccessTokens } from '@whatpro/auth';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { closeDeps, type HubDeps } from '../src/deps.ts';
import { bearer, errorCode, login, makeTenant, makeUser, PASSWORD } from './auth-fixtures.ts';
import { testDeps } from './helpers.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('access tokens at the API', () => {
  let deps: HubDeps;
  let app: FastifyInstance;
  beforeAll(async () => {
    // No grace window: a spent refresh token presented again is reuse at once.
    deps = testDeps({ REFRESH_REUSE_GRACE_SECONDS: '0' });
    app = await buildApp(deps);
  });
  afterAll(async () => {
    await app.close();
    await closeDeps(deps);
  });

  it('answers 401 for every forged, foreign or stale access token', async () => {
    const tenant = await makeTenant(deps.db);
    const user = await makeUser(deps.db, { tenantId: tenant.id });
    const session = await login(app, user.email, PASSWORD);
    const [header, payload, signature] = session.accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const key = new Uint8Array(Buffer.from(deps.env.JWT_KEYS.split(':')[1] as string, 'base64'));
    const env = deps.env;
    const sign = (alg: string, head: Record<string, string>, body: Record<string, unknown>) =>
      new SignJWT(body).setProtectedHeader({ alg, ...head }).sign(key);

    const forged: Record<string, string> = {
      tamperedSignature: `${header}.${payload}.${signature.slice(0, -4)}AAAA`,
      tamperedPayload: `${header}.${b64({ ...claims, tid: '0190f1f0-0000-7000-8000-000000000000' })}.${signature}`,
      algNone: `${b64({ alg: 'none', typ: 'at+jwt', kid: '1' })}.${payload}.`,
      wrongAlgorithm: await sign('HS384', { typ: 'at+jwt', kid: '1' }, claims),
      wrongAudience: await sign('HS256', { typ: 'at+jwt', kid: '1' }, { ...claims, aud: 'other-app' }),
      wrongIssuer: await sign('HS256', { typ: 'at+jwt', kid: '1' }, { ...claims, iss: 'other-hub' }),
      expired: await sign('HS256', { typ: 'at+jwt', kid: '1' }, { ...claims, iat: claims.iat - 7200, exp: claims.iat - 3600 }),
      unknownKid: await sign('HS256', { typ: 'at+jwt', kid: '2' }, claims),
      foreignKey: (
        await new AccessTokens({
          keys: `1:${Buffer.alloc(32, 7).toString('base64')}`,
          issuer: env.JWT_ISSUER,
          audience: env.JWT_AUDIENCE,
          ttlSeconds: 60,
        }).sign({ userId: user.id, tenantId: tenant.id, familyId: claims.sid })
      ).token,
      unknownUser: await sign('HS256', { typ: 'at+jwt', kid: '1' }, { ...claims, sub: '0190f1f0-0000-7000-8000-000000000000' }),
      unknownFamily: await sign('HS256', { typ: 'at+jwt', kid: '1' }, { ...claims, sid: '0190f1f0-0000-7000-8000-000000000000' }),
    };
    // The genuine token works, so each rejection below is about what was changed.
    expect((await app.inject({ url: '/api/v1/me', headers: bearer(session.accessToken) })).statusCode).toBe(200);
    for (const [name, token] of Object.entries(forged)) {
      const res = await app.inject({ url: '/api/v1/me', headers: bearer(token) });
      expect(res.statusCode, name).toBe(401);
      expect(errorCode(res), name).toBe('UNAUTHENTICATED');
      expect(res.json().error.message, name).toBe('access token is invalid or expired');
    }
  });

  it('presenting a spent refresh token revokes the family and is audited', async () => {
    const tenant = await makeTenant(deps.db);
    const user = await makeUser(deps.db, { tenantId: tenant.id });
    const session = await login(app, user.email, PASSWORD);
    const next = (
      await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: session.refreshToken } })
    ).json();
    await new Promise((r) => setTimeout(r, 10));
    const reuse = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: session.refreshToken },
      remoteAddress: '203.0.113.66',
    });
    expect(reuse.statusCode).toBe(401);
    expect(errorCode(reuse)).toBe('REFRESH_TOKEN_REUSED');
    expect(
      (await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: next.refreshToken } })).statusCode,
    ).toBe(401);
    expect((await app.inject({ url: '/api/v1/me', headers: bearer(next.accessToken) })).statusCode).toBe(401);
    const audit = await deps.db.auditLog.findMany({ where: { tenantId: tenant.id, action: 'auth.refresh.reuse_detected' } });
    expect(audit.map((a) => [a.actorUserId, a.ip])).toEqual([[user.id, '203.0.113.66']]);
  });
});

describe('concurrent refresh at the API', () => {
  it('two tabs refreshing with the same token at the same moment both get the same new pair', async () => {
    const deps = testDeps();
    const app = await buildApp(deps);
    try {
      const tenant = await makeTenant(deps.db);
      const user = await makeUser(deps.db, { tenantId: tenant.id });
      const session = await login(app, user.email, PASSWORD);
      const refresh = () => app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: session.refreshToken } });
      const results = await Promise.all([refresh(), refresh(), refresh()]);
      expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      const tokens = new Set(results.map((r) => r.json().refreshToken));
      expect(tokens.size).toBe(1);
      for (const r of results)
        expect((await app.inject({ url: '/api/v1/me', headers: bearer(r.json().accessToken) })).statusCode).toBe(200);
      const rows = await deps.db.refreshToken.findMany({ where: { userId: user.id } });
      expect(rows).toHaveLength(2);
      expect(rows.filter((r) => r.revokedAt)).toHaveLength(0);
    } finally {
      await app.close();
      await closeDeps(deps);
    }
  });
});
