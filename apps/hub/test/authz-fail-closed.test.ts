// The authorization hook fails closed: a route that declares neither `public` nor a known permission
// stops the Hub from starting.
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.ts';
import { closeDeps, type HubDeps } from '../src/deps.ts';
import { registerAuthz } from '../src/http/plugins/authz.ts';
import { testDeps } from './helpers.ts';

// One more area, as a later engineer might add it, with a route that forgot to declare its access.
vi.mock('../src/http/api.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/http/api.ts')>();
  return {
    ...original,
    registerApi: async (app: Parameters<typeof original.registerApi>[0], deps: HubDeps) => {
      await original.registerApi(app, deps);
      if (process.env.ROGUE_ROUTE === '1') {
        await app.register(
          async (api) => {
            api.get('/rogue', async () => ({ secret: 'everyone sees this' }));
          },
          { prefix: '/api/v1' },
        );
      }
    },
  };
});

describe('fail-closed route declarations', () => {
  let deps: HubDeps;
  beforeAll(() => {
    deps = testDeps();
  });
  afterAll(async () => {
    delete process.env.ROGUE_ROUTE;
    await closeDeps(deps);
  });

  it('buildApp throws at start-up when an /api/v1 route declares no access', async () => {
    process.env.ROGUE_ROUTE = '1';
    await expect(buildApp(deps)).rejects.toThrow(
      /route GET \/api\/v1\/rogue must declare exactly one of config\.public: true or config\.permission/,
    );
    process.env.ROGUE_ROUTE = '0';
    const app = await buildApp(deps);
    expect(app.routeAccess.get('GET /api/v1/users')).toEqual({ public: false, permission: 'users:read' });
    expect(app.routeAccess.get('POST /api/v1/auth/login')).toEqual({ public: true });
    await app.close();
  });

  it.each([
    ['no config', {}],
    ['an unknown permission', { permission: 'instances:everything' }],
    ['public: false', { public: false }],
    ['both public and a permission', { public: true, permission: 'me' }],
  ])('refuses a route with %s', async (_name, config) => {
    const app = Fastify();
    registerAuthz(app, deps);
    expect(() => app.get('/anything', { config: config as never }, async () => 'x')).toThrow(/must declare exactly one of/);
    await app.close();
  });

  it('marks public operations as needing no token in the OpenAPI document', async () => {
    const app = await buildApp(deps);
    try {
      const doc = (await app.inject('/api/v1/openapi.json')).json();
      expect(doc.paths['/api/v1/auth/login'].post.security).toEqual([]);
      expect(doc.paths['/api/v1/me'].get.security).toBeUndefined();
      expect(doc.security).toEqual([{ bearer: [] }]);
    } finally {
      await app.close();
    }
  });
});
