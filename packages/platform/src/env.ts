import { z } from 'zod';

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example for every variable.`);
    this.name = 'EnvError';
  }
}

/** Validates the whole environment at once, so one start-up reports every missing or invalid variable. */
export function loadEnv<S extends z.ZodObject>(schema: S, source: NodeJS.ProcessEnv = process.env): z.infer<S> {
  // Empty strings count as unset: `FOO=` in a .env file means "not configured".
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    throw new EnvError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(root)';
        return issue.code === 'invalid_type' && cleaned[name] === undefined ? `${name} is required` : `${name}: ${issue.message}`;
      }),
    );
  }
  return result.data;
}

const keyring = z.string().regex(/^\d+:[A-Za-z0-9+/=_-]+(,\d+:[A-Za-z0-9+/=_-]+)*$/, 'expected "1:<base64 32 bytes>[,2:<base64>…]"');

export const baseEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default('whatpro:'),
  SECRET_KEYS: keyring,
});

export const hubEnvSchema = baseEnvSchema.extend({
  HUB_ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  HUB_HOST: z.string().default('0.0.0.0'),
  HUB_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** Where providers and Chatwoot reach the Hub's webhooks. */
  HUB_PUBLIC_URL: z.url(),
  WEBHOOK_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  JWT_KEYS: keyring,
  JWT_ISSUER: z.string().default('whatpro-hub'),
  JWT_AUDIENCE: z.string().default('whatpro'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(3600)
    .default(30 * 24 * 3600),
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  /** Failed logins per client IP per window; unset means five times LOGIN_RATE_LIMIT. */
  LOGIN_IP_RATE_LIMIT: z.coerce.number().int().min(1).optional(),
  LOGIN_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  /** How long a spent refresh token still returns its successor (two tabs refreshing at once). */
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(300).default(20),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(15000),
  /** How often the worker role reconciles instances with their provider servers. */
  INSTANCE_SYNC_INTERVAL_SECONDS: z.coerce.number().int().min(10).default(300),
  /** Inbound events and finished lane items older than this are deleted by the retention job. */
  RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
});

export type BaseEnv = z.infer<typeof baseEnvSchema>;
export type HubEnv = z.infer<typeof hubEnvSchema>;
