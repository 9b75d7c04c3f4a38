import { AppError } from '@whatpro/platform';

export type ChatwootErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'unprocessable'
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'invalid_response';

// Whether the same call may succeed later unchanged. A 422 ("has already been taken", "Too many
// messages") or a 401 will not fix itself by retrying, so the lane must act instead of looping.
const RETRYABLE: Record<ChatwootErrorKind, boolean> = {
  bad_request: false,
  unauthorized: false,
  forbidden: false,
  not_found: false,
  unprocessable: false,
  rate_limited: true,
  server: true,
  timeout: true,
  network: true,
  invalid_response: true,
};

export function chatwootKindForStatus(status: number): ChatwootErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 422) return 'unprocessable';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server';
  return 'bad_request';
}

export interface ChatwootErrorOptions {
  operation: string;
  httpStatus?: number;
  chatwootMessage?: string;
  /** Model attributes Chatwoot named in a 422 (`["phone_number"]`). */
  attributes?: string[];
  retryAfterMs?: number;
}

/**
 * A failed Chatwoot call. The message names the operation (never the URL, so no inbox identifier or
 * token can leak) and carries Chatwoot's own words when it gave any.
 */
export class ChatwootError extends AppError {
  readonly kind: ChatwootErrorKind;
  readonly operation: string;
  readonly httpStatus: number | undefined;
  readonly chatwootMessage: string | undefined;
  readonly attributes: string[];
  readonly retryAfterMs: number | undefined;

  constructor(kind: ChatwootErrorKind, message: string, options: ChatwootErrorOptions) {
    super(`CHATWOOT_${kind.toUpperCase()}`, message, { status: kind === 'timeout' ? 504 : 502, retryable: RETRYABLE[kind] });
    this.name = 'ChatwootError';
    this.kind = kind;
    this.operation = options.operation;
    this.httpStatus = options.httpStatus;
    this.chatwootMessage = options.chatwootMessage;
    this.attributes = options.attributes ?? [];
    this.retryAfterMs = options.retryAfterMs;
  }

  /** A 422 caused by a uniqueness clash on one of `fields` (a contact created concurrently). */
  isTaken(...fields: string[]): boolean {
    if (this.kind !== 'unprocessable' || !/already been taken/i.test(this.chatwootMessage ?? '')) return false;
    return fields.length === 0 || fields.some((f) => this.attributes.includes(f));
  }
}

export function isChatwootError(error: unknown): error is ChatwootError {
  return error instanceof ChatwootError;
}
