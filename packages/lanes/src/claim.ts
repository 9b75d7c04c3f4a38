import type { Direction, ExhaustionPolicy, PrismaClient } from '@whatpro/db';

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
}

/**
 * Leases up to `limit` ready lanes in one statement: the lanes no other worker holds, whose instance
 * is not paused, oldest-ready first. `SKIP LOCKED` lets any number of workers claim concurrently without
 * waiting on each other, and bumping the fencing token makes every earlier holder's completion stale.
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
      SELECT c.id
      FROM lanes c
      JOIN instances i ON i.id = c."instanceId"
      WHERE c."readyAt" <= ${at}::timestamp(3)
        AND c."leaseOwner" IS NULL
        AND NOT c.blocked
        AND NOT i."lanesPaused"
        AND i."deletedAt" IS NULL
        AND (cardinality(${tenantIds}::uuid[]) = 0 OR c."tenantId" = ANY(${tenantIds}::uuid[]))
        AND (cardinality(${instanceIds}::uuid[]) = 0 OR c."instanceId" = ANY(${instanceIds}::uuid[]))
      ORDER BY c."readyAt"
      LIMIT ${limit}::int
      FOR UPDATE OF c SKIP LOCKED
    )
    UPDATE lanes AS l
    SET "leaseOwner" = ${workerId}::text,
        "leaseExpiresAt" = ${until}::timestamp(3),
        "fencingToken" = l."fencingToken" + 1,
        "updatedAt" = ${at}::timestamp(3)
    FROM picked, instances AS i
    WHERE l.id = picked.id AND i.id = l."instanceId"
    RETURNING l.id::text AS id, l."tenantId"::text AS "tenantId", l."instanceId"::text AS "instanceId",
      l.direction::text AS direction, l."contactKey", l."fencingToken",
      i."inboundMaxAttempts", i."outboundMaxAttempts", i."inboundExhaustion"::text AS "inboundExhaustion",
      i."outboundExhaustion"::text AS "outboundExhaustion", i."backoffBaseMs", i."backoffMaxMs",
      i."minSendIntervalMs", i."lanesNextSendAt"`;
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
    };
  });
}
