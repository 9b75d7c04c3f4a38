// Operator controls over the per-contact lanes (ARCHITECTURE §5, invariant 6): list lanes and items,
// inspect an item with every attempt, retry, skip, purge, pause and resume, and the dashboard counts.
import { createLaneAdmin } from '@whatpro/lanes';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubDeps } from '../../deps.ts';
import { notifyChanged } from '../../services/mgmt.ts';
import { idParams } from './provider-servers.ts';

const ITEM_STATUSES = ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'DEAD', 'SKIPPED', 'CANCELLED', 'UNKNOWN'] as const;
const direction = z.enum(['INBOUND', 'OUTBOUND']);
const itemStatus = z.enum(ITEM_STATUSES);

/** `a,b,c` in a query string → a validated list. */
export function csvOf<T extends z.ZodType<unknown, string>>(item: T) {
  return z
    .string()
    .max(500)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1));
}
export const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const bool = z.enum(['true', 'false']).transform((s) => s === 'true');
export const pageLimit = z.coerce.number().int().min(1).max(500).default(50);
const contactKey = z.string().min(1).max(200);

const laneSchema = z.object({
  id: z.uuid(),
  instanceId: z.uuid(),
  direction,
  contactKey: z.string(),
  blocked: z.boolean(),
  leased: z.boolean(),
  readyAt: z.date().nullable(),
  pending: z.number().int(),
  dead: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const itemSchema = z.object({
  id: z.uuid(),
  laneId: z.uuid(),
  instanceId: z.uuid(),
  direction,
  contactKey: z.string(),
  seq: z.string(),
  kind: z.string(),
  status: itemStatus,
  attempts: z.number().int(),
  deferrals: z.number().int(),
  eventId: z.uuid().nullable(),
  nextAttemptAt: z.date().nullable(),
  lastErrorCode: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
});

const itemDetailSchema = itemSchema.extend({
  payload: z.unknown(),
  result: z.unknown(),
  laneBlocked: z.boolean(),
  attemptsLog: z.array(
    z.object({
      attempt: z.number().int(),
      workerId: z.string(),
      fencingToken: z.string(),
      startedAt: z.date(),
      finishedAt: z.date().nullable(),
      durationMs: z.number().int().nullable(),
      outcome: z.string(),
      errorCode: z.string().nullable(),
      errorMessage: z.string().nullable(),
    }),
  ),
});

const countsSchema = z.object({
  items: z.object(
    Object.fromEntries(ITEM_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof ITEM_STATUSES)[number], z.ZodNumber>,
  ),
  lanes: z.object({ total: z.number().int(), blocked: z.number().int(), leased: z.number().int(), ready: z.number().int() }),
});

export async function laneRoutes(app: FastifyInstance, deps: HubDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const admin = createLaneAdmin(deps.db, { redis: deps.redis });
  const tags = ['lanes'];

  r.get(
    '/lanes',
    {
      config: { permission: 'lanes:read' },
      schema: {
        tags,
        summary: 'Lanes (instance × direction × contact), newest first; page with `cursor` = the previous `nextCursor`',
        querystring: z.object({
          instanceId: z.uuid().optional(),
          contactKey: contactKey.optional(),
          direction: direction.optional(),
          blocked: bool.optional(),
          from: isoDate.optional(),
          to: isoDate.optional(),
          cursor: z.string().max(64).optional(),
          limit: pageLimit,
        }),
        response: { 200: z.object({ items: z.array(laneSchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => {
      const page = await admin.listLanes({ tenantId: request.principal.tenantId, ...request.query });
      return { items: page.rows, nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/lanes/counts',
    {
      config: { permission: 'lanes:read' },
      schema: {
        tags,
        summary: 'Items per state and lanes blocked / running / ready, for the tenant or one instance',
        querystring: z.object({ instanceId: z.uuid().optional() }),
        response: { 200: countsSchema },
      },
    },
    async (request) => admin.counts({ tenantId: request.principal.tenantId, ...request.query }),
  );

  r.get(
    '/lanes/items',
    {
      config: { permission: 'lanes:read' },
      schema: {
        tags,
        summary: 'Lane items, newest first by default; `status` takes a comma-separated list',
        querystring: z.object({
          status: csvOf(itemStatus).optional(),
          kind: z.string().max(100).optional(),
          instanceId: z.uuid().optional(),
          laneId: z.uuid().optional(),
          contactKey: contactKey.optional(),
          direction: direction.optional(),
          from: isoDate.optional(),
          to: isoDate.optional(),
          order: z.enum(['asc', 'desc']).optional(),
          cursor: z.string().max(64).optional(),
          limit: pageLimit,
        }),
        response: { 200: z.object({ items: z.array(itemSchema), nextCursor: z.string().nullable() }) },
      },
    },
    async (request) => {
      const page = await admin.listItems({ tenantId: request.principal.tenantId, ...request.query });
      return { items: page.rows, nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/lanes/items/:id',
    {
      config: { permission: 'lanes:read' },
      schema: { tags, summary: 'One lane item with every attempt', params: idParams, response: { 200: itemDetailSchema } },
    },
    async (request) => admin.getItem({ tenantId: request.principal.tenantId, itemId: request.params.id }),
  );

  r.post(
    '/lanes/items/:id/retry',
    {
      config: { permission: 'lanes:operate' },
      schema: {
        tags,
        summary: 'Give a dead item a fresh attempt budget at the head of its lane (unblocks the lane)',
        params: idParams,
        response: { 200: itemDetailSchema },
      },
    },
    async (request) => admin.retryItem({ tenantId: request.principal.tenantId, itemId: request.params.id }),
  );

  r.post(
    '/lanes/items/:id/skip',
    {
      config: { permission: 'lanes:operate' },
      schema: { tags, summary: 'Skip a dead or waiting item so its lane moves on', params: idParams, response: { 200: itemDetailSchema } },
    },
    async (request) => admin.skipItem({ tenantId: request.principal.tenantId, itemId: request.params.id }),
  );

  r.post(
    '/instances/:id/lanes/purge',
    {
      config: { permission: 'lanes:operate' },
      schema: {
        tags,
        summary: 'Cancel the waiting items of one contact (`contactKey`) or of the whole instance',
        params: idParams,
        body: z.object({ contactKey: contactKey.optional(), direction: direction.optional() }).optional(),
        response: { 200: z.object({ cancelled: z.number().int() }) },
      },
    },
    async (request) => admin.purge({ tenantId: request.principal.tenantId, instanceId: request.params.id, ...request.body }),
  );

  for (const [action, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    r.post(
      `/instances/:id/lanes/${action}`,
      {
        config: { permission: 'lanes:operate' },
        schema: {
          tags,
          summary: paused
            ? 'Stop workers from taking the instance’s items (they keep their places)'
            : 'Let workers take the instance’s items again',
          params: idParams,
          response: { 200: z.object({ instanceId: z.uuid(), lanesPaused: z.boolean() }) },
        },
      },
      async (request) => {
        const target = { tenantId: request.principal.tenantId, instanceId: request.params.id };
        await (paused ? admin.pauseInstance(target) : admin.resumeInstance(target));
        notifyChanged(deps, target.instanceId);
        return { instanceId: target.instanceId, lanesPaused: paused };
      },
    );
  }
}
