import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

// Keys whose values never reach a log line, at any depth. Uazapi puts the instance `token` inside
// webhook bodies and Evolution an `apikey`; Chatwoot uses `api_access_token`.
export const SECRET_KEYS = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'passwordhash',
  'token',
  'accesstoken',
  'refreshtoken',
  'apikey',
  'api_key',
  'secret',
  'admintoken',
  'api_access_token',
  'hmac_token',
  'webhook_secret',
  'x-chatwoot-signature',
];

const secretKeySet = new Set(SECRET_KEYS);
export const REDACTED = '[redacted]';

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase();
  if (secretKeySet.has(k)) return true;
  // Derived names: userToken, adminTokenEnc, webhookSecret, x-api-key, globalApikey …
  return /(token|secret|password|apikey|api-key|api_key|authorization|cookie)/.test(k);
}

/** Deep copy with every secret-keyed value replaced; handles cycles and Errors. */
export function redact(value: unknown, seen = new WeakMap<object, unknown>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(redact(item, seen));
    return out;
  }
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  const source = value instanceof Error ? { ...value, type: value.name, message: value.message, stack: value.stack } : value;
  for (const [key, v] of Object.entries(source as Record<string, unknown>)) {
    out[key] = isSecretKey(key) ? REDACTED : redact(v, seen);
  }
  return out;
}

/**
 * Webhook paths carry the per-instance secret (`/webhooks/uazapi/<secret>`) and some clients put
 * credentials in the query string: neither may reach a log line.
 */
export function redactUrl(url: string): string {
  const [path = '', query] = url.split('?', 2);
  const safePath = path.replace(/^(\/webhooks\/[^/]+\/)[^/?#]+/, `$1${REDACTED}`);
  if (!query) return safePath;
  const params = new URLSearchParams(query);
  for (const key of [...params.keys()]) if (isSecretKey(key)) params.set(key, REDACTED);
  return `${safePath}?${params.toString()}`;
}

interface RequestLike {
  id?: string;
  method?: string;
  url?: string;
  ip?: string;
  headers?: Record<string, unknown>;
}

const SERIALIZED = new Set(['req', 'res', 'err', 'error']);

export interface LoggerConfig {
  level?: string;
  name?: string;
  pretty?: boolean;
}

// pino's path-based `redact` option cannot express "this key at any depth", so every object that
// reaches a log line goes through `redact` in the formatter instead.
export function createLogger(config: LoggerConfig = {}, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: config.name ? { service: config.name } : {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      // pino runs this before the serializers: leave their keys to them (they keep only safe fields).
      log: (object) =>
        Object.fromEntries(
          Object.entries(object).map(([key, value]) => [key, SERIALIZED.has(key) ? value : isSecretKey(key) ? REDACTED : redact(value)]),
        ),
    },
    serializers: {
      req: (req: RequestLike) => ({
        id: req.id,
        method: req.method,
        url: req.url ? redactUrl(req.url) : undefined,
        ip: req.ip,
        userAgent: req.headers?.['user-agent'],
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      err: (err: unknown) => redact(pino.stdSerializers.err(err as Error)),
      error: (err: unknown) => redact(err instanceof Error ? pino.stdSerializers.err(err) : err),
    },
  };
  if (config.pretty && !destination) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
