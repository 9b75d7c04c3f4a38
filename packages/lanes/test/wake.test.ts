import { createRedis } from '@whatpro/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { createLaneWorker, enqueue, wake, wakeChannel } from '../src/index.ts';
import { createFixture, sleep, testDb, testRedis, waitFor } from './support.ts';

const db = testDb();
const redis = testRedis();

afterAll(async () => {
  redis.disconnect();
  await db.$disconnect();
});

describe('wake-ups', () => {
  it('reach an idle worker through Redis long before its poll would', async () => {
    const fx = await createFixture(db);
    const started: number[] = [];
    const worker = createLaneWorker({
      db,
      redis,
      // A poll this slow never fires during the test: only the wake-up can start the item.
      pollMs: 600_000,
      scope: { tenantIds: [fx.tenantId] },
      handlers: {
        record: async () => {
          started.push(Date.now());
          return null;
        },
      },
    });
    await worker.start();
    try {
      // Let the subscription settle, and the start-up claim find nothing.
      await waitFor('the subscription', async () => (await redis.pubsub('NUMSUB', wakeChannel(redis)))[1] !== 0);
      await sleep(100);
      const id = await db.$transaction((tx) => enqueue(tx, { ...fx, direction: 'INBOUND', contactKey: 'w', kind: 'record', payload: {} }));
      expect(await wake(redis, { instanceId: fx.instanceId })).toBe(true);
      await waitFor(
        'the woken item',
        async () => (await db.laneItem.findFirst({ where: { id, tenantId: fx.tenantId, status: 'SUCCEEDED' } })) !== null,
        10_000,
      );
      expect(started).toHaveLength(1);
    } finally {
      await worker.stop();
    }
  });

  it('never throws when Redis is missing or down', async () => {
    expect(await wake(null)).toBe(false);
    const down = createRedis({ url: 'redis://127.0.0.1:1' }, { retryStrategy: () => null });
    down.on('error', () => {});
    expect(await wake(down, { instanceId: 'x' })).toBe(false);
    down.disconnect();
    const prefixed = createRedis({ url: process.env.REDIS_URL as string, keyPrefix: 'tenant-a:' }, { lazyConnect: true });
    expect(wakeChannel(prefixed)).toBe('tenant-a:lanes:wake');
    prefixed.disconnect();
  });
});
