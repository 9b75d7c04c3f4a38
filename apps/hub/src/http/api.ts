// The authenticated REST API under /api/v1. Each area is one route plugin.
import type { FastifyInstance } from 'fastify';
import type { HubDeps } from '../deps.ts';

export type RoutePlugin = (app: FastifyInstance, deps: HubDeps) => Promise<void> | void;

const routePlugins: RoutePlugin[] = [];

export async function registerApi(app: FastifyInstance, deps: HubDeps): Promise<void> {
  await app.register(
    async (api) => {
      for (const plugin of routePlugins) await plugin(api, deps);
    },
    { prefix: '/api/v1' },
  );
}
