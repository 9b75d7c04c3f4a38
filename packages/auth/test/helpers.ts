import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createDb, type Db } from '@whatpro/db';
import { AppError, createLogger, createRedis, hubEnvSchema, type Logger, loadEnv, type Redis } from '@whatpro/platform';
import { type Auth, createAuth, hashPassword, type Role } from '../src/index.ts';

export const env = loadEnv(hubEnvSchema, process.env);

export interface TestContext {
  db: Db;
  redis: Redis;
  auth: Auth;
  close(): Promise<void>;
}

export function testContext(overrides: Partial<typeof env> = {}): TestContext {
  const db = createDb({ url: env.DATABASE_URL, max: 4 });
  const redis = createRedis({ url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX });
  const auth = createAuth({ env: { ...env, ...overrides }, db, redis });
  return {
    db,
    redis,
    auth,
    async close() {
      await db.$disconnect();
      redis.disconnect();
    },
  };
}

export const uniq = () => randomUUID().slice(0, 8);

export async function makeTenant(db: Db, name = 'Tenant'): Promise<{ id: string; slug: string }> {
  const slug = `t-${uniq()}`;
  return db.tenant.create({ data: { name: `${name} ${slug}`, slug }, select: { id: true, slug: true } });
}

export const PASSWORD = 'correct horse battery staple';

export async function makeUser(
  db: Db,
  options: { tenantId?: string; role?: Role; isPlatformAdmin?: boolean; password?: string; email?: string } = {},
): Promise<{ id: string; email: string; password: string }> {
  const password = options.password ?? PASSWORD;
  const email = options.email ?? `user-${uniq()}@example.test`;
  const user = await db.user.create({
    data: { email, name: 'Test User', passwordHash: await hashPassword(password), isPlatformAdmin: options.isPlatformAdmin ?? false },
    select: { id: true },
  });
  if (options.tenantId)
    await db.membership.create({ data: { tenantId: options.tenantId, userId: user.id, role: options.role ?? 'OWNER' } });
  return { id: user.id, email, password };
}

/** The AppError a promise rejects with (any other outcome fails the test). */
export async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

/** A logger whose lines are kept in memory, redaction included, as production writes them. */
export function capturingLogger(level: string): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level }, stream), lines };
}
