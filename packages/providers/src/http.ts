// The one HTTP client both adapters use: timeouts, JSON handling and the mapping of every failure to
// a ProviderError. Credentials travel only in headers and are never copied into errors.
import type { ProviderKind } from '@whatpro/domain';
import { kindForStatus, ProviderError } from './errors.ts';

export interface HttpClientOptions {
  provider: ProviderKind;
  baseUrl: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Reads the provider's own message out of its error envelope; `providerMessage` when absent or empty. */
  errorMessage?: (body: unknown) => string | undefined;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
  /** Return the raw bytes instead of parsing JSON (media downloads). */
  raw?: boolean;
}

export interface RawResponse {
  data: Buffer;
  contentType: string;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Pulls a human message out of the shapes providers use for errors, without echoing whole bodies. */
export function providerMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 500) || undefined;
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const candidates = [b.message, b.error, b.msg, (b.response as Record<string, unknown> | undefined)?.message];
  for (const c of candidates) {
    if (typeof c === 'string' && c) return c.slice(0, 500);
    if (Array.isArray(c) && c.length)
      return c
        .map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
        .join('; ')
        .slice(0, 500);
  }
  return undefined;
}

export class HttpClient {
  private readonly fetchImpl: typeof fetch;
  readonly baseUrl: string;

  constructor(private readonly options: HttpClientOptions) {
    this.fetchImpl = options.fetch ?? fetch;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  async request<T = unknown>(req: RequestOptions & { raw?: false }): Promise<T>;
  async request(req: RequestOptions & { raw: true }): Promise<RawResponse>;
  async request(req: RequestOptions): Promise<unknown> {
    const { provider } = this.options;
    const url = new URL(this.baseUrl + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs ?? 15_000;
    const headers: Record<string, string> = { accept: req.raw ? '*/*' : 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.body);
    }
    const where = `${req.method ?? 'GET'} ${req.path}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method: req.method ?? 'GET', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new ProviderError(provider, 'timeout', `${provider} did not answer ${where} within ${timeoutMs} ms`);
      }
      const code = ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message) || 'unknown';
      throw new ProviderError(provider, 'network', `${provider} unreachable for ${where} (${code})`);
    }

    if (req.raw && response.ok) {
      const data = Buffer.from(await response.arrayBuffer());
      return { data, contentType: response.headers.get('content-type') ?? 'application/octet-stream' } satisfies RawResponse;
    }
    const text = await response.text().catch(() => '');
    let parsed: unknown = text;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!response.ok) {
      const message = this.options.errorMessage?.(parsed) ?? providerMessage(parsed);
      throw new ProviderError(
        provider,
        kindForStatus(response.status),
        `${provider} answered ${response.status} to ${where}${message ? `: ${message}` : ''}`,
        { httpStatus: response.status, providerMessage: message, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) },
      );
    }
    if (typeof parsed === 'string' && parsed !== '' && !req.raw) {
      throw new ProviderError(provider, 'invalid_response', `${provider} answered ${where} with a body that is not JSON`);
    }
    return parsed === '' ? null : parsed;
  }
}
