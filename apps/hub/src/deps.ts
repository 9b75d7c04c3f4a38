// Everything the Hub's processes share, built once at start-up from the validated environment.
import { createDb, type Db } from '@whatpro/db';
import { createLogger, createRedis, type HubEnv, type Logger, type Redis, SecretBox } from '@whatpro/platform';
import { publishInstanceChanged } from './services/instance-events.ts';

export interface HubDeps {
  env: HubEnv;
  db: Db;
  redis: Redis;
  logger: Logger;
  secretBox: SecretBox;
  /** Tells every Hub process that an instance changed, so cached copies are dropped. */
  onInstanceChanged: (instanceId: string) => void;
}

export function createDeps(env: HubEnv, logger?: Logger): HubDeps {
  const log = logger ?? createLogger({ level: env.LOG_LEVEL, name: 'hub' });
  const redis = createRedis({ url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX });
  // Redis outages are expected and handled by callers (polling fallback, readiness); log, don't crash.
  redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'));
  return {
    env,
    db: createDb({ url: env.DATABASE_URL, max: env.DATABASE_POOL_MAX }),
    redis,
    logger: log,
    secretBox: SecretBox.fromSpec(env.SECRET_KEYS),
    onInstanceChanged: (instanceId) => publishInstanceChanged(redis, instanceId),
  };
}

export async function closeDeps(deps: HubDeps): Promise<void> {
  await deps.db.$disconnect();
  deps.redis.disconnect();
}
