import type { Prisma } from '@whatpro/db';
import { type Redis, validation } from '@whatpro/platform';
import type { Direction, JsonValue } from './types.ts';

export interface EnqueueInput {
  tenantId: string;
  instanceId: string;
  direction: Direction;
  contactKey: string;
  kind: string;
  payload: JsonValue;
  eventId?: string | null;
}

// Only the three calls enqueue makes, so that raw, tenant-guarded and transaction clients all fit
// (their generated delegate types differ, their behaviour for these calls does not).
interface LaneDelegates {
  lane: {
    createMany(args: Prisma.LaneCreateManyArgs): PromiseLike<unknown>;
    updateManyAndReturn(args: Prisma.LaneUpdateManyAndReturnArgs): PromiseLike<{ id: string }[]>;
  };
  laneItem: { create(args: Prisma.LaneItemCreateArgs): PromiseLike<{ id: string }> };
}

/** An interactive-transaction client, or a plain client (then enqueue opens its own transaction). */
export type EnqueueClient = LaneDelegates & { $transaction?: unknown };

/**
 * Appends an item to its lane inside the caller's transaction, so the event and its work commit
 * together or not at all. Returns the item id. Call `wake()` after the commit.
 *
 * Ordering: the lane row is updated before the item is inserted, so a second enqueue on the same lane
 * waits for this transaction's commit before it draws its `seq`; within a lane, `seq` order is commit
 * order and a worker can never see item n+1 before item n.
 */
export async function enqueue(client: EnqueueClient, input: EnqueueInput): Promise<string> {
  if (!input.contactKey) throw validation('lane contactKey is required');
  if (!input.kind) throw validation('lane item kind is required');
  if (input.direction !== 'INBOUND' && input.direction !== 'OUTBOUND') throw validation('lane direction must be INBOUND or OUTBOUND');
  if (typeof client.$transaction === 'function') {
    const plain = client as unknown as { $transaction<T>(fn: (tx: LaneDelegates) => Promise<T>): Promise<T> };
    return plain.$transaction((tx) => append(tx, input));
  }
  return append(client, input);
}

async function append(tx: LaneDelegates, input: EnqueueInput): Promise<string> {
  const { tenantId, instanceId, direction, contactKey } = input;
  const now = new Date();
  // Always "ready now": a lane waiting out a backoff gets one spurious claim, which puts it back to
  // its head's time; cheaper than reading the lane first and as safe.
  const touch = () =>
    tx.lane.updateManyAndReturn({
      where: { instanceId, direction, contactKey, tenantId },
      data: { readyAt: now },
      select: { id: true },
    });
  let [lane] = await touch();
  if (!lane) {
    // First item for this contact. ON CONFLICT DO NOTHING: a concurrent first enqueue must not abort
    // the caller's transaction with a unique violation, which a select-then-insert upsert could.
    await tx.lane.createMany({ data: [{ tenantId, instanceId, direction, contactKey, readyAt: now }], skipDuplicates: true });
    [lane] = await touch();
  }
  if (!lane) throw validation('the lane belongs to another tenant');
  const item = await tx.laneItem.create({
    data: { tenantId, laneId: lane.id, kind: input.kind, payload: input.payload, eventId: input.eventId ?? null },
    select: { id: true },
  });
  return item.id;
}

/** The pub/sub channel; Redis channels ignore the client's key prefix, so it is applied here. */
export function wakeChannel(redis: Pick<Redis, 'options'>): string {
  return `${redis.options.keyPrefix ?? ''}lanes:wake`;
}

/**
 * Tells idle workers there is work. Never throws: with Redis down the workers' poll picks the item
 * up a little later, and the enqueue itself is already committed.
 */
export async function wake(redis: Redis | null | undefined, target: { instanceId?: string } = {}, timeoutMs = 500): Promise<boolean> {
  if (!redis) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('wake timed out')), timeoutMs);
    });
    await Promise.race([redis.publish(wakeChannel(redis), target.instanceId ?? '*'), timeout]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
