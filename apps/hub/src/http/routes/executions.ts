// The executions log: every attempt of every lane item, with what the item was, searchable.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubDeps } from '../../deps.ts';
import { searchExecutions } from '../../services/executions.ts';
import { csvOf, isoDate } from './lanes.ts';

const outcome = z.enum(['RUNNING', 'SUCCEEDED', 'RETRY', 'DEAD', 'LEASE_LOST', 'DEFERRED']);
const direction = z.enum(['INBOUND', 'OUTBOUND']);

const executionSchema = z.object({
  id: z.uuid(),
  laneItemId: z.uuid(),
  attempt: z.number().int(),
  workerId: z.string(),
  startedAt: z.date(),
  finishedAt: z.date().nullable(),
  durationMs: z.number().int().nullable(),
  outcome,
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  item: z.object({
    kind: z.string(),
    status: z.string(),
    seq: z.string(),
    direction,
    contactKey: z.string(),
    instanceId: z.uuid(),
  }),
});

export async function executionRoutes(app: FastifyInstance, deps: HubDeps): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/executions',
    {
      config: { permission: 'executions:read' },
      schema: {
        tags: ['executions'],
        summary: 'Search execution attempts, newest first; `outcome` takes a comma-separated list, `q` searches the error text',
        querystring: z.object({
          instanceId: z.uuid().optional(),
          outcome: csvOf(outcome).optional(),
          errorCode: z.string().max(100).optional(),
          direction: direction.optional(),
          contactKey: z.string().max(200).optional(),
          kind: z.string().max(100).optional(),
          laneItemId: z.uuid().optional(),
          from: isoDate.optional(),
          to: isoDate.optional(),
          q: z.string().trim().min(1).max(200).optional(),
          cursor: z.uuid().optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: z.object({ items: z.array(executionSchema), nextCursor: z.uuid().nullable() }) },
      },
    },
    async (request) => searchExecutions(deps.db, { tenantId: request.principal.tenantId, ...request.query }),
  );
}
