import { createRedis } from '@whatpro/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginRateLimiter } from '../src/rate-limit.ts';
import { capturingLogger, env, failure, makeTenant, makeUser, PASSWORD, type TestContext, testContext, uniq } from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('login rate limit', () => {
  let ctx: TestContext;
  beforeAll(() => {
    ctx = testContext({ LOGIN_RATE_LIMIT: 3, LOGIN_IP_RATE_LIMIT: 5, LOGIN_RATE_WINDOW_SECONDS: 2 });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('answers 429 with a retry delay after the configured failures for an account, and recovers after the window', async () => {
    const tenant = await makeTenant(ctx.db);
    const user = await makeUser(ctx.db, { tenantId: tenant.id });
    const ip = `192.0.2.${Math.floor(Math.random() * 200) + 1}`;
    for (let i = 0; i < 3; i++) {
      expect((await failure(ctx.auth.sessions.login({ email: user.email, password: 'wrong' }, { ip }))).status).toBe(401);
    }
    // Now even the right password is refused until the window ends, from any address.
    for (const from of [ip, '198.51.100.77']) {
      const limited = await failure(ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, { ip: from }));
      expect(limited.status).toBe(429);
      expect(limited.code).toBe('RATE_LIMITED');
      const retryAfter = (limited.details as { retryAfterSeconds: number }).retryAfterSeconds;
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(2);
    }
    await sleep(2200);
    const ok = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, { ip });
    expect(ok.user.id).toBe(user.id);
  });

  it('limits one address guessing across many accounts', async () => {
    const ip = '203.0.113.200';
    for (let i = 0; i < 5; i++) {
      expect((await failure(ctx.auth.sessions.login({ email: `ghost-${uniq()}@example.test`, password: 'x' }, { ip }))).status).toBe(401);
    }
    const limited = await failure(ctx.auth.sessions.login({ email: `ghost-${uniq()}@example.test`, password: 'x' }, { ip }));
    expect(limited.status).toBe(429);
  });

  it('a successful login clears the account counter', async () => {
    const tenant = await makeTenant(ctx.db);
    const user = await makeUser(ctx.db, { tenantId: tenant.id });
    const ip = '198.51.100.11';
    for (let i = 0; i < 2; i++) await failure(ctx.auth.sessions.login({ email: user.email, password: 'wrong' }, { ip }));
    await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, { ip: '198.51.100.12' });
    for (let i = 0; i < 2; i++) {
      expect((await failure(ctx.auth.sessions.login({ email: user.email, password: 'wrong' }, { ip: '198.51.100.13' }))).status).toBe(401);
    }
    expect((await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, { ip: '198.51.100.13' })).user.id).toBe(user.id);
  });

  it('keeps logins working, and says so in the log, while Redis is down', async () => {
    const { logger, lines } = capturingLogger('warn');
    const down = createRedis({ url: 'redis://127.0.0.1:6399', keyPrefix: env.REDIS_KEY_PREFIX });
    down.on('error', () => {});
    const limiter = new LoginRateLimiter(down, { limit: 1, ipLimit: 1, windowSeconds: 60 }, logger);
    try {
      await limiter.recordFailure('192.0.2.1', 'a@example.test');
      await limiter.recordFailure('192.0.2.1', 'a@example.test');
      await expect(limiter.check('192.0.2.1', 'a@example.test')).resolves.toBeUndefined();
      await limiter.recordSuccess('a@example.test');
      expect(lines.filter((l) => l.includes('login rate limit unavailable'))).toHaveLength(4);
    } finally {
      down.disconnect();
    }
  });
});
