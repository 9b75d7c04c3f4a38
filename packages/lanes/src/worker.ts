import { randomUUID } from 'node:crypto';
import type { AttemptOutcome, Db, LaneItemStatus, Prisma, PrismaClient } from '@whatpro/db';
import type { Redis } from '@whatpro/platform';
import { backoffDelay } from './backoff.ts';
import { type ClaimedLane, type ClaimScope, claimLanes, HEAD_SELECT, type HeadItem } from './claim.ts';
import { wakeChannel } from './enqueue.ts';
import { classifyError, type Failure, LeaseLostError } from './errors.ts';
import { type DeadItem, type Handler, type HandlerItem, type LaneLogger, PENDING_STATUSES, silentLogger } from './types.ts';

export interface LaneWorkerOptions {
  /** The tenant-guarded client; workers cross tenants, so the worker uses its `$unguarded` client. */
  db: Db | PrismaClient;
  /** For wake-ups (a duplicate connection subscribes). Without it the worker relies on polling. */
  redis?: Redis | null;
  workerId?: string;
  handlers: Record<string, Handler>;
  /** Lanes processed at once by this worker (one item per lane at a time, always). */
  concurrency?: number;
  /** Lease length; renewed every third of it while an item runs. */
  leaseMs?: number;
  /** Fallback poll when no wake-up arrives (Redis down, backoffs due on another worker's lanes). */
  pollMs?: number;
  /** How often expired leases of dead workers are returned. */
  reapMs?: number;
  logger?: LaneLogger;
  /** Awaited after an item goes dead; its failures are logged and never stop the worker. */
  onDead?: (item: DeadItem, error: unknown) => unknown;
  /** Clock in epoch milliseconds (tests). */
  now?: () => number;
  /** Jitter source for backoff (tests). */
  random?: () => number;
  /** Only claim (and reap) lanes of these tenants / instances, e.g. dedicated workers; default: all. */
  scope?: ClaimScope;
}

export interface LaneWorker {
  readonly workerId: string;
  /** Number of lanes this worker holds right now. */
  readonly inFlight: number;
  start(): Promise<void>;
  /**
   * Stops claiming, lets in-flight items finish for up to `graceMs` (default: the lease), then aborts
   * the rest and returns their leases, marking their items `UNKNOWN` because the outside call may have
   * happened. Their late completions are rejected by the fencing token.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Claims now instead of waiting for a wake-up or the poll. */
  kick(): void;
  /** Returns expired leases now (normally on a timer); resolves to how many lanes were returned. */
  reap(): Promise<number>;
}

type Tx = Prisma.TransactionClient;

/** What returning a lease needs to know about a lane and its instance's policy. */
interface LaneRef {
  id: string;
  tenantId: string;
  instanceId: string;
  direction: ClaimedLane['direction'];
  contactKey: string;
  maxAttempts: number;
  exhaustion: ClaimedLane['exhaustion'];
}

/** Whose run a returned lease cuts short, for the execution log. */
interface LeaseHolder {
  workerId: string;
  fencingToken: bigint;
}

interface Run {
  lane: ClaimedLane;
  controller: AbortController;
  stopHeartbeat: () => void;
  done: Promise<void>;
}

type Outcome = { ok: true; result: unknown } | { ok: false; error: unknown };

// Interactive transactions here are a handful of indexed statements; the generous limits only matter
// when the pool is saturated under load, where Prisma's 2 s default wait would fail healthy work.
const TX = { maxWait: 15_000, timeout: 30_000 };

