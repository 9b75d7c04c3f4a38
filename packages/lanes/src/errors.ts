/**
 * Thrown by a handler that cannot do its work yet for a reason that is not the item's fault (the
 * instance is disconnected, the provider rate-limited us): the head waits and keeps its place, and the
 * wait does not count as an attempt, so a long outage never exhausts an item's retries.
 */
export class LaneDeferral extends Error {
  readonly code: string;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { code?: string; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LaneDeferral';
    this.code = options.code ?? 'DEFERRED';
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The worker no longer holds the lane: another worker owns it now, so this run's outcome is void. */
export class LeaseLostError extends Error {
  readonly code = 'LEASE_LOST';
  readonly retryable = true;
  constructor(message = 'lane lease lost') {
    super(message);
    this.name = 'LeaseLostError';
  }
}

export type FailureKind = 'defer' | 'retry' | 'dead';

export interface Failure {
  kind: FailureKind;
  code: string;
  message: string;
  retryAfterMs: number | undefined;
}

// Error messages land in the execution log and the operator panel; keep them bounded.
const MAX_MESSAGE = 2000;

/**
 * How a handler's error steers the item: a deferral waits uncounted, `retryable === false` is final,
 * anything else is retried. Errors without an explicit flag are treated as transient because a retry
 * costs little while a wrongly dead item costs a lost message.
 */
export function classifyError(error: unknown): Failure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const code =
    typeof e.code === 'string' && e.code !== '' ? e.code : typeof e.name === 'string' && e.name !== 'Error' ? e.name : 'HANDLER_ERROR';
  const raw = error instanceof Error ? error.message : typeof error === 'string' ? error : String(error);
  const message = raw.length > MAX_MESSAGE ? `${raw.slice(0, MAX_MESSAGE - 1)}…` : raw;
  const after = e.retryAfterMs;
  const retryAfterMs = typeof after === 'number' && Number.isFinite(after) && after >= 0 ? after : undefined;
  const kind: FailureKind = error instanceof LaneDeferral ? 'defer' : e.retryable === false ? 'dead' : 'retry';
  return { kind, code, message, retryAfterMs };
}
