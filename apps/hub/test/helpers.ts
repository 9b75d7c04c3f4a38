import { hubEnvSchema, loadEnv } from '@whatpro/platform';
import { createDeps, type HubDeps } from '../src/deps.ts';

/** Deps wired to the test database and Redis from the vitest environment, with optional overrides. */
export function testDeps(overrides: Record<string, string> = {}): HubDeps {
  return createDeps(loadEnv(hubEnvSchema, { ...process.env, ...overrides }));
}
