// The auth routes handle passwords and tokens in bodies and headers; none of them, nor any stored hash,
// may reach a log line, even at trace level with request logging on.
import { hubEnvSchema, loadEnv, sha256 } from '@whatpro/platform';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { closeDeps, createDeps } from '../src/deps.ts';
import { bearer, capturingLogger, makeTenant, makeUser, PASSWORD } from './auth-fixtures.ts';

const post = (app: FastifyInstance, url: string, payload: object, token?: string) =>
  app.inject({ method: 'POST', url, payload, remoteAddress: '192.0.2.77', ...(token ? { headers: bearer(token) } : {}) });

describe('log redaction on the auth routes', () => {
  it('logs requests and auth events without passwords, tokens or hashes', async () => {
    const { logger, lines } = capturingLogger('trace');
    // Request logging is off under NODE_ENV=test; this suite wants every request logged.
    const env = loadEnv(hubEnvSchema, { ...process.env, NODE_ENV: 'development', LOGIN_RATE_LIMIT: '2', REFRESH_REUSE_GRACE_SECONDS: '0' });
    const deps = createDeps(env, logger);
    const app = await buildApp(deps);
    try {
      const tenant = await makeTenant(deps.db);
      const user = await makeUser(deps.db, { tenantId: tenant.id });
      const newPassword = 'the next passphrase';
      const secrets: string[] = [PASSWORD, 'a wrong password', newPassword];
      const keep = (pair: { accessToken: string; refreshToken: string }) => {
        secrets.push(pair.accessToken, pair.refreshToken, sha256(pair.refreshToken));
        return pair;
      };

      const first = keep((await post(app, '/api/v1/auth/login', { email: user.email, password: PASSWORD })).json());
      const refreshed = keep((await post(app, '/api/v1/auth/refresh', { refreshToken: first.refreshToken })).json());
      expect((await app.inject({ url: '/api/v1/me', headers: bearer(refreshed.accessToken) })).statusCode).toBe(200);
      await new Promise((r) => setTimeout(r, 10));
      // Reuse of the spent token ends the family (logged as a warning) and its access tokens (debug).
      expect((await post(app, '/api/v1/auth/refresh', { refreshToken: first.refreshToken })).statusCode).toBe(401);
      expect((await app.inject({ url: '/api/v1/me', headers: bearer(refreshed.accessToken) })).statusCode).toBe(401);
      expect((await app.inject({ url: '/api/v1/me', headers: bearer(`${refreshed.accessToken}x`) })).statusCode).toBe(401);

      const second = keep((await post(app, '/api/v1/auth/login', { email: user.email, password: PASSWORD })).json());
      const changed = await post(app, '/api/v1/auth/password', { currentPassword: PASSWORD, newPassword }, second.accessToken);
      expect(changed.statusCode).toBe(200);
      keep(changed.json());
      for (let i = 0; i < 3; i++) await post(app, '/api/v1/auth/login', { email: user.email, password: 'a wrong password' });
      expect((await post(app, '/api/v1/auth/logout', { refreshToken: changed.json().refreshToken })).statusCode).toBe(204);

      const stored = await deps.db.user.findUnique({ where: { id: user.id }, select: { passwordHash: true } });
      secrets.push(stored!.passwordHash);
      const log = lines.join('');
      // Non-vacuous: the requests and the auth events were logged.
      expect(lines.filter((l) => l.includes('"msg":"incoming request"')).length).toBeGreaterThanOrEqual(10);
      expect(lines.filter((l) => l.includes('"msg":"request completed"')).length).toBeGreaterThanOrEqual(10);
      expect(log).toContain('refresh token reuse: family revoked');
      expect(log).toContain('"reason":"login ended"');
      expect(log).toContain('"reason":"ERR_JWS_SIGNATURE_VERIFICATION_FAILED"');
      for (const secret of secrets) expect(log.includes(secret), 'a secret reached the log').toBe(false);
      expect(log).not.toMatch(/\$argon2id\$/);
    } finally {
      await app.close();
      await closeDeps(deps);
    }
  });
});
