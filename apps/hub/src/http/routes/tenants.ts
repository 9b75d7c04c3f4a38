// Tenants, for platform administrators only.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubDeps } from '../../deps.ts';
import { authOf, requestMeta } from '../plugins/authz.ts';
import { newPasswordSchema } from './auth.ts';
import { memberSchema } from './users.ts';

const tenantSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  status: z.enum(['ACTIVE', 'DISABLED']),
  memberCount: z.number().int(),
  createdAt: z.date(),
});
const idParams = z.object({ id: z.uuid() });

export async function tenantRoutes(app: FastifyInstance, deps: HubDeps): Promise<void> {
  const { tenants } = authOf(deps);
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/tenants',
    {
      config: { permission: 'tenants:admin' },
      schema: { tags: ['tenants'], summary: 'List tenants', response: { 200: z.object({ items: z.array(tenantSchema) }) } },
    },
    async () => ({ items: await tenants.list() }),
  );

  r.post(
    '/tenants',
    {
      config: { permission: 'tenants:admin' },
      schema: {
        tags: ['tenants'],
        summary: 'Create a tenant, optionally with its first owner (an existing user by e-mail, or a new one)',
        body: z.object({
          name: z.string().trim().min(1).max(120),
          slug: z
            .string()
            .min(2)
            .max(48)
            .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
          owner: z
            .object({
              email: z.email().max(320),
              name: z.string().trim().min(1).max(120).optional(),
              password: newPasswordSchema.optional(),
            })
            .optional(),
        }),
        response: { 201: z.object({ tenant: tenantSchema, owner: memberSchema.nullable() }) },
      },
    },
    async (request, reply) => reply.code(201).send(await tenants.create(request.body, request.session!.userId, requestMeta(request))),
  );

  r.get(
    '/tenants/:id',
    {
      config: { permission: 'tenants:admin' },
      schema: { tags: ['tenants'], summary: 'One tenant', params: idParams, response: { 200: tenantSchema } },
    },
    async (request) => tenants.get(request.params.id),
  );

  r.patch(
    '/tenants/:id',
    {
      config: { permission: 'tenants:admin' },
      schema: {
        tags: ['tenants'],
        summary: 'Rename, disable or re-enable a tenant (disabling ends every login working in it)',
        params: idParams,
        body: z.object({ name: z.string().trim().min(1).max(120).optional(), status: z.enum(['ACTIVE', 'DISABLED']).optional() }),
        response: { 200: tenantSchema },
      },
    },
    async (request) => tenants.update(request.params.id, request.body, request.session!.userId, requestMeta(request)),
  );
}
