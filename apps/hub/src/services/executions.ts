// The executions log (ARCHITECTURE §7): every attempt of every lane item, searchable by the Manager.
import type { AttemptOutcome, Db, Direction, Prisma } from '@whatpro/db';
import { validation } from '@whatpro/platform';
import { UUID_RE } from './mgmt.ts';

export interface ExecutionFilter {
  tenantId: string;
  instanceId?: string;
  outcome?: AttemptOutcome[];
  errorCode?: string;
  direction?: Direction;
  contactKey?: string;
  kind?: string;
  laneItemId?: string;
  /** Attempts started at or after / before. */
  from?: Date;
  to?: Date;
  /** Case-insensitive text in the error message. */
  q?: string;
  /** The last id of the previous page (newest first). */
  cursor?: string;
  limit?: number;
}

export interface ExecutionView {
  id: string;
  laneItemId: string;
  attempt: number;
  workerId: string;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  outcome: AttemptOutcome;
  errorCode: string | null;
  errorMessage: string | null;
  item: { kind: string; status: string; direction: Direction; contactKey: string; instanceId: string; seq: string };
}

const MAX_PAGE = 200;

export async function searchExecutions(db: Db, filter: ExecutionFilter): Promise<{ items: ExecutionView[]; nextCursor: string | null }> {
  const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(filter.limit ?? 50)));
  if (filter.cursor !== undefined && !UUID_RE.test(filter.cursor)) throw validation('invalid cursor');
  const lane: Prisma.LaneWhereInput = {
    ...(filter.instanceId === undefined ? {} : { instanceId: filter.instanceId }),
    ...(filter.direction === undefined ? {} : { direction: filter.direction }),
    ...(filter.contactKey === undefined ? {} : { contactKey: filter.contactKey }),
  };
  const item: Prisma.LaneItemWhereInput = {
    ...(Object.keys(lane).length ? { lane } : {}),
    ...(filter.kind === undefined ? {} : { kind: filter.kind }),
  };
  const startedAt =
    filter.from || filter.to ? { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } : undefined;
  const rows = await db.executionAttempt.findMany({
    where: {
      tenantId: filter.tenantId,
      ...(Object.keys(item).length ? { laneItem: item } : {}),
      ...(filter.laneItemId === undefined ? {} : { laneItemId: filter.laneItemId }),
      ...(filter.outcome?.length ? { outcome: { in: filter.outcome } } : {}),
      ...(filter.errorCode === undefined ? {} : { errorCode: filter.errorCode }),
      ...(filter.q ? { errorMessage: { contains: filter.q, mode: 'insensitive' as const } } : {}),
      ...(startedAt ? { startedAt } : {}),
      // uuid v7 ids grow with time: ordering by id is ordering by start, and gives a stable cursor.
      ...(filter.cursor ? { id: { lt: filter.cursor } } : {}),
    },
    orderBy: { id: 'desc' },
    take: limit + 1,
    include: {
      laneItem: {
        select: { kind: true, status: true, seq: true, lane: { select: { direction: true, contactKey: true, instanceId: true } } },
      },
    },
  });
  const page = rows.slice(0, limit);
  return {
    items: page.map((a) => ({
      id: a.id,
      laneItemId: a.laneItemId,
      attempt: a.attempt,
      workerId: a.workerId,
      startedAt: a.startedAt,
      finishedAt: a.finishedAt,
      durationMs: a.durationMs,
      outcome: a.outcome,
      errorCode: a.errorCode,
      errorMessage: a.errorMessage,
      item: {
        kind: a.laneItem.kind,
        status: a.laneItem.status,
        seq: a.laneItem.seq.toString(),
        direction: a.laneItem.lane.direction,
        contactKey: a.laneItem.lane.contactKey,
        instanceId: a.laneItem.lane.instanceId,
      },
    })),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}
