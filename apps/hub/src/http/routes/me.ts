// The caller: who they are, where they are a member, and which tenant they are working in.
import { permissionsOf, ROLES, userViewSelect } from '@whatpro/auth';
import { notFound } from '@whatpro/platform';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubDeps } from '../../deps.ts';
import { authOf, requestMeta } from '../plugins/authz.ts';
import { membershipSchema, userSchema } from './auth.ts';

export async function meRoutes(app: FastifyInstance, deps: HubDeps): Promise<void> {
  const { sessions } = authOf(deps);
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/me',
    {
      config: { permission: 'me' },
      schema: {
        tags: ['me'],
        summary: 'The caller, their memberships, the active tenant and what they may do in it',
        response: {
          200: z.object({
            user: userSchema,
            tenants: z.array(membershipSchema),
            activeTenant: z.object({ id: z.uuid(), name: z.string(), slug: z.string(), role: z.enum(ROLES) }).nullable(),
            permissions: z.array(z.string()),
          }),
        },
      },
    },
    async (request) => {
      const session = request.session!;
      const user = await deps.db.user.findUnique({ where: { id: session.userId }, select: userViewSelect });
      if (!user) throw notFound('user');
      const tenants = await sessions.membershipsOf(session.userId);
      const active = tenants.find((t) => t.tenantId === session.tenantId);
      return {
        user,
        tenants,
        activeTenant: active ? { id: active.tenantId, name: active.tenantName, slug: active.tenantSlug, role: active.role } : null,
        permissions: permissionsOf(session.role, session.isPlatformAdmin),
      };
    },
  );

  r.put(
    '/me/active-tenant',
    {
      config: { permission: 'me' },
      schema: {
        tags: ['me'],
        summary: 'Switch the active tenant (membership re-checked); answers a new access token',
        body: z.object({ tenantId: z.uuid() }),
        response: { 200: z.object({ accessToken: z.string(), accessTokenExpiresAt: z.date(), activeTenantId: z.uuid() }) },
      },
    },
    async (request) => sessions.switchTenant(request.session!, request.body.tenantId, requestMeta(request)),
  );
}
