// The active tenant's audit log, for owners and admins.
import { listAudit } from '@whatpro/auth';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubDeps } from '../../deps.ts';

const entrySchema = z.object({
  id: z.uuid(),
  tenantId: z.uuid().nullable(),
  actorUserId: z.uuid().nullable(),
  action: z.string(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  metadata: z.unknown(),
  ip: z.string().nullable(),
  createdAt: z.date(),
});

export async function auditRoutes(app: FastifyInstance, deps: HubDeps): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'Audit log of the active tenant, newest first (page with `before` = the previous page’s `nextBefore`)',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          before: z.uuid().optional(),
          action: z.string().max(64).optional(),
          actorUserId: z.uuid().optional(),
        }),
        response: { 200: z.object({ items: z.array(entrySchema), nextBefore: z.uuid().nullable() }) },
      },
    },
    async (request) => listAudit(deps.db, request.principal.tenantId, request.query),
  );
}
