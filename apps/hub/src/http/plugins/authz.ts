// The one authorization mechanism of the Hub (ARCHITECTURE §6). Every route declares in its options
// either `config: { public: true }` or `config: { permission: '<perm>' }`; a route that declares neither
// (or an unknown permission) makes start-up fail. For every other request, before the body is even
// parsed, the Bearer access token is verified, the session is re-checked against the database (user,
// login, membership and tenant all still active), and the permission is checked against the role map
// of @whatpro/auth. Handlers never decide who may call them.
import { type Auth, can, createAuth, isPermission, type Permission, type Principal, type Session } from '@whatpro/auth';
import { AppError, forbidden } from '@whatpro/platform';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HubDeps } from '../../deps.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a caller must hold to use this route (see `PERMISSIONS` in @whatpro/auth). */
    permission?: Permission;
  }
  interface FastifyRequest {
    /** The authenticated session; null on public routes. */
    session: Session | null;
    /**
     * The caller inside the active tenant. Set on every route with a tenant-scoped permission (those
     * cannot be reached without a tenant and a role), so tenant-scoped handlers use it directly and pass
     * `principal.tenantId` to every query.
     */
    principal: Principal;
  }
  interface FastifyInstance {
    /** How each registered route is reached: `"GET /api/v1/users"` → public or a permission. */
    routeAccess: Map<string, RouteAccess>;
  }
}

export type RouteAccess = { public: true } | { public: false; permission: Permission };

const auths = new WeakMap<HubDeps, Auth>();

/** The auth services of one set of deps (built once, shared by the hook and the auth routes). */
export function authOf(deps: HubDeps): Auth {
  let auth = auths.get(deps);
  if (!auth) {
    auth = createAuth(deps);
    auths.set(deps, auth);
  }
  return auth;
}

export function requestMeta(request: FastifyRequest): { ip: string; userAgent: string | null } {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : null };
}

/** The Bearer token of a request, or null. */
function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

/** Registers the hooks on the root instance; must run before any route is declared. */
export function registerAuthz(app: FastifyInstance, deps: HubDeps): void {
  const auth = authOf(deps);
  const table = new Map<string, RouteAccess>();
  app.decorate('routeAccess', table);
  app.decorateRequest('session', null);
  app.decorateRequest('principal', null as unknown as Principal);

  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { public?: unknown; permission?: unknown };
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const where = `${methods.join(',')} ${route.url}`;
    let access: RouteAccess;
    if (config.public === true && config.permission === undefined) {
      access = { public: true };
      // Tell OpenAPI readers (and the Manager's client) that this operation takes no token.
      if (route.schema) (route.schema as Record<string, unknown>).security = [];
    } else if (config.public === undefined && isPermission(config.permission)) {
      access = { public: false, permission: config.permission };
    } else {
      // Fail closed: an undeclared route would otherwise be reachable by anyone, or by no one.
      throw new Error(
        `route ${where} must declare exactly one of config.public: true or config.permission (one of the permissions in @whatpro/auth); got ${JSON.stringify(config)}`,
      );
    }
    for (const method of methods) table.set(`${method} ${route.url}`, access);
  });

  app.addHook('onRequest', async (request, reply) => {
    // Unknown paths fall through to the not-found handler: there is nothing to protect.
    if (request.is404) return;
    const config = request.routeOptions.config;
    if (config.public === true) return;
    const permission = config.permission;
    if (!permission) throw forbidden('this route declares no permission');
    const token = bearerToken(request);
    if (!token) {
      reply.header('www-authenticate', 'Bearer');
      throw new AppError('UNAUTHENTICATED', 'authentication required');
    }
    let session: Session;
    try {
      session = await auth.sessions.authenticate(token);
    } catch (error) {
      if (error instanceof AppError && error.status === 401) reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw error;
    }
    request.session = session;
    if (session.tenantId && session.role) {
      request.principal = {
        userId: session.userId,
        tenantId: session.tenantId,
        role: session.role,
        isPlatformAdmin: session.isPlatformAdmin,
      };
    }
    if (!can(session.role, session.isPlatformAdmin, permission)) {
      throw new AppError('FORBIDDEN', `this needs the "${permission}" permission`, { details: { permission } });
    }
  });
}
