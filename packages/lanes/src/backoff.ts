export interface BackoffBounds {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before attempt `attempt + 1`, after `attempt` failures: exponential with "equal jitter", i.e.
 * uniformly in [ceiling/2, ceiling] where ceiling = min(maxMs, baseMs·2^(attempt-1)). Half of the wait
 * is fixed so consecutive gaps keep growing; the random half spreads the retries of many lanes that
 * failed together (a provider outage) so they do not hammer it in lockstep.
 */
export function backoffDelay(attempt: number, bounds: BackoffBounds, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const base = Math.max(0, bounds.baseMs);
  const ceiling = Math.min(Math.max(0, bounds.maxMs), base * 2 ** Math.min(n - 1, 40));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling / 2 + (r * ceiling) / 2);
}
