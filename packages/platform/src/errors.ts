// Typed application errors with stable codes. HTTP adapters map `status`; nothing here knows HTTP
// beyond that number.
export type ErrorCode =
  | 'VALIDATION'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UPSTREAM_ERROR'
  | 'UPSTREAM_TIMEOUT'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | (string & {});

const STATUS: Record<string, number> = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UPSTREAM_ERROR: 502,
  UPSTREAM_TIMEOUT: 504,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

export interface AppErrorOptions {
  status?: number;
  details?: unknown;
  cause?: unknown;
  /** Whether trying the same thing again later may succeed. */
  retryable?: boolean;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? STATUS[code] ?? 500;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);
export const validation = (message: string, details?: unknown) => new AppError('VALIDATION', message, { details });
export const unauthenticated = (message = 'authentication required') => new AppError('UNAUTHENTICATED', message);
export const forbidden = (message = 'not allowed') => new AppError('FORBIDDEN', message);
export const conflict = (message: string, details?: unknown) => new AppError('CONFLICT', message, { details });

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
