import { describe, expect, it } from 'vitest';
import { EnvError, hubEnvSchema, loadEnv } from '../src/env.ts';
import { AppError, conflict, forbidden, isAppError, notFound, unauthenticated, validation } from '../src/errors.ts';

const valid = {
  DATABASE_URL: 'postgresql://u@h:5432/db',
  SECRET_KEYS: `1:${Buffer.alloc(32).toString('base64')}`,
  JWT_KEYS: `1:${Buffer.alloc(32).toString('base64')}`,
  HUB_PUBLIC_URL: 'http://hub.example',
};

describe('loadEnv', () => {
  it('applies defaults and coerces numbers', () => {
    const env = loadEnv(hubEnvSchema, { ...valid, HUB_PORT: '4100' });
    expect(env.HUB_PORT).toBe(4100);
    expect(env.HUB_ROLE).toBe('all');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('lists every missing or invalid variable at once', () => {
    try {
      loadEnv(hubEnvSchema, { DATABASE_URL: 'mysql://x', HUB_ROLE: 'boss', SECRET_KEYS: '' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EnvError);
      const problems = (error as EnvError).problems.join('\n');
      expect(problems).toContain('DATABASE_URL');
      expect(problems).toContain('HUB_ROLE');
      expect(problems).toContain('SECRET_KEYS is required');
      expect(problems).toContain('JWT_KEYS is required');
      expect(problems).toContain('HUB_PUBLIC_URL is required');
      expect((error as Error).message).toContain('.env.example');
    }
  });
});

describe('AppError', () => {
  it('maps codes to statuses and keeps retryability', () => {
    expect(notFound('instance').status).toBe(404);
    expect(notFound('instance').message).toBe('instance not found');
    expect(validation('bad', { f: 1 }).details).toEqual({ f: 1 });
    expect(unauthenticated().status).toBe(401);
    expect(forbidden().status).toBe(403);
    expect(conflict('dup').status).toBe(409);
    const e = new AppError('UPSTREAM_TIMEOUT', 'slow', { retryable: true });
    expect(e.status).toBe(504);
    expect(e.retryable).toBe(true);
    expect(isAppError(e)).toBe(true);
    expect(isAppError(new Error('x'))).toBe(false);
    expect(new AppError('CUSTOM', 'x').status).toBe(500);
  });
});
