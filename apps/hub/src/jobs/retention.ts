// Retention: the events and finished lane items that made it through long ago are history, and the
// tables would otherwise grow forever. Waiting and dead items (and the events they came from) are kept
// whatever their age: an operator may still act on them.
import type { Db, LaneItemStatus } from '@whatpro/db';

const FINISHED: LaneItemStatus[] = ['SUCCEEDED', 'SKIPPED', 'CANCELLED'];
const DAY_MS = 86_400_000;

export interface RetentionResult {
  laneItems: number;
  inboundEvents: number;
}

/** Deletes in batches so no statement holds locks on a large share of a busy table. */
export async function runRetention(
  deps: { db: Db },
  options: { retentionDays: number; now?: Date; batchSize?: number; tenantId?: string },
): Promise<RetentionResult> {
  const db = deps.db.$unguarded('retention job: every tenant');
  const cutoff = new Date((options.now ?? new Date()).getTime() - options.retentionDays * DAY_MS);
  const batch = options.batchSize ?? 2000;
  const result: RetentionResult = { laneItems: 0, inboundEvents: 0 };
  const scope = options.tenantId ? { tenantId: options.tenantId } : {};

  for (;;) {
    const items = await db.laneItem.findMany({
      where: { ...scope, status: { in: FINISHED }, finishedAt: { lt: cutoff } },
      select: { id: true },
      take: batch,
    });
    if (items.length === 0) break;
    // Attempts go with their item (cascade).
    result.laneItems += (await db.laneItem.deleteMany({ where: { id: { in: items.map((i) => i.id) } } })).count;
    if (items.length < batch) break;
  }

  let after: string | undefined;
  for (;;) {
    const events = await db.inboundEvent.findMany({
      where: { ...scope, receivedAt: { lt: cutoff }, ...(after ? { id: { gt: after } } : {}) },
      select: { id: true },
      orderBy: { id: 'asc' },
      take: batch,
    });
    if (events.length === 0) break;
    after = events.at(-1)?.id;
    const ids = events.map((e) => e.id);
    const kept = await db.laneItem.findMany({ where: { eventId: { in: ids } }, select: { eventId: true } });
    const keep = new Set(kept.map((k) => k.eventId));
    const doomed = ids.filter((id) => !keep.has(id));
    if (doomed.length) result.inboundEvents += (await db.inboundEvent.deleteMany({ where: { id: { in: doomed } } })).count;
    if (events.length < batch) break;
  }
  return result;
}
