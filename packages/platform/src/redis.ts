import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConfig {
  url: string;
  keyPrefix?: string;
}

/**
 * Redis is for wake-ups, locks, rate limits and caches: never the only copy of anything. Commands fail
 * fast while it is down (no offline queue) so callers fall back instead of piling up.
 */
export function createRedis(config: RedisConfig, overrides: RedisOptions = {}): Redis {
  return new Redis(config.url, {
    keyPrefix: config.keyPrefix,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...overrides,
  });
}

export type { Redis };
