// Login, refresh, logout and password change. Responses are built from explicit schemas, so nothing
// else a row holds (password hashes, token hashes) can reach a client.
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, ROLES } from '@whatpro/auth';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubDeps } from '../../deps.ts';
import { authOf, requestMeta } from '../plugins/authz.ts';

const status = z.enum(['ACTIVE', 'DISABLED']);

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  locale: z.string(),
  isPlatformAdmin: z.boolean(),
  status,
  lastLoginAt: z.date().nullable(),
  createdAt: z.date(),
});

export const membershipSchema = z.object({
  tenantId: z.uuid(),
  tenantName: z.string(),
  tenantSlug: z.string(),
  tenantStatus: status,
  role: z.enum(ROLES),
});

const tokenPairSchema = z.object({
  accessToken: z.string(),
  accessTokenExpiresAt: z.date(),
  refreshToken: z.string(),
  refreshTokenExpiresAt: z.date(),
  activeTenantId: z.uuid().nullable(),
});

export const newPasswordSchema = z.string().min(PASSWORD_MIN_LENGTH).max(PASSWORD_MAX_LENGTH);
const refreshBody = z.object({ refreshToken: z.string().min(16).max(256) });

export async function authRoutes(app: FastifyInstance, deps: HubDeps): Promise<void> {
  const { sessions } = authOf(deps);
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in with e-mail and password',
        description:
          'Wrong e-mail and wrong password answer the same 401. Failed logins are limited per IP and per account (429 with Retry-After).',
        // The e-mail is not format-checked here: a malformed one must fail like any unknown one.
        body: z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1024), tenantId: z.uuid().optional() }),
        response: { 200: tokenPairSchema.extend({ user: userSchema, tenants: z.array(membershipSchema) }) },
      },
    },
    async (request) => sessions.login(request.body, requestMeta(request)),
  );

  r.post(
    '/auth/refresh',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for a new pair (the presented token is spent)',
        body: refreshBody,
        response: { 200: tokenPairSchema },
      },
    },
    async (request) => sessions.refresh(request.body.refreshToken, requestMeta(request)),
  );

  r.post(
    '/auth/logout',
    {
      config: { public: true },
      schema: { tags: ['auth'], summary: 'End the login the refresh token belongs to', body: refreshBody, response: { 204: z.null() } },
    },
    async (request, reply) => {
      await sessions.logout(request.body.refreshToken, requestMeta(request));
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/auth/password',
    {
      config: { permission: 'me' },
      schema: {
        tags: ['auth'],
        summary: "Change the caller's password; every other login of the user ends",
        body: z.object({ currentPassword: z.string().min(1).max(1024), newPassword: newPasswordSchema }),
        response: { 200: tokenPairSchema },
      },
    },
    async (request) => sessions.changePassword(request.session!, request.body, requestMeta(request)),
  );
}
