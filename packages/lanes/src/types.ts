import type { Direction, ExhaustionPolicy, LaneItemStatus, Prisma } from '@whatpro/db';

export type { Direction, ExhaustionPolicy, LaneItemStatus };
export type JsonValue = Prisma.InputJsonValue;

/** What a handler is given: the item, and whether a previous run may already have done the outside call. */
export interface HandlerItem {
  id: string;
  tenantId: string;
  instanceId: string;
  direction: Direction;
  contactKey: string;
  kind: string;
  payload: unknown;
  eventId: string | null;
  seq: bigint;
  /** 1 for the first counted attempt; deferrals do not advance it. */
  attempt: number;
  /**
   * A worker died (or lost its lease) while running this item, so the outside call may have happened.
   * The handler reconciles (e.g. looks for the provider echo carrying our track id) before resending.
   */
  previousOutcomeUnknown: boolean;
}

export interface HandlerContext {
  /** Aborted when the lease is lost or the worker is forced to stop; pass it to outside calls. */
  signal: AbortSignal;
}

export type Handler = (item: HandlerItem, ctx: HandlerContext) => Promise<unknown>;

/** A dead item as `onDead` sees it. */
export interface DeadItem extends HandlerItem {
  errorCode: string;
  errorMessage: string;
  /** True when the instance's policy blocks the lane until an operator acts. */
  laneBlocked: boolean;
}

/** pino's Logger fits; so does anything with these four methods. */
export interface LaneLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: LaneLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Statuses of items still to run; the lowest `seq` among them is the lane's head. */
export const PENDING_STATUSES: LaneItemStatus[] = ['QUEUED', 'RETRYING', 'UNKNOWN', 'RUNNING'];
/** Statuses an operator purge cancels (a RUNNING item is mid-call and finishes on its own). */
export const WAITING_STATUSES: LaneItemStatus[] = ['QUEUED', 'RETRYING', 'UNKNOWN'];
