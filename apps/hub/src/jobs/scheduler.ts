// Scheduled maintenance for the worker role (ARCHITECTURE §1: BullMQ on Redis): the instance sync and
// the retention sweep. Job schedulers are upserted by id, so any number of worker processes can start
// this and each run still happens once per interval, on whichever process picks it up.
import { createRedis, type Redis } from '@whatpro/platform';
import { type Job, Queue, Worker } from 'bullmq';
import type { HubDeps } from '../deps.ts';
import type { ProvisioningDeps } from '../services/mgmt.ts';
import { syncInstances } from '../services/provisioning.ts';
import { runRetention } from './retention.ts';

export const MAINTENANCE_QUEUE = 'maintenance';
export const JOBS = { instanceSync: 'instance-sync', retention: 'retention' } as const;

export interface SchedulerOptions {
  /** Defaults to INSTANCE_SYNC_INTERVAL_SECONDS. */
  syncIntervalMs?: number;
  /** How often retention runs (default hourly; it is cheap when there is nothing to delete). */
  retentionIntervalMs?: number;
  /** Defaults to RETENTION_DAYS. */
  retentionDays?: number;
  /** Restricts both jobs to one tenant (tests sharing a database); unset in production: every tenant. */
  tenantId?: string;
}

export type SchedulerDeps = Pick<HubDeps, 'env' | 'db' | 'logger' | 'secretBox'> & Omit<ProvisioningDeps, 'env'>;

/** Starts the schedulers and the job worker; resolves to a function that stops both. */
export async function startScheduler(deps: SchedulerDeps, options: SchedulerOptions = {}): Promise<() => Promise<void>> {
  const log = deps.logger.child({ component: 'scheduler' });
  // BullMQ needs connections of its own: blocking commands, its own key prefix, and no request retry limit.
  const connections: Redis[] = [];
  const connection = () => {
    const redis = createRedis({ url: deps.env.REDIS_URL }, { maxRetriesPerRequest: null, enableOfflineQueue: true });
    redis.on('error', (error) => log.warn({ err: error }, 'scheduler redis connection error'));
    connections.push(redis);
    return redis;
  };
  const prefix = `${deps.env.REDIS_KEY_PREFIX}bull`;
  const retentionDays = options.retentionDays ?? deps.env.RETENTION_DAYS;

  const queue = new Queue(MAINTENANCE_QUEUE, {
    connection: connection(),
    prefix,
    defaultJobOptions: { removeOnComplete: 50, removeOnFail: 200 },
  });
  await queue.upsertJobScheduler(
    JOBS.instanceSync,
    { every: options.syncIntervalMs ?? deps.env.INSTANCE_SYNC_INTERVAL_SECONDS * 1000 },
    { name: JOBS.instanceSync },
  );
  await queue.upsertJobScheduler(JOBS.retention, { every: options.retentionIntervalMs ?? 3_600_000 }, { name: JOBS.retention });

  const run = async (job: Job) => {
    switch (job.name) {
      case JOBS.instanceSync: {
        const result = await syncInstances(deps, options.tenantId ? { tenantId: options.tenantId } : {});
        log.info(
          {
            job: job.id,
            servers: result.servers.length,
            failed: result.servers.filter((s) => !s.ok).length,
            updated: result.updated.length,
            missing: result.missing.length,
            unknown: result.unknown.length,
          },
          'instance sync done',
        );
        return { updated: result.updated.length, missing: result.missing.length, unknown: result.unknown.length };
      }
      case JOBS.retention: {
        const result = await runRetention(deps, { retentionDays, tenantId: options.tenantId });
        log.info({ job: job.id, ...result }, 'retention done');
        return result;
      }
      default:
        log.warn({ job: job.id, name: job.name }, 'unknown maintenance job');
        return null;
    }
  };
  const worker = new Worker(MAINTENANCE_QUEUE, run, { connection: connection(), prefix, concurrency: 1 });
  worker.on('failed', (job, error) => log.error({ err: error, job: job?.id, name: job?.name }, 'maintenance job failed'));
  worker.on('error', (error) => log.warn({ err: error }, 'maintenance worker error'));

  return async () => {
    await worker.close();
    await queue.close();
    await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
  };
}
