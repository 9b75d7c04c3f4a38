// Process entry point. HUB_ROLE picks what this process does: `api` (HTTP), `worker` (lanes and
// scheduled jobs; health endpoints only), or `all`.
import { EnvError, hubEnvSchema, loadEnv } from '@whatpro/platform';
import { buildApp } from './app.ts';
import { closeDeps, createDeps } from './deps.ts';
import { startScheduler } from './jobs/scheduler.ts';
import { createHubWorker } from './worker.ts';

async function main(): Promise<void> {
  let env: ReturnType<typeof loadEnv<typeof hubEnvSchema>>;
  try {
    env = loadEnv(hubEnvSchema);
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`whatpro hub: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const deps = createDeps(env);
  const app = await buildApp(deps, { healthOnly: env.HUB_ROLE === 'worker' });
  const stoppers: (() => Promise<void>)[] = [];
  if (env.HUB_ROLE !== 'api') {
    const { worker } = createHubWorker(deps);
    await worker.start();
    stoppers.push(() => worker.stop());
    stoppers.push(await startScheduler(deps));
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      deps.logger.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, env.SHUTDOWN_GRACE_MS);
    force.unref();
    try {
      // Stop taking requests first, then let workers finish or release what they hold.
      await app.close();
      for (const stop of stoppers) await stop();
      await closeDeps(deps);
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: env.HUB_HOST, port: env.HUB_PORT });
  deps.logger.info({ role: env.HUB_ROLE, port: env.HUB_PORT }, 'hub started');
}

void main();
