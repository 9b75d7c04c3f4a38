export {
  type AttemptView,
  createLaneAdmin,
  type ItemDetail,
  type ItemSummary,
  type LaneAdmin,
  type LaneAdminOptions,
  type LaneCounts,
  type LaneSummary,
  type ListItemsFilter,
  type ListLanesFilter,
  type Page,
} from './admin.ts';
export { type BackoffBounds, backoffDelay } from './backoff.ts';
export type { ClaimScope } from './claim.ts';
export { type EnqueueClient, type EnqueueInput, enqueue, wake, wakeChannel } from './enqueue.ts';
export { classifyError, type Failure, LaneDeferral, LeaseLostError } from './errors.ts';
export type { DeadItem, Direction, Handler, HandlerContext, HandlerItem, LaneLogger } from './types.ts';
export { createLaneWorker, type LaneWorker, type LaneWorkerOptions } from './worker.ts';
