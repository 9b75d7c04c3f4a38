import { randomUUID } from 'node:crypto';
import { createDb, type Db, type Prisma } from '@whatpro/db';
import { createRedis, type Redis } from '@whatpro/platform';
import { type EnqueueInput, enqueue, wake } from '../src/index.ts';

export function testDb(max = 10): Db {
  return createDb({ url: process.env.DATABASE_URL as string, max });
}

export function testRedis(url = process.env.REDIS_URL as string): Redis {
  return createRedis({ url, keyPrefix: process.env.REDIS_KEY_PREFIX });
}

export interface Fixture {
  tenantId: string;
  instanceId: string;
}

/** A tenant with one instance of its own, so each test's workers (scoped to it) see only its lanes. */
export async function createFixture(db: Db, policy: Partial<Prisma.InstanceUncheckedCreateInput> = {}): Promise<Fixture> {
  const raw = db.$unguarded('lanes test fixture');
  const tag = randomUUID();
  const tenant = await raw.tenant.create({ data: { name: `lanes ${tag}`, slug: `lanes-${tag}` } });
  const server = await raw.providerServer.create({
    data: { tenantId: tenant.id, provider: 'UAZAPI', name: `srv-${tag}`, baseUrl: 'http://127.0.0.1:9', adminTokenEnc: 'test' },
  });
  const instance = await raw.instance.create({
    data: {
      tenantId: tenant.id,
      providerServerId: server.id,
      provider: 'UAZAPI',
      name: `inst-${tag}`,
      externalName: `ext-${tag}`,
      tokenEnc: 'test',
      webhookSecretHash: `hash-${tag}`,
      webhookSecretEnc: 'test',
      ...policy,
    },
  });
  return { tenantId: tenant.id, instanceId: instance.id };
}

/** Enqueues `count` items on one contact's lane, each in its own transaction, in order. */
export async function fillLane(
  db: Db,
  fx: Fixture,
  lane: { direction?: EnqueueInput['direction']; contactKey: string; kind?: string },
  count: number,
  payload: (n: number) => Record<string, Prisma.InputJsonValue> = (n) => ({ n }),
  redis?: Redis | null,
): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const id = await db.$transaction((tx) =>
      enqueue(tx, {
        ...fx,
        direction: lane.direction ?? 'INBOUND',
        contactKey: lane.contactKey,
        kind: lane.kind ?? 'record',
        payload: { lane: lane.contactKey, ...payload(n) },
      }),
    );
    ids.push(id);
    if (redis) await wake(redis, { instanceId: fx.instanceId });
  }
  return ids;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Items of a tenant with their succeeded attempt, in lane order (by seq). */
export async function laneHistory(db: Db, tenantId: string) {
  const items = await db.laneItem.findMany({
    where: { tenantId },
    orderBy: { seq: 'asc' },
    include: { lane: { select: { contactKey: true } }, attemptsLog: { orderBy: { attempt: 'asc' } } },
  });
  const byLane = new Map<string, typeof items>();
  for (const item of items) {
    const list = byLane.get(item.lane.contactKey) ?? [];
    list.push(item);
    byLane.set(item.lane.contactKey, list);
  }
  return { items, byLane };
}

/**
 * Checks from the database that a lane ran strictly one item at a time in seq order: each item's
 * successful attempt started no earlier than the previous item's finished.
 */
export function assertSerialInOrder(items: Awaited<ReturnType<typeof laneHistory>>['items']): string | null {
  let previousEnd = 0;
  for (const item of items) {
    const ok = item.attemptsLog.filter((a) => a.outcome === 'SUCCEEDED');
    if (ok.length !== 1) return `item ${item.id} has ${ok.length} successful attempts`;
    const first = item.attemptsLog[0];
    if (!first || first.startedAt.getTime() < previousEnd) return `item seq ${item.seq} started before the previous item finished`;
    previousEnd = ok[0]?.finishedAt?.getTime() ?? Number.POSITIVE_INFINITY;
  }
  return null;
}
