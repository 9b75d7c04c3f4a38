import type { Direction, ExhaustionPolicy, LaneItemStatus, Prisma, PrismaClient } from '@whatpro/db';

/** The fields of a lane's head item the worker needs. */
export const HEAD_SELECT = {
  id: true,
  tenantId: true,
  seq: true,
  kind: true,
  payload: true,
  eventId: true,
  status: true,
  attempts: true,
  deferrals: true,
  nextAttemptAt: true,
  startedAt: true,
  updatedAt: true,
} satisfies Prisma.LaneItemSelect;

export type HeadItem = Prisma.LaneItemGetPayload<{ select: typeof HEAD_SELECT }>;

/** A lane this worker leased, with its instance's policy (read in the same statement). */
export interface ClaimedLane {
  id: string;
  tenantId: string;
  instanceId: string;
  direction: Direction;
  contactKey: string;
  fencingToken: bigint;
  maxAttempts: number;
  exhaustion: ExhaustionPolicy;
  backoffBaseMs: number;
  backoffMaxMs: number;
  minSendIntervalMs: number;
  nextSendAt: Date | null;
  /** The lane's head at claim time (lowest seq still to run), or null when it has none. */
  head: HeadItem | null;
}

interface ClaimRow {
  id: string;
  tenantId: string;
  instanceId: string;
  direction: Direction;
  contactKey: string;
  fencingToken: bigint;
  inboundMaxAttempts: number;
  outboundMaxAttempts: number;
  inboundExhaustion: ExhaustionPolicy;
  outboundExhaustion: ExhaustionPolicy;
  backoffBaseMs: number;
  backoffMaxMs: number;
  minSendIntervalMs: number;
  lanesNextSendAt: Date | null;
  h_id: string | null;
  h_tenantId: string;
  h_seq: bigint;
  h_kind: string;
  h_payload: Prisma.JsonValue;
  h_eventId: string | null;
  h_status: LaneItemStatus;
  h_attempts: number;
  h_deferrals: number;
  h_nextAttemptAt: Date | null;
  h_startedAt: Date | null;
  h_updatedAt: Date;
}

/**
 * Leases up to `limit` ready lanes in one statement: the lanes no other worker holds, whose instance
 * is not paused, oldest-ready first, each returned with its instance's policy and its head item. `SKIP LOCKED` lets any number of workers claim concurrently without
 * waiting on each other, and bumping the fencing token makes every earlier holder's completion stale.
 * Only lanes whose head is a kind this worker handles are taken (or lanes with nothing to do, to clear
 * them), so workers with different handler sets can share the tables: separate inbound and outbound
 * pools, or old and new versions during a rolling deploy. The status list mirrors PENDING_STATUSES.
 * This is the package's only raw SQL (Prisma cannot express SKIP LOCKED); every value is a bound
 * parameter of the tagged template.
 */
export interface ClaimScope {
  tenantIds?: string[];
  instanceIds?: string[];
}

export async function claimLanes(
  raw: PrismaClient,
  workerId: string,
  kinds: string[],
  limit: number,
  now: number,
  leaseMs: number,
  scope: ClaimScope = {},
): Promise<ClaimedLane[]> {
  const at = new Date(now);
  const until = new Date(now + leaseMs);
  // An empty list means "any": the parameters stay fixed in number and type, whatever the scope.
  const tenantIds = scope.tenantIds ?? [];
  const instanceIds = scope.instanceIds ?? [];
  const rows = await raw.$queryRaw<ClaimRow[]>`
    WITH picked AS (
      SELECT c.id, head.id AS "headId"
      FROM lanes c
      JOIN instances i ON i.id = c."instanceId"
      LEFT JOIN LATERAL (
        SELECT x.id, x.kind FROM lane_items x
        WHERE x."laneId" = c.id AND x.status IN ('QUEUED', 'RETRYING', 'UNKNOWN', 'RUNNING')
        ORDER BY x.seq
        LIMIT 1
      ) AS head ON TRUE
      WHERE c."readyAt" <= ${at}::timestamp(3)
        AND c."leaseOwner" IS NULL
        AND NOT c.blocked
        AND NOT i."lanesPaused"
        AND i."deletedAt" IS NULL
        AND (cardinality(${tenantIds}::uuid[]) = 0 OR c."tenantId" = ANY(${tenantIds}::uuid[]))
        AND (cardinality(${instanceIds}::uuid[]) = 0 OR c."instanceId" = ANY(${instanceIds}::uuid[]))
        AND (head.id IS NULL OR head.kind = ANY(${kinds}::text[]))
      ORDER BY c."readyAt"
      LIMIT ${limit}::int
      FOR UPDATE OF c SKIP LOCKED
    )
    UPDATE lanes AS l
    SET "leaseOwner" = ${workerId}::text,
        "leaseExpiresAt" = ${until}::timestamp(3),
        "fencingToken" = l."fencingToken" + 1,
        "updatedAt" = ${at}::timestamp(3)
    FROM picked
    JOIN instances AS i ON TRUE
    LEFT JOIN lane_items AS h ON h.id = picked."headId"
    WHERE l.id = picked.id AND i.id = l."instanceId"
    RETURNING l.id::text AS id, l."tenantId"::text AS "tenantId", l."instanceId"::text AS "instanceId",
      l.direction::text AS direction, l."contactKey", l."fencingToken",
      i."inboundMaxAttempts", i."outboundMaxAttempts", i."inboundExhaustion"::text AS "inboundExhaustion",
      i."outboundExhaustion"::text AS "outboundExhaustion", i."backoffBaseMs", i."backoffMaxMs",
      i."minSendIntervalMs", i."lanesNextSendAt",
      h.id::text AS "h_id", h."tenantId"::text AS "h_tenantId", h.seq AS "h_seq", h.kind AS "h_kind", h.payload AS "h_payload",
      h."eventId"::text AS "h_eventId", h.status::text AS "h_status", h.attempts AS "h_attempts", h.deferrals AS "h_deferrals",
      h."nextAttemptAt" AS "h_nextAttemptAt", h."startedAt" AS "h_startedAt", h."updatedAt" AS "h_updatedAt"`;
  return rows.map((r) => {
    const inbound = r.direction === 'INBOUND';
    return {
      id: r.id,
      tenantId: r.tenantId,
      instanceId: r.instanceId,
      direction: r.direction,
      contactKey: r.contactKey,
      fencingToken: BigInt(r.fencingToken),
      maxAttempts: inbound ? r.inboundMaxAttempts : r.outboundMaxAttempts,
      exhaustion: inbound ? r.inboundExhaustion : r.outboundExhaustion,
      backoffBaseMs: r.backoffBaseMs,
      backoffMaxMs: r.backoffMaxMs,
      minSendIntervalMs: r.minSendIntervalMs,
      nextSendAt: r.lanesNextSendAt,
      head:
        r.h_id === null
          ? null
          : {
              id: r.h_id,
              tenantId: r.h_tenantId,
              seq: BigInt(r.h_seq),
              kind: r.h_kind,
              payload: r.h_payload,
              eventId: r.h_eventId,
              status: r.h_status,
              attempts: r.h_attempts,
              deferrals: r.h_deferrals,
              nextAttemptAt: r.h_nextAttemptAt,
              startedAt: r.h_startedAt,
              updatedAt: r.h_updatedAt,
            },
    };
  });
}
