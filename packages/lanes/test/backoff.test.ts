import { AppError } from '@whatpro/platform';
import { describe, expect, it } from 'vitest';
import { backoffDelay, classifyError, LaneDeferral, LeaseLostError } from '../src/index.ts';

describe('backoffDelay', () => {
  const bounds = { baseMs: 1000, maxMs: 60_000 };

  it('doubles the ceiling per attempt and waits between half of it and all of it', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, bounds, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, bounds, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, bounds, () => 0.5))).toEqual([750, 1500, 3000, 6000]);
  });

  it('caps at maxMs, also for absurd attempt numbers', () => {
    expect(backoffDelay(7, bounds, () => 1)).toBe(60_000);
    expect(backoffDelay(7, bounds, () => 0)).toBe(30_000);
    expect(backoffDelay(10_000, bounds, () => 1)).toBe(60_000);
    expect(backoffDelay(3, { baseMs: 1000, maxMs: 500 }, () => 1)).toBe(500);
  });

  it('treats attempt numbers below one as the first, and clamps a bad random source', () => {
    expect(backoffDelay(0, bounds, () => 1)).toBe(1000);
    expect(backoffDelay(-3, bounds, () => 1)).toBe(1000);
    expect(backoffDelay(2, bounds, () => 7)).toBe(2000);
    expect(backoffDelay(2, bounds, () => -1)).toBe(1000);
  });

  it('spreads with Math.random by default and never shrinks a range below the previous one', () => {
    for (let attempt = 1; attempt < 8; attempt++) {
      const d = backoffDelay(attempt, bounds);
      const ceiling = Math.min(60_000, 1000 * 2 ** (attempt - 1));
      expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      expect(d).toBeLessThanOrEqual(ceiling);
    }
  });
});

describe('classifyError', () => {
  it('retries errors that do not say otherwise, with their code or name', () => {
    expect(classifyError(new Error('socket hang up'))).toEqual({
      kind: 'retry',
      code: 'HANDLER_ERROR',
      message: 'socket hang up',
      retryAfterMs: undefined,
    });
    expect(classifyError(new TypeError('x is undefined'))).toMatchObject({ kind: 'retry', code: 'TypeError' });
    expect(classifyError(Object.assign(new Error('busy'), { code: 'ECONNRESET', retryAfterMs: 1500 }))).toEqual({
      kind: 'retry',
      code: 'ECONNRESET',
      message: 'busy',
      retryAfterMs: 1500,
    });
    expect(classifyError(new AppError('UPSTREAM_TIMEOUT', 'slow', { retryable: true }))).toMatchObject({
      kind: 'retry',
      code: 'UPSTREAM_TIMEOUT',
    });
    expect(classifyError(new LeaseLostError())).toMatchObject({ kind: 'retry', code: 'LEASE_LOST' });
  });

  it('makes retryable === false final, and a LaneDeferral a wait', () => {
    expect(classifyError(new AppError('VALIDATION', 'bad number'))).toMatchObject({
      kind: 'dead',
      code: 'VALIDATION',
      message: 'bad number',
    });
    expect(classifyError(new LaneDeferral('instance closed', { code: 'INSTANCE_CLOSED', retryAfterMs: 5000 }))).toEqual({
      kind: 'defer',
      code: 'INSTANCE_CLOSED',
      message: 'instance closed',
      retryAfterMs: 5000,
    });
    const bare = new LaneDeferral('wait', { cause: new Error('root') });
    expect(classifyError(bare)).toMatchObject({ kind: 'defer', code: 'DEFERRED', retryAfterMs: undefined });
    expect(bare.cause).toBeInstanceOf(Error);
  });

  it('copes with thrown non-errors, ignores nonsense retry delays and bounds long messages', () => {
    expect(classifyError('plain string')).toMatchObject({ kind: 'retry', code: 'HANDLER_ERROR', message: 'plain string' });
    expect(classifyError(42)).toMatchObject({ kind: 'retry', message: '42' });
    expect(classifyError(null)).toMatchObject({ kind: 'retry', message: 'null' });
    expect(classifyError(Object.assign(new Error('x'), { retryAfterMs: -5 })).retryAfterMs).toBeUndefined();
    expect(classifyError(Object.assign(new Error('x'), { retryAfterMs: Number.NaN })).retryAfterMs).toBeUndefined();
    const long = classifyError(new Error('e'.repeat(5000))).message;
    expect(long).toHaveLength(2000);
    expect(long.endsWith('…')).toBe(true);
  });
});
