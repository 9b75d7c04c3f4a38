import type { Db, Direction, LaneItemStatus, Prisma } from '@whatpro/db';
import { conflict, notFound, type Redis, validation } from '@whatpro/platform';
import { wake } from './enqueue.ts';
import { WAITING_STATUSES } from './types.ts';

export interface LaneAdminOptions {
  /** To wake workers after retry, skip and resume; without it they notice at their next poll. */
  redis?: Redis | null;
  now?: () => number;
}

export interface Page<T> {
  rows: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface ListLanesFilter {
  tenantId: string;
  instanceId?: string;
  direction?: Direction;
  /** Exact contact key. */
  contactKey?: string;
  blocked?: boolean;
  /** Lanes touched (enqueue, run, operator action) at or after / before this time. */
  from?: Date;
  to?: Date;
  cursor?: string | null;
  limit?: number;
}

export interface LaneSummary {
  id: string;
  instanceId: string;
  direction: Direction;
  contactKey: string;
  blocked: boolean;
  /** True while a worker holds the lane (an item is running). */
  leased: boolean;
  readyAt: Date | null;
  /** Items still to run (queued, retrying, unknown, running). */
  pending: number;
  dead: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ListItemsFilter {
  tenantId: string;
  instanceId?: string;
  direction?: Direction;
  contactKey?: string;
  laneId?: string;
  status?: LaneItemStatus | LaneItemStatus[];
  kind?: string;
  /** Items enqueued at or after / before this time. */
  from?: Date;
  to?: Date;
  /** Newest first by default. */
  order?: 'asc' | 'desc';
  cursor?: string | null;
  limit?: number;
}

// Bigints (seq, fencing token) become strings: these views go straight into JSON API responses.
export interface ItemSummary {
  id: string;
  laneId: string;
  instanceId: string;
  direction: Direction;
  contactKey: string;
  seq: string;
  kind: string;
  status: LaneItemStatus;
  attempts: number;
  deferrals: number;
  eventId: string | null;
  nextAttemptAt: Date | null;
  lastErrorCode: string | null;
  lastError: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface AttemptView {
  attempt: number;
  workerId: string;
  fencingToken: string;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  outcome: string;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface ItemDetail extends ItemSummary {
  payload: unknown;
  result: unknown;
  laneBlocked: boolean;
  attemptsLog: AttemptView[];
}

export interface LaneCounts {
  items: Record<LaneItemStatus, number>;
  lanes: { total: number; blocked: number; leased: number; ready: number };
}

type ItemTarget = { tenantId: string; itemId: string };
type InstanceTarget = { tenantId: string; instanceId: string };

const ALL_STATUSES: LaneItemStatus[] = ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'DEAD', 'SKIPPED', 'CANCELLED', 'UNKNOWN'];
const SKIPPABLE: LaneItemStatus[] = ['DEAD', ...WAITING_STATUSES];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_PAGE = 500;

const itemSelect = {
  id: true,
  laneId: true,
  seq: true,
  kind: true,
  status: true,
  attempts: true,
  deferrals: true,
  eventId: true,
  nextAttemptAt: true,
  lastErrorCode: true,
  lastError: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  lane: { select: { instanceId: true, direction: true, contactKey: true, blocked: true } },
} satisfies Prisma.LaneItemSelect;

type SelectedItem = Prisma.LaneItemGetPayload<{ select: typeof itemSelect }>;

/**
 * Operator controls over lanes. Every query names the caller's tenant, so another tenant's lane or
 * item is "not found", never "forbidden".
 */
export function createLaneAdmin(db: Db, options: LaneAdminOptions = {}) {
  const now = options.now ?? Date.now;
  const nudge = (instanceId: string) => wake(options.redis, { instanceId });

  async function findItem({ tenantId, itemId }: ItemTarget) {
    const item = UUID.test(itemId) ? await db.laneItem.findFirst({ where: { id: itemId, tenantId }, select: itemSelect }) : null;
    if (!item) throw notFound('lane item');
    return item;
  }

  async function listLanes(filter: ListLanesFilter): Promise<Page<LaneSummary>> {
    const limit = pageSize(filter.limit);
    const where: Prisma.LaneWhereInput = {
      tenantId: filter.tenantId,
      ...(filter.instanceId === undefined ? {} : { instanceId: filter.instanceId }),
      ...(filter.direction === undefined ? {} : { direction: filter.direction }),
      ...(filter.contactKey === undefined ? {} : { contactKey: filter.contactKey }),
      ...(filter.blocked === undefined ? {} : { blocked: filter.blocked }),
      ...timeRange('updatedAt', filter.from, filter.to),
      ...(filter.cursor ? { id: { lt: uuidCursor(filter.cursor) } } : {}),
    };
    const lanes = await db.lane.findMany({
      where,
      orderBy: { id: 'desc' },
      take: limit + 1,
      select: {
        id: true,
        instanceId: true,
        direction: true,
        contactKey: true,
        blocked: true,
        leaseOwner: true,
        readyAt: true,
        createdAt: true,
        updatedAt: true,
      },
    });
    const page = lanes.slice(0, limit);
    const ids = page.map((l) => l.id);
    const grouped = ids.length
      ? await db.laneItem.groupBy({
          by: ['laneId', 'status'],
          where: { tenantId: filter.tenantId, laneId: { in: ids }, status: { in: [...WAITING_STATUSES, 'RUNNING', 'DEAD'] } },
          _count: { _all: true },
        })
      : [];
    const rows = page.map(({ leaseOwner, ...lane }) => {
      const mine = grouped.filter((g) => g.laneId === lane.id);
      const sum = (pred: (s: LaneItemStatus) => boolean) => mine.filter((g) => pred(g.status)).reduce((n, g) => n + g._count._all, 0);
      return { ...lane, leased: leaseOwner !== null, pending: sum((s) => s !== 'DEAD'), dead: sum((s) => s === 'DEAD') };
    });
    return { rows, nextCursor: lanes.length > limit ? (page.at(-1)?.id ?? null) : null };
  }

  async function listItems(filter: ListItemsFilter): Promise<Page<ItemSummary>> {
    const limit = pageSize(filter.limit);
    const order = filter.order ?? 'desc';
    const statuses = filter.status === undefined ? undefined : Array.isArray(filter.status) ? filter.status : [filter.status];
    const lane: Prisma.LaneWhereInput = {
      ...(filter.instanceId === undefined ? {} : { instanceId: filter.instanceId }),
      ...(filter.direction === undefined ? {} : { direction: filter.direction }),
      ...(filter.contactKey === undefined ? {} : { contactKey: filter.contactKey }),
    };
    const where: Prisma.LaneItemWhereInput = {
      tenantId: filter.tenantId,
      ...(Object.keys(lane).length ? { lane } : {}),
      ...(filter.laneId === undefined ? {} : { laneId: filter.laneId }),
      ...(statuses === undefined ? {} : { status: { in: statuses } }),
      ...(filter.kind === undefined ? {} : { kind: filter.kind }),
      ...timeRange('createdAt', filter.from, filter.to),
      ...(filter.cursor ? { seq: order === 'desc' ? { lt: seqCursor(filter.cursor) } : { gt: seqCursor(filter.cursor) } } : {}),
    };
    const items = await db.laneItem.findMany({ where, orderBy: { seq: order }, take: limit + 1, select: itemSelect });
    const page = items.slice(0, limit);
    return { rows: page.map(summary), nextCursor: items.length > limit ? (page.at(-1)?.seq.toString() ?? null) : null };
  }

  async function getItem(target: ItemTarget): Promise<ItemDetail> {
    const item = UUID.test(target.itemId)
      ? await db.laneItem.findFirst({
          where: { id: target.itemId, tenantId: target.tenantId },
          select: { ...itemSelect, payload: true, result: true, attemptsLog: { orderBy: { attempt: 'asc' } } },
        })
      : null;
    if (!item) throw notFound('lane item');
    return {
      ...summary(item),
      payload: item.payload,
      result: item.result,
      laneBlocked: item.lane.blocked,
      attemptsLog: item.attemptsLog.map((a) => ({
        attempt: a.attempt,
        workerId: a.workerId,
        fencingToken: a.fencingToken.toString(),
        startedAt: a.startedAt,
        finishedAt: a.finishedAt,
        durationMs: a.durationMs,
        outcome: a.outcome,
        errorCode: a.errorCode,
        errorMessage: a.errorMessage,
      })),
    };
  }

  /**
   * Gives a dead item a fresh attempt budget at the head of its lane (it has the lowest seq of the
   * lane's pending items), and unblocks the lane: if it dies again under BLOCK, it blocks again.
   */
  async function retryItem(target: ItemTarget): Promise<ItemDetail> {
    const item = await findItem(target);
    if (item.status !== 'DEAD') throw conflict(`only a dead item can be retried; this one is ${item.status}`);
    await db.$transaction(async (tx) => {
      // Lane first: every writer locks the lane row before its items, so none can deadlock another.
      await tx.lane.updateMany({
        where: { id: item.laneId, tenantId: target.tenantId },
        data: { blocked: false, readyAt: new Date(now()) },
      });
      const r = await tx.laneItem.updateMany({
        where: { id: item.id, tenantId: target.tenantId, status: 'DEAD' },
        data: { status: 'QUEUED', attempts: 0, nextAttemptAt: null, finishedAt: null },
      });
      if (r.count !== 1) throw conflict('the item changed meanwhile; reload it');
    });
    // Read back before the wake-up, so the answer shows what the operator did, not a worker's next step.
    const detail = await getItem(target);
    await nudge(item.lane.instanceId);
    return detail;
  }

  /**
   * Marks a dead or waiting item SKIPPED so the lane moves on. Skipping the dead item that blocks its
   * lane (the lane's latest dead item) unblocks the lane; an older dead item does not.
   */
  async function skipItem(target: ItemTarget): Promise<ItemDetail> {
    const item = await findItem(target);
    if (!SKIPPABLE.includes(item.status)) throw conflict(`a ${item.status} item cannot be skipped`);
    await db.$transaction(async (tx) => {
      const later = await tx.laneItem.findFirst({
        where: { tenantId: target.tenantId, laneId: item.laneId, status: 'DEAD', seq: { gt: item.seq } },
        select: { id: true },
      });
      const unblock = item.status === 'DEAD' && later === null;
      await tx.lane.updateMany({
        where: { id: item.laneId, tenantId: target.tenantId },
        data: { readyAt: new Date(now()), ...(unblock ? { blocked: false } : {}) },
      });
      const r = await tx.laneItem.updateMany({
        where: { id: item.id, tenantId: target.tenantId, status: item.status },
        data: { status: 'SKIPPED', finishedAt: new Date(now()), nextAttemptAt: null },
      });
      if (r.count !== 1) throw conflict('the item changed meanwhile; reload it');
    });
    // Read back before the wake-up, so the answer shows what the operator did, not a worker's next step.
    const detail = await getItem(target);
    await nudge(item.lane.instanceId);
    return detail;
  }

  /**
   * Cancels the waiting items of one contact (or of the whole instance): they stay in the table as
   * CANCELLED for the record. A running item finishes on its own. The lanes are unblocked, since an
   * operator clearing a contact's queue means to start it afresh.
   */
  async function purge(target: InstanceTarget & { contactKey?: string; direction?: Direction }): Promise<{ cancelled: number }> {
    await assertInstance(target);
    const laneWhere = {
      instanceId: target.instanceId,
      ...(target.contactKey === undefined ? {} : { contactKey: target.contactKey }),
      ...(target.direction === undefined ? {} : { direction: target.direction }),
    };
    const cancelled = await db.$transaction(async (tx) => {
      await tx.lane.updateMany({ where: { tenantId: target.tenantId, ...laneWhere }, data: { blocked: false } });
      const r = await tx.laneItem.updateMany({
        where: { tenantId: target.tenantId, status: { in: WAITING_STATUSES }, lane: laneWhere },
        data: { status: 'CANCELLED', finishedAt: new Date(now()), nextAttemptAt: null },
      });
      return r.count;
    });
    return { cancelled };
  }

  async function setPaused(target: InstanceTarget, paused: boolean): Promise<void> {
    const r = UUID.test(target.instanceId)
      ? await db.instance.updateMany({
          where: { id: target.instanceId, tenantId: target.tenantId, deletedAt: null },
          data: { lanesPaused: paused },
        })
      : { count: 0 };
    if (r.count !== 1) throw notFound('instance');
  }

  /** Stops workers from claiming the instance's lanes; items keep their places and nothing is counted. */
  async function pauseInstance(target: InstanceTarget): Promise<void> {
    await setPaused(target, true);
  }

  async function resumeInstance(target: InstanceTarget): Promise<void> {
    await setPaused(target, false);
    await nudge(target.instanceId);
  }

  async function counts(filter: { tenantId: string; instanceId?: string }): Promise<LaneCounts> {
    if (filter.instanceId !== undefined) await assertInstance({ tenantId: filter.tenantId, instanceId: filter.instanceId });
    const laneWhere: Prisma.LaneWhereInput = {
      tenantId: filter.tenantId,
      ...(filter.instanceId === undefined ? {} : { instanceId: filter.instanceId }),
    };
    const [grouped, total, blocked, leased, ready] = await Promise.all([
      db.laneItem.groupBy({
        by: ['status'],
        where: { tenantId: filter.tenantId, ...(filter.instanceId === undefined ? {} : { lane: { instanceId: filter.instanceId } }) },
        _count: { _all: true },
      }),
      db.lane.count({ where: laneWhere }),
      db.lane.count({ where: { ...laneWhere, blocked: true } }),
      db.lane.count({ where: { ...laneWhere, leaseOwner: { not: null } } }),
      db.lane.count({ where: { ...laneWhere, blocked: false, readyAt: { lte: new Date(now()) } } }),
    ]);
    const items = Object.fromEntries(ALL_STATUSES.map((s) => [s, 0])) as Record<LaneItemStatus, number>;
    for (const g of grouped) items[g.status] = g._count._all;
    return { items, lanes: { total, blocked, leased, ready } };
  }

  async function assertInstance({ tenantId, instanceId }: InstanceTarget): Promise<void> {
    const found = UUID.test(instanceId) ? await db.instance.findFirst({ where: { id: instanceId, tenantId }, select: { id: true } }) : null;
    if (!found) throw notFound('instance');
  }

  return { listLanes, listItems, getItem, retryItem, skipItem, purge, pauseInstance, resumeInstance, counts };
}

export type LaneAdmin = ReturnType<typeof createLaneAdmin>;

function summary(item: SelectedItem): ItemSummary {
  return {
    id: item.id,
    laneId: item.laneId,
    instanceId: item.lane.instanceId,
    direction: item.lane.direction,
    contactKey: item.lane.contactKey,
    seq: item.seq.toString(),
    kind: item.kind,
    status: item.status,
    attempts: item.attempts,
    deferrals: item.deferrals,
    eventId: item.eventId,
    nextAttemptAt: item.nextAttemptAt,
    lastErrorCode: item.lastErrorCode,
    lastError: item.lastError,
    createdAt: item.createdAt,
    startedAt: item.startedAt,
    finishedAt: item.finishedAt,
  };
}

function pageSize(limit: number | undefined): number {
  return Math.min(MAX_PAGE, Math.max(1, Math.floor(limit ?? 50)));
}

function timeRange<K extends string>(field: K, from?: Date, to?: Date): Partial<Record<K, { gte?: Date; lt?: Date }>> {
  if (!from && !to) return {};
  return { [field]: { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) } } as Partial<Record<K, { gte?: Date; lt?: Date }>>;
}

function seqCursor(cursor: string): bigint {
  if (!/^\d{1,19}$/.test(cursor)) throw validation('invalid cursor');
  return BigInt(cursor);
}

function uuidCursor(cursor: string): string {
  if (!UUID.test(cursor)) throw validation('invalid cursor');
  return cursor;
}
