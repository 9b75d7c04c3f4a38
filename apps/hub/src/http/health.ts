import { pingRedis } from '@whatpro/platform';
import type { FastifyInstance } from 'fastify';
import type { HubDeps } from '../deps.ts';

async function probe(
  name: string,
  check: () => Promise<unknown>,
  timeoutMs: number,
): Promise<{ name: string; ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { name, ok: true };
  } catch (error) {
    return { name, ok: false, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz`: the process is alive. `/readyz`: it can do its work (Postgres and Redis answer). */
export function registerHealth(app: FastifyInstance, deps: HubDeps): void {
  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { public: true }, schema: { hide: true } }, async (_request, reply) => {
    const checks = await Promise.all([
      probe('postgres', () => deps.db.$unguarded('readiness probe').$queryRaw`SELECT 1`, 2000),
      probe('redis', () => pingRedis(deps.redis), 1000),
    ]);
    const down = checks.filter((c) => !c.ok);
    const body = {
      status: down.length ? 'unavailable' : 'ready',
      checks: Object.fromEntries(checks.map((c) => [c.name, c.ok ? 'up' : `down: ${c.error}`])),
      ...(down.length ? { down: down.map((c) => c.name) } : {}),
    };
    return reply.code(down.length ? 503 : 200).send(body);
  });
}