export function createLaneWorker(options: LaneWorkerOptions): LaneWorker {
  const raw: PrismaClient = '$unguarded' in options.db ? options.db.$unguarded('lane worker') : options.db;
  const workerId = options.workerId ?? `lanes-${randomUUID()}`;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const leaseMs = Math.max(100, options.leaseMs ?? 30_000);
  const pollMs = Math.max(10, options.pollMs ?? 1000);
  const reapMs = Math.max(10, options.reapMs ?? Math.min(5000, Math.floor(leaseMs / 2)));
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const handlers = options.handlers;
  const kinds = Object.keys(handlers);
  const scope = options.scope ?? {};
  const scopeWhere: Prisma.LaneWhereInput = {
    ...(scope.tenantIds?.length ? { tenantId: { in: scope.tenantIds } } : {}),
    ...(scope.instanceIds?.length ? { instanceId: { in: scope.instanceIds } } : {}),
  };

  const inFlight = new Map<string, Run>();
  const timers = new Set<NodeJS.Timeout>();
  let running = false;
  let ticking: Promise<void> | null = null;
  let again = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let reapTimer: NodeJS.Timeout | undefined;
  let sub: Redis | null = null;

  const fenced = (lane: ClaimedLane) => ({ id: lane.id, leaseOwner: workerId, fencingToken: lane.fencingToken });

  // ───────────── scheduling ─────────────

  function kick(): void {
    if (!running) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = (async () => {
      try {
        do {
          again = false;
          await fill();
        } while (again && running);
      } finally {
        ticking = null;
      }
    })();
  }

  async function fill(): Promise<void> {
    while (running && inFlight.size < concurrency) {
      const want = concurrency - inFlight.size;
      let lanes: ClaimedLane[];
      try {
        lanes = await claimLanes(raw, workerId, kinds, want, now(), leaseMs, scope);
      } catch (err) {
        logger.warn({ err, workerId }, 'lane claim failed; retrying on the next poll');
        return;
      }
      for (const lane of lanes) startRun(lane);
      if (lanes.length < want) return;
    }
  }

  /** Wakes this worker when a lane it put to sleep (backoff, deferral, rate limit) becomes due. */
  function scheduleAt(at: number): void {
    if (!running) return;
    const delay = at - now();
    if (delay <= 0) {
      kick();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      kick();
    }, delay + 1);
    timer.unref();
    timers.add(timer);
  }

  function sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done);
    });
  }

  // ───────────── one lane ─────────────

  function startRun(lane: ClaimedLane): void {
    const run: Run = { lane, controller: new AbortController(), stopHeartbeat: () => {}, done: Promise.resolve() };
    inFlight.set(lane.id, run);
    run.stopHeartbeat = startHeartbeat(run);
    run.done = processLane(run)
      .catch(async (err) => {
        logger.error({ err, workerId, laneId: lane.id }, 'lane run failed; returning its lease');
        await returnLease(lane, { workerId, fencingToken: lane.fencingToken }, fenced(lane), 'worker error while running the item').catch(
          (e) => logger.error({ err: e, laneId: lane.id }, 'returning the lease failed; the reaper will'),
        );
      })
      .finally(() => {
        run.stopHeartbeat();
        inFlight.delete(lane.id);
        kick();
      });
  }

  function startHeartbeat(run: Run): () => void {
    const timer = setInterval(
      () => {
        raw.lane
          .updateMany({ where: fenced(run.lane), data: { leaseExpiresAt: new Date(now() + leaseMs) } })
          .then((r) => {
            if (r.count === 0 && !run.controller.signal.aborted) {
              logger.warn({ workerId, laneId: run.lane.id }, 'lane lease lost; aborting the handler');
              run.controller.abort(new LeaseLostError());
            }
          })
          .catch((err) => logger.warn({ err, laneId: run.lane.id }, 'lease renewal failed'));
      },
      Math.max(20, Math.floor(leaseMs / 3)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  async function processLane(run: Run): Promise<void> {
    // A claim that completed after stop() began: hand the lane straight back.
    let head = running ? run.lane.head : null;
    // While the lane has ready work, keep the lease and go on with the next item (a "streak"), up to
    // a bound so lanes still take turns when there are more busy lanes than worker slots.
    for (let streak = 1; head; streak++) {
      const next = await processItem(run, head, running && streak < MAX_STREAK);
      if (next === 'done') return;
      head = next;
    }
    await settle(run);
  }

  /** Runs one head item; returns the next head when the lease was kept for it, 'done' otherwise. */
  async function processItem(run: Run, head: HeadItem, mayKeep: boolean): Promise<HeadItem | 'done'> {
    const { lane } = run;
    // Not ours to run (a streak reached an item of another kind): leave it for a worker that can.
    const handler = handlers[head.kind];
    if (!handler || (head.nextAttemptAt && head.nextAttemptAt.getTime() > now())) {
      await settle(run);
      return 'done';
    }
    const rateLimited = lane.direction === 'OUTBOUND' && lane.minSendIntervalMs > 0;
    if (rateLimited) {
      // The instance's sends are booked far ahead: give the worker slot back and return shortly
      // before the free slot, so one busy instance cannot tie up every worker.
      const interval = lane.minSendIntervalMs;
      const maxHold = Math.min(leaseMs / 2, Math.max(2 * interval, 250));
      const free = lane.nextSendAt?.getTime() ?? 0;
      if (free - now() > maxHold) {
        await settle(run, { notBefore: free - maxHold + Math.floor(random() * interval) });
        return 'done';
      }
    }

    const startedAt = now();
    // One statement: the item moves to RUNNING only if it is still in the state we read (an operator
    // may have skipped or purged it) and this worker still holds the lane's current lease. Its row in
    // the execution log is written with the outcome; a run that never reports is logged by whoever
    // returns its lease.
    const marked = await raw.laneItem.updateMany({
      where: { id: head.id, status: head.status, lane: { is: fenced(lane) } },
      data: { status: 'RUNNING', attempts: { increment: 1 }, startedAt: head.startedAt ?? new Date(startedAt), nextAttemptAt: null },
    });
    if (marked.count !== 1) {
      await settle(run);
      return 'done';
    }
    // RUNNING without a lease: its worker vanished in the instant between starting it and the reaper
    // looking. Log that lost run before this one.
    if (head.status === 'RUNNING')
      await logLostRun(raw, head, { workerId: 'unknown', fencingToken: 0n }, startedAt, 'run ended without a trace');

    if (rateLimited) {
      // Booked after the bookkeeping and just before the call, so the spacing holds between the
      // actual calls and does not stretch or shrink with database latency.
      const slotAt = await reserveSendSlot(lane, run.controller.signal);
      const wait = slotAt - now();
      if (wait > 0) await sleep(wait, run.controller.signal);
      // Lost the lease while waiting (the new holder reconciles), or forced to stop (stop() returns it).
      if (run.controller.signal.aborted) return 'done';
    }

    let outcome: Outcome;
    try {
      outcome = { ok: true, result: await handler(toHandlerItem(lane, head), { signal: run.controller.signal }) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    return complete(run, head, startedAt, outcome, mayKeep);
  }

  async function complete(run: Run, head: HeadItem, startedAt: number, outcome: Outcome, mayKeep: boolean): Promise<HeadItem | 'done'> {
    const { lane } = run;
    const finishedAt = now();
    const attempt = {
      tenantId: lane.tenantId,
      workerId,
      fencingToken: lane.fencingToken,
      startedAt: new Date(startedAt),
      finishedAt: new Date(finishedAt),
      durationMs: finishedAt - startedAt,
    };
    let itemData: Prisma.LaneItemUpdateManyMutationInput;
    let attemptData: Omit<Prisma.ExecutionAttemptUncheckedCreateInput, 'laneItemId' | 'attempt' | keyof typeof attempt>;
    let dead: Failure | null = null;

    if (outcome.ok) {
      const result = toJson(outcome.result);
      itemData = { status: 'SUCCEEDED', finishedAt: attempt.finishedAt, nextAttemptAt: null, ...(result === undefined ? {} : { result }) };
      attemptData = { outcome: 'SUCCEEDED' };
    } else {
      const f = classifyError(outcome.error);
      const errorFields = { lastErrorCode: f.code, lastError: f.message };
      const counted = head.attempts + 1;
      let attemptOutcome: AttemptOutcome;
      if (f.kind === 'defer') {
        // Undo the attempt counted when the run started: waiting is not failing.
        const wait = f.retryAfterMs ?? lane.backoffBaseMs;
        itemData = {
          status: restingStatus(head.status),
          attempts: { decrement: 1 },
          deferrals: { increment: 1 },
          nextAttemptAt: new Date(finishedAt + wait),
          ...errorFields,
        };
        attemptOutcome = 'DEFERRED';
      } else if (f.kind === 'dead' || counted >= lane.maxAttempts) {
        itemData = { status: 'DEAD', finishedAt: attempt.finishedAt, nextAttemptAt: null, ...errorFields };
        attemptOutcome = 'DEAD';
        dead = f;
      } else {
        const wait = f.retryAfterMs ?? backoffDelay(counted, { baseMs: lane.backoffBaseMs, maxMs: lane.backoffMaxMs }, random);
        itemData = { status: 'RETRYING', nextAttemptAt: new Date(finishedAt + wait), ...errorFields };
        attemptOutcome = 'RETRY';
      }
      attemptData = { outcome: attemptOutcome, errorCode: f.code, errorMessage: f.message };
    }

    const block = dead !== null && lane.exhaustion === 'BLOCK';
    const settled = await settle(run, {
      block,
      keep: mayKeep && dead === null,
      mutate: async (tx) => {
        // The log numbers every run of an item: deferred ones, lost ones and those before an
        // operator's retry included. An item that never started has none yet.
        const number = neverRan(head) ? 1 : (await tx.executionAttempt.count({ where: { laneItemId: head.id } })) + 1;
        // Two plain statements: a nested write would make Prisma read the item back as well.
        await tx.laneItem.updateMany({ where: { id: head.id }, data: itemData });
        await tx.executionAttempt.create({
          data: { ...attempt, ...attemptData, laneItemId: head.id, attempt: number },
          select: { id: true },
        });
      },
    });
    if (settled === 'lost') {
      logger.warn({ workerId, laneId: lane.id, itemId: head.id }, 'lane lease lost; this completion was rejected by the fencing token');
      return 'done';
    }
    if (dead) {
      const item = toHandlerItem(lane, head);
      await notifyDead(
        { ...item, errorCode: dead.code, errorMessage: dead.message, laneBlocked: block },
        outcome.ok ? null : outcome.error,
      );
    }
    return settled;
  }

  /**
   * Applies `mutate` while this worker still holds the lease, then either ends the lease and sets when
   * the lane is next due from its new head, or (with `keep`, when the new head is ready now and the
   * instance is not paused) keeps the lease and returns that head to run next.
   * Locking the lane row first serialises with enqueue, which updates the same row before inserting:
   * an item committed concurrently is always seen by one side or the other.
   */
  async function settle(
    run: Run,
    opts: { mutate?: (tx: Tx) => Promise<void>; block?: boolean; notBefore?: number; keep?: boolean } = {},
  ): Promise<HeadItem | 'done' | 'lost'> {
    const { lane } = run;
    const out = await raw.$transaction(async (tx) => {
      const owned = await tx.lane.updateMany({ where: fenced(lane), data: { leaseExpiresAt: new Date(now() + leaseMs) } });
      if (owned.count !== 1) return { owned: false, readyAt: null, next: null };
      if (opts.mutate) await opts.mutate(tx);
      const next = opts.block
        ? null
        : await tx.laneItem.findFirst({
            where: { laneId: lane.id, status: { in: PENDING_STATUSES } },
            orderBy: { seq: 'asc' },
            select: HEAD_SELECT,
          });
      const t = now();
      const readyAt = next ? Math.max(t, next.nextAttemptAt?.getTime() ?? 0, opts.notBefore ?? 0) : null;
      const data = { readyAt: readyAt === null ? null : new Date(readyAt), ...(opts.block ? { blocked: true } : {}) };
      // Keep the lease for a ready next item, unless the instance was paused (or deleted) meanwhile:
      // the condition rides on the update itself, so a streak costs no extra read. Policy edits apply
      // from the lane's next claim.
      let keep = false;
      if (opts.keep && next && handlers[next.kind] && readyAt !== null && readyAt <= t) {
        const kept = await tx.lane.updateMany({ where: { id: lane.id, instance: { is: { lanesPaused: false, deletedAt: null } } }, data });
        keep = kept.count === 1;
      }
      if (!keep) await tx.lane.updateMany({ where: { id: lane.id }, data: { ...data, leaseOwner: null, leaseExpiresAt: null } });
      return { owned: true, readyAt: keep ? null : readyAt, next: keep ? next : null };
    }, TX);
    if (!out.owned) return 'lost';
    if (out.readyAt !== null) scheduleAt(out.readyAt);
    return out.next ?? 'done';
  }

  /**
   * Books the instance's next send slot by compare-and-set on `lanesNextSendAt`, which every worker
   * process shares. The slot starts a few milliseconds ahead so the call happens by timer at the slot
   * rather than whenever the booking statement returned. Waiting for it is not an attempt.
   */
  async function reserveSendSlot(lane: ClaimedLane, signal: AbortSignal): Promise<number> {
    const interval = lane.minSendIntervalMs;
    const guard = Math.min(25, Math.floor(interval / 4));
    let seen = lane.nextSendAt;
    while (!signal.aborted) {
      const slot = Math.max(now() + guard, seen?.getTime() ?? 0);
      const taken = await raw.instance.updateMany({
        where: { id: lane.instanceId, lanesNextSendAt: seen },
        data: { lanesNextSendAt: new Date(slot + interval) },
      });
      if (taken.count === 1) {
        // Remembered for the next item of a streak, which would otherwise start from the claim's view.
        lane.nextSendAt = new Date(slot + interval);
        return slot;
      }
      const fresh = await raw.instance.findUnique({ where: { id: lane.instanceId }, select: { lanesNextSendAt: true } });
      seen = fresh?.lanesNextSendAt ?? null;
    }
    return now();
  }

  // ───────────── leases of dead or stopping workers ─────────────

  /**
   * Takes a lane's lease away (expired, or this worker is stopping) and bumps the fencing token so
   * the old holder's completion is rejected. A RUNNING item may have made its outside call: it becomes
   * UNKNOWN for the handler to reconcile, or DEAD when that was its last attempt.
   */
  async function returnLease(lane: LaneRef, holder: LeaseHolder, where: Prisma.LaneWhereInput, reason: string): Promise<boolean> {
    const deadItems: DeadItem[] = [];
    const t = now();
    const at = new Date(t);
    const returned = await raw.$transaction(async (tx) => {
      const r = await tx.lane.updateMany({
        where,
        data: { leaseOwner: null, leaseExpiresAt: null, fencingToken: { increment: 1 }, readyAt: at },
      });
      if (r.count !== 1) return false;
      const running = await tx.laneItem.findMany({
        where: { laneId: lane.id, status: 'RUNNING' },
        orderBy: { seq: 'asc' },
        select: HEAD_SELECT,
      });
      let block = false;
      for (const item of running) {
        const exhausted = item.attempts >= lane.maxAttempts;
        const error = { lastErrorCode: 'LEASE_LOST', lastError: reason };
        // Conditional: a run that the old holder marked RUNNING after this transaction read is left
        // for the next holder, which sees it RUNNING and treats it as unknown.
        const flipped = await tx.laneItem.updateMany({
          where: { id: item.id, status: 'RUNNING' },
          data: exhausted ? { status: 'DEAD', finishedAt: at, ...error } : { status: 'UNKNOWN', ...error },
        });
        if (flipped.count !== 1) continue;
        await logLostRun(tx, item, holder, t, reason);
        if (exhausted) {
          block ||= lane.exhaustion === 'BLOCK';
          deadItems.push({
            ...toHandlerItem(lane, item),
            attempt: item.attempts,
            errorCode: 'LEASE_LOST',
            errorMessage: reason,
            laneBlocked: lane.exhaustion === 'BLOCK',
          });
        }
      }
      if (block) await tx.lane.update({ where: { id: lane.id }, data: { blocked: true, readyAt: null } });
      return true;
    }, TX);
    for (const d of deadItems) await notifyDead(d, new LeaseLostError(reason));
    if (returned) kick();
    return returned;
  }

  async function reap(): Promise<number> {
    const cutoff = new Date(now());
    const expired = await raw.lane.findMany({
      // Only lanes whose running item is a kind this worker handles: its onDead and its policy apply.
      where: {
        ...scopeWhere,
        leaseOwner: { not: null },
        leaseExpiresAt: { lt: cutoff },
        items: { none: { status: 'RUNNING', kind: { notIn: kinds } } },
      },
      take: 100,
      select: {
        id: true,
        tenantId: true,
        instanceId: true,
        direction: true,
        contactKey: true,
        fencingToken: true,
        leaseOwner: true,
        instance: { select: { inboundMaxAttempts: true, outboundMaxAttempts: true, inboundExhaustion: true, outboundExhaustion: true } },
      },
    });
    let returned = 0;
    for (const l of expired) {
      const inbound = l.direction === 'INBOUND';
      const ref: LaneRef = {
        ...l,
        maxAttempts: inbound ? l.instance.inboundMaxAttempts : l.instance.outboundMaxAttempts,
        exhaustion: inbound ? l.instance.inboundExhaustion : l.instance.outboundExhaustion,
      };
      const where = { id: l.id, fencingToken: l.fencingToken, leaseExpiresAt: { lt: cutoff } };
      const holder = { workerId: l.leaseOwner ?? 'unknown', fencingToken: l.fencingToken };
      if (await returnLease(ref, holder, where, `lease of worker ${l.leaseOwner} expired`)) {
        returned++;
        logger.warn({ workerId, laneId: l.id, previousOwner: l.leaseOwner }, 'returned an expired lane lease');
      }
    }
    return returned;
  }

  async function notifyDead(item: DeadItem, error: unknown): Promise<void> {
    logger.warn({ workerId, itemId: item.id, laneBlocked: item.laneBlocked, errorCode: item.errorCode }, 'lane item is dead');
    if (!options.onDead) return;
    try {
      await options.onDead(item, error);
    } catch (err) {
      logger.error({ err, itemId: item.id }, 'onDead failed');
    }
  }

  // ───────────── lifecycle ─────────────

  async function start(): Promise<void> {
    if (running) return;
    running = true;
    pollTimer = setInterval(kick, pollMs);
    reapTimer = setInterval(() => {
      reap().catch((err) => logger.warn({ err, workerId }, 'lease reaper failed'));
    }, reapMs);
    if (options.redis) {
      const s = options.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: false });
      sub = s;
      s.on('error', (err: Error) => logger.debug({ err, workerId }, 'lane wake-up subscription error'));
      s.on('message', () => kick());
      // After an outage, catch up at once rather than at the next poll.
      s.on('ready', () => kick());
      s.subscribe(wakeChannel(options.redis)).catch((err: unknown) => logger.warn({ err, workerId }, 'lane wake-up subscribe failed'));
    }
    logger.info({ workerId, concurrency, leaseMs, pollMs }, 'lane worker started');
    kick();
  }

  async function stop(opts: { graceMs?: number } = {}): Promise<void> {
    if (!running) return;
    running = false;
    clearInterval(pollTimer);
    clearInterval(reapTimer);
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    sub?.disconnect();
    sub = null;
    await ticking;
    const graceMs = opts.graceMs ?? leaseMs;
    if (!(await settledWithin(graceMs))) {
      for (const run of inFlight.values()) run.controller.abort(new Error('lane worker stopping'));
      if (!(await settledWithin(Math.min(1000, graceMs)))) {
        for (const run of [...inFlight.values()]) {
          await returnLease(
            run.lane,
            { workerId, fencingToken: run.lane.fencingToken },
            fenced(run.lane),
            'worker stopped before the item finished',
          ).catch((err) => logger.error({ err, laneId: run.lane.id }, 'returning the lease failed; the reaper will'));
        }
      }
    }
    logger.info({ workerId }, 'lane worker stopped');
  }

  async function settledWithin(ms: number): Promise<boolean> {
    if (inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const all = Promise.all([...inFlight.values()].map((r) => r.done)).then(() => true);
    const done = await Promise.race([all, timeout]);
    clearTimeout(timer);
    return done;
  }

  return {
    workerId,
    get inFlight() {
      return inFlight.size;
    },
    start,
    stop,
    kick,
    reap,
  };
}

// Consecutive items one lease may run before the lane goes back to the pool.
const MAX_STREAK = 20;

// A run that was interrupted may already have done its outside call; that doubt survives a deferral.
function restingStatus(status: LaneItemStatus): LaneItemStatus {
  return status === 'RUNNING' ? 'UNKNOWN' : status;
}

function neverRan(item: HeadItem): boolean {
  return item.attempts + item.deferrals === 0 && item.startedAt === null;
}

/**
 * Writes the log row of a run whose worker never reported: it started when the item became RUNNING
 * (its last update) and ended, for all anyone knows, now.
 */
async function logLostRun(client: Tx, item: HeadItem, holder: LeaseHolder, t: number, reason: string): Promise<void> {
  const number = (await client.executionAttempt.count({ where: { laneItemId: item.id } })) + 1;
  await client.executionAttempt.create({
    data: {
      tenantId: item.tenantId,
      laneItemId: item.id,
      attempt: number,
      workerId: holder.workerId,
      fencingToken: holder.fencingToken,
      startedAt: item.updatedAt,
      finishedAt: new Date(t),
      durationMs: Math.max(0, t - item.updatedAt.getTime()),
      outcome: 'LEASE_LOST',
      errorCode: 'LEASE_LOST',
      errorMessage: reason,
    },
  });
}

function toHandlerItem(lane: Pick<LaneRef, 'instanceId' | 'direction' | 'contactKey'>, item: HeadItem): HandlerItem {
  return {
    id: item.id,
    tenantId: item.tenantId,
    instanceId: lane.instanceId,
    direction: lane.direction,
    contactKey: lane.contactKey,
    kind: item.kind,
    payload: item.payload,
    eventId: item.eventId,
    seq: item.seq,
    attempt: item.attempts + 1,
    previousOutcomeUnknown: item.status === 'UNKNOWN' || item.status === 'RUNNING',
  };
}

function toJson(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as Prisma.InputJsonValue);
  } catch {
    return { unserializable: String(value) };
  }
}
