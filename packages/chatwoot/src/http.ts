// The transport under the Chatwoot client: one place for the token header, the timeout, and the
// mapping of every failure to a ChatwootError. The token lives only in a private field and in the
// request header; messages name the operation, never the URL.
import { ChatwootError, chatwootKindForStatus } from './errors.ts';

export interface ChatwootTransportOptions {
  baseUrl: string;
  userToken: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface ChatwootCall {
  /** Stable name for errors and logs, e.g. `contacts.create`. */
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  form?: FormData;
  /** The public (client) API identifies the contact by the URL and takes no token. */
  anonymous?: boolean;
}

export interface ChatwootResponse {
  status: number;
  /** Parsed JSON, or null for an empty body. */
  body: unknown;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MESSAGE_LIMIT = 500;

/**
 * Retry-After in seconds or as an HTTP date. Chatwoot's Rack::Attack sends none by default; its
 * throttles count in fixed windows aligned to the epoch minute, so the end of the current minute is
 * when the counter resets.
 */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header) {
    const seconds = Number(header);
    if (header.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  return 60_000 - (now % 60_000);
}

/** Chatwoot's error bodies: `{error}`, `{message, attributes}`, `{errors: [...]}` or plain text. */
function describe(body: unknown): { message?: string; attributes?: string[] } {
  if (typeof body === 'string') return { message: body.trim().slice(0, MESSAGE_LIMIT) || undefined };
  if (typeof body !== 'object' || body === null) return {};
  const b = body as Record<string, unknown>;
  const attributes = Array.isArray(b.attributes) ? b.attributes.filter((a): a is string => typeof a === 'string') : undefined;
  for (const candidate of [b.message, b.error, b.errors]) {
    if (typeof candidate === 'string' && candidate) return { message: candidate.slice(0, MESSAGE_LIMIT), attributes };
    if (Array.isArray(candidate) && candidate.length > 0) {
      const text = candidate.map((c) => (typeof c === 'string' ? c : JSON.stringify(c))).join('; ');
      return { message: text.slice(0, MESSAGE_LIMIT), attributes };
    }
  }
  return { attributes };
}

export class ChatwootTransport {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: ChatwootTransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.userToken;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? fetch;
  }

  // A server that echoes the request back in an error must not put the token into our messages.
  #scrub(text: string | undefined): string | undefined {
    if (!text || !this.#token) return text;
    return text.split(this.#token).join('[redacted]');
  }

  async send(call: ChatwootCall): Promise<ChatwootResponse> {
    const url = new URL(this.baseUrl + call.path);
    for (const [key, value] of Object.entries(call.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (!call.anonymous) headers.api_access_token = this.#token;
    let body: string | FormData | undefined;
    if (call.form) body = call.form;
    else if (call.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.json);
    }

    const { operation } = call;
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, { method: call.method, headers, body, signal });
      // The body read shares the deadline: a server that sends headers and then stalls is a timeout too.
      text = await response.text();
    } catch (error) {
      const name = (error as Error | undefined)?.name;
      if (name === 'TimeoutError' || name === 'AbortError' || signal.aborted) {
        throw new ChatwootError('timeout', `Chatwoot did not answer ${operation} within ${this.#timeoutMs} ms`, { operation });
      }
      const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
      const code = typeof cause?.code === 'string' ? cause.code : 'connection failed';
      throw new ChatwootError('network', `Chatwoot unreachable for ${operation} (${code})`, { operation });
    }

    let parsed: unknown = null;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }

    if (!response.ok) {
      const kind = chatwootKindForStatus(response.status);
      const { message, attributes } = describe(parsed);
      const chatwootMessage = this.#scrub(message);
      throw new ChatwootError(
        kind,
        `Chatwoot answered ${response.status} to ${operation}${chatwootMessage ? `: ${chatwootMessage}` : ''}`,
        {
          operation,
          httpStatus: response.status,
          chatwootMessage,
          attributes,
          retryAfterMs: kind === 'rate_limited' ? retryAfterMs(response.headers.get('retry-after')) : undefined,
        },
      );
    }
    if (typeof parsed === 'string') {
      throw new ChatwootError('invalid_response', `Chatwoot answered ${operation} with a body that is not JSON`, {
        operation,
        httpStatus: response.status,
      });
    }
    return { status: response.status, body: parsed };
  }
}
