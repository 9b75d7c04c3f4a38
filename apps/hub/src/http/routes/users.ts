// Members of the active tenant. Every lookup is by (tenant, user), so another tenant's user is a 404.
import { ROLES } from '@whatpro/auth';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubDeps } from '../../deps.ts';
import { authOf, requestMeta } from '../plugins/authz.ts';
import { newPasswordSchema } from './auth.ts';

export const memberSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  status: z.enum(['ACTIVE', 'DISABLED']),
  lastLoginAt: z.date().nullable(),
  joinedAt: z.date(),
});
const idParams = z.object({ id: z.uuid() });

export async function userRoutes(app: FastifyInstance, deps: HubDeps): Promise<void> {
  const { members } = authOf(deps);
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/users',
    {
      config: { permission: 'users:read' },
      schema: { tags: ['users'], summary: 'Members of the active tenant', response: { 200: z.object({ items: z.array(memberSchema) }) } },
    },
    async (request) => ({ items: await members.list(request.principal.tenantId) }),
  );

  r.post(
    '/users',
    {
      config: { permission: 'users:write' },
      schema: {
        tags: ['users'],
        summary: 'Add a member: an existing user by e-mail, or a new user (then a password is required)',
        body: z.object({
          email: z.email().max(320),
          role: z.enum(ROLES),
          name: z.string().trim().min(1).max(120).optional(),
          password: newPasswordSchema.optional(),
        }),
        response: { 201: memberSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await members.add(request.principal, request.body, requestMeta(request))),
  );

  r.get(
    '/users/:id',
    {
      config: { permission: 'users:read' },
      schema: { tags: ['users'], summary: 'One member of the active tenant', params: idParams, response: { 200: memberSchema } },
    },
    async (request) => members.get(request.principal.tenantId, request.params.id),
  );

  r.patch(
    '/users/:id',
    {
      config: { permission: 'users:write' },
      schema: {
        tags: ['users'],
        summary: 'Change a member’s role, name or status (owners only for the owner role)',
        params: idParams,
        body: z.object({
          role: z.enum(ROLES).optional(),
          status: z.enum(['ACTIVE', 'DISABLED']).optional(),
          name: z.string().trim().min(1).max(120).optional(),
        }),
        response: { 200: memberSchema },
      },
    },
    async (request) => members.update(request.principal, request.params.id, request.body, requestMeta(request)),
  );

  r.delete(
    '/users/:id',
    {
      config: { permission: 'users:write' },
      schema: { tags: ['users'], summary: 'Remove a member from the active tenant', params: idParams, response: { 204: z.null() } },
    },
    async (request, reply) => {
      await members.remove(request.principal, request.params.id, requestMeta(request));
      return reply.code(204).send(null);
    },
  );
}
