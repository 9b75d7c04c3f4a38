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

/** Pings, first waiting (up to the caller's timeout) for a connection that is still being made. */
export async function pingRedis(redis: Redis): Promise<string> {
  if (redis.status === 'connecting' || redis.status === 'connect' || redis.status === 'reconnecting' || redis.status === 'wait') {
    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        redis.off('error', onError);
        resolve();
      };
      const onError = (error: Error) => {
        redis.off('ready', onReady);
        reject(error);
      };
      redis.once('ready', onReady);
      redis.once('error', onError);
    });
  }
  return redis.ping();
}
