// The authenticated REST API under /api/v1. Each area is one route plugin.
import type { FastifyInstance } from 'fastify';
import type { HubDeps } from '../deps.ts';
import { auditRoutes } from './routes/audit.ts';
import { authRoutes } from './routes/auth.ts';
import { chatwootRoutes } from './routes/chatwoot.ts';
import { executionRoutes } from './routes/executions.ts';
import { instanceRoutes } from './routes/instances.ts';
import { laneRoutes } from './routes/lanes.ts';
import { meRoutes } from './routes/me.ts';
import { providerServerRoutes } from './routes/provider-servers.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { userRoutes } from './routes/users.ts';

export type RoutePlugin = (app: FastifyInstance, deps: HubDeps) => Promise<void> | void;

const routePlugins: RoutePlugin[] = [
  authRoutes,
  meRoutes,
  tenantRoutes,
  userRoutes,
  auditRoutes,
  providerServerRoutes,
  instanceRoutes,
  chatwootRoutes,
  laneRoutes,
  executionRoutes,
];

export async function registerApi(app: FastifyInstance, deps: HubDeps): Promise<void> {
  await app.register(
    async (api) => {
      for (const plugin of routePlugins) await plugin(api, deps);
    },
    { prefix: '/api/v1' },
  );
}
