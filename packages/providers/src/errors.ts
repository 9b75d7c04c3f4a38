import type { ProviderErrorKind, ProviderKind } from '@whatpro/domain';
import { AppError } from '@whatpro/platform';

const RETRYABLE: Record<ProviderErrorKind, boolean> = {
  bad_request: false,
  unauthorized: false,
  forbidden: false,
  not_found: false,
  method_not_allowed: false,
  conflict: false,
  payload_too_large: false,
  rate_limited: true,
  server: true,
  timeout: true,
  network: true,
  unsupported: false,
  invalid_response: true,
};

const KIND_BY_STATUS: Record<number, ProviderErrorKind> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  422: 'bad_request',
  429: 'rate_limited',
};

export function kindForStatus(status: number): ProviderErrorKind {
  return KIND_BY_STATUS[status] ?? (status >= 500 ? 'server' : 'bad_request');
}

/** A provider call that failed, in provider-neutral terms, with the provider's own message kept. */
export class ProviderError extends AppError {
  readonly provider: ProviderKind;
  readonly kind: ProviderErrorKind;
  /** HTTP status the provider answered, when it answered. */
  readonly httpStatus: number | undefined;
  readonly providerMessage: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    provider: ProviderKind,
    kind: ProviderErrorKind,
    message: string,
    options: { httpStatus?: number; providerMessage?: string; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(`PROVIDER_${kind.toUpperCase()}`, message, { status: 502, retryable: RETRYABLE[kind], cause: options.cause });
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
    this.httpStatus = options.httpStatus;
    this.providerMessage = options.providerMessage;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export const unsupported = (provider: ProviderKind, what: string) =>
  new ProviderError(provider, 'unsupported', `${provider} does not support ${what}`);
