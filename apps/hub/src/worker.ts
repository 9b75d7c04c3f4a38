// The worker role: lane workers that run the inbound and outbound handlers for every tenant.
import { type ClaimScope, createLaneWorker, type LaneWorker } from '@whatpro/lanes';
import type { HubDeps } from './deps.ts';
import { createInboundHandler } from './flows/inbound.ts';
import { createOutboundHandlers } from './flows/outbound.ts';
import { LANE_KINDS } from './flows/payloads.ts';
import { InstanceContexts } from './services/instance-context.ts';
import { subscribeInstanceChanged } from './services/instance-events.ts';

export interface WorkerOptions {
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
  workerId?: string;
  /** Outside-call timeouts; shorter in tests. */
  providerTimeoutMs?: number;
  chatwootTimeoutMs?: number;
  fetch?: typeof fetch;
  /** Only these tenants' or instances' lanes (dedicated workers; tests sharing one database). */
  scope?: ClaimScope;
}

export function createHubWorker(deps: HubDeps, options: WorkerOptions = {}): { worker: LaneWorker; contexts: InstanceContexts } {
  // Status, settings and links change elsewhere; drop the cached copy as soon as they do.
  const contexts = new InstanceContexts(deps, {
    providerTimeoutMs: options.providerTimeoutMs ?? 20_000,
    chatwootTimeoutMs: options.chatwootTimeoutMs ?? 15_000,
    fetch: options.fetch,
  });
  const outbound = createOutboundHandlers(deps, contexts, { fetch: options.fetch });
  const unsubscribe = subscribeInstanceChanged(deps.redis, (id) => contexts.invalidate(id));
  const worker = createLaneWorker({
    db: deps.db,
    redis: deps.redis,
    workerId: options.workerId,
    concurrency: options.concurrency ?? 32,
    leaseMs: options.leaseMs ?? 60_000,
    pollMs: options.pollMs ?? 1_000,
    logger: deps.logger.child({ component: 'lanes' }),
    handlers: { [LANE_KINDS.inboundEvent]: createInboundHandler(deps, contexts), ...outbound.handlers },
    onDead: (item) => outbound.onDead(item),
    scope: options.scope,
  });
  const stop = worker.stop.bind(worker);
  worker.stop = async (opts) => {
    unsubscribe();
    await stop(opts);
  };
  return { worker, contexts };
}
