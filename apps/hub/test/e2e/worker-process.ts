// A lane worker in its own process, so a test can SIGKILL it mid-send. It takes the test environment
// from its parent and announces itself on stdout once it is claiming.
import { hubEnvSchema, loadEnv } from '@whatpro/platform';
import { createDeps } from '../../src/deps.ts';
import { createHubWorker } from '../../src/worker.ts';

const deps = createDeps(loadEnv(hubEnvSchema, process.env));
const { worker } = createHubWorker(deps, {
  workerId: process.env.WORKER_ID,
  leaseMs: Number(process.env.WORKER_LEASE_MS ?? 2000),
  pollMs: 100,
  providerTimeoutMs: 15_000,
  scope: process.env.WORKER_TENANT_ID ? { tenantIds: [process.env.WORKER_TENANT_ID] } : undefined,
});
// The parent test holds our stdin open; if it goes away without killing us, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
await worker.start();
process.stdout.write('worker ready\n');
