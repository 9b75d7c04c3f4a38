// Instances change in one process (an API call, a connection webhook) and are cached in others (the
// workers' instance contexts). A Redis broadcast tells every process to drop its copy at once; when
// Redis is down, the caches' short lifetime bounds how stale they can be.
import type { Redis } from '@whatpro/platform';

const channelOf = (redis: Redis) => `${redis.options.keyPrefix ?? ''}instances:changed`;

export function publishInstanceChanged(redis: Redis, instanceId: string): void {
  redis.publish(channelOf(redis), instanceId).catch(() => undefined);
}

/** Subscribes on a connection of its own (a subscribed connection can do nothing else). */
export function subscribeInstanceChanged(redis: Redis, onChange: (instanceId: string) => void): () => void {
  const sub = redis.duplicate({ enableOfflineQueue: true });
  const channel = channelOf(redis);
  sub.on('error', () => undefined);
  sub.on('message', (ch: string, id: string) => {
    if (ch === channel) onChange(id);
  });
  sub.subscribe(channel).catch(() => undefined);
  return () => sub.disconnect();
}
