// One running stack per test file: the Hub listening on a real port (so simulators can call its
// webhooks), its lane worker, a provider simulator, the Chatwoot simulator, and a tenant whose
// instance is paired and linked to an API inbox — built through the same provisioning services the
// API and the demo use.
import { randomUUID } from 'node:crypto';
import { createLaneAdmin, type LaneWorker } from '@whatpro/lanes';
import type { ProviderSimulator } from '@whatpro/simulators';
import { type ChatwootSimulator, startChatwootSimulator, startEvolutionSimulator, startUazapiSimulator } from '@whatpro/simulators';
import type { FastifyInstance } from 'fastify';
import { ChatwootRequestValidator } from '../../../../packages/chatwoot/test/openapi-validator.ts';
import { buildApp } from '../../src/app.ts';
import { closeDeps, type HubDeps } from '../../src/deps.ts';
import {
  connectInstance,
  createChatwootConnection,
  createInstance,
  createProviderServer,
  linkInbox,
} from '../../src/services/provisioning.ts';
import { createHubWorker, type WorkerOptions } from '../../src/worker.ts';
import { testDeps } from '../helpers.ts';

export type ProviderName = 'uazapi' | 'evolution';

export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 300)})`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Stack {
  provider: ProviderName;
  deps: HubDeps;
  app: FastifyInstance;
  hubUrl: string;
  worker: LaneWorker;
  sim: ProviderSimulator;
  chatwoot: ChatwootSimulator;
  tenantId: string;
  instanceId: string;
  instanceName: string;
  inboxId: number;
  lanes: ReturnType<typeof createLaneAdmin>;
  /** Starts another lane worker on the same deps (extra capacity, or a takeover after a kill). */
  startWorker(options?: WorkerOptions): Promise<LaneWorker>;
  setBehaviour(patch: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  worker?: WorkerOptions;
  /** Start without a worker (tests that run their own, e.g. in a child process). */
  noWorker?: boolean;
  signWebhooks?: boolean;
}

export async function startStack(provider: ProviderName, options: StackOptions = {}): Promise<Stack> {
  const deps = testDeps({ HUB_PUBLIC_URL: 'http://127.0.0.1:1' });
  const app = await buildApp(deps);
  await app.listen({ host: '127.0.0.1', port: 0 });

  const address = app.server.address();
  const hubUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  // Provisioning builds webhook URLs from the public URL, known only once the port is.
  (deps.env as { HUB_PUBLIC_URL: string }).HUB_PUBLIC_URL = hubUrl;

  const sim: ProviderSimulator =
    provider === 'uazapi' ? await startUazapiSimulator({ host: '127.0.0.1' }) : await startEvolutionSimulator({ host: '127.0.0.1' });
  const chatwoot = await startChatwootSimulator({ host: '127.0.0.1', signWebhooks: options.signWebhooks ?? true });

  const tenant = await deps.db.tenant.create({ data: { name: `e2e ${provider}`, slug: `e2e-${provider}-${randomUUID()}` } });
  const server = await createProviderServer(deps, tenant.id, {
    provider: provider === 'uazapi' ? 'UAZAPI' : 'EVOLUTION',
    name: 'sim',
    baseUrl: sim.baseUrl,
    adminToken: sim.adminToken,
  });
  const instance = await createInstance(deps, tenant.id, { providerServerId: server.id, name: `e2e-${randomUUID().slice(0, 8)}` });
  const connection = await createChatwootConnection(deps, tenant.id, {
    name: 'cw',
    baseUrl: chatwoot.baseUrl,
    accountId: chatwoot.accountId,
    userToken: chatwoot.userToken,
  });
  const link = await linkInbox(deps, tenant.id, {
    instanceId: instance.id,
    chatwootConnectionId: connection.id,
    createInbox: { name: 'WhatsApp e2e' },
    signatureMode: options.signWebhooks === false ? 'UNSIGNED' : 'SIGNED',
  });
  await connectInstance(deps, tenant.id, instance.id, {});
  await sim.completePairing(instance.externalName, '+5511900001111');
  const raw = deps.db.$unguarded('e2e harness');
  await waitFor(
    async () => (await raw.instance.findUnique({ where: { id: instance.id } }))?.status === 'OPEN',
    'the instance to report OPEN',
  );

  const workers: LaneWorker[] = [];
  const startWorker = async (o: WorkerOptions = {}) => {
    // Other test files share the database: work only this stack's tenant.
    const { worker } = createHubWorker(deps, {
      scope: { tenantIds: [tenant.id] },
      pollMs: 100,
      providerTimeoutMs: 3000,
      chatwootTimeoutMs: 3000,
      leaseMs: 5000,
      ...options.worker,
      ...o,
    });
    await worker.start();
    workers.push(worker);
    return worker;
  };
  const worker = options.noWorker ? (undefined as unknown as LaneWorker) : await startWorker();

  return {
    provider,
    deps,
    app,
    hubUrl,
    worker,
    sim,
    chatwoot,
    tenantId: tenant.id,
    instanceId: instance.id,
    instanceName: instance.externalName,
    inboxId: link.inboxId,
    lanes: createLaneAdmin(deps.db),
    startWorker,
    async setBehaviour(patch) {
      const current = await raw.instance.findUniqueOrThrow({ where: { id: instance.id } });
      await raw.instance.update({ where: { id: instance.id }, data: { settings: { ...(current.settings as object), ...patch } as never } });
      deps.onInstanceChanged(instance.id);
      await sleep(200);
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop({ graceMs: 500 })));
      // The simulators first: they stop calling a Hub that is going away.
      await Promise.all([sim.close(), chatwoot.close()]);
      await app.close();
      await closeDeps(deps);
    },
  };
}

/** The Chatwoot conversation the contact's messages landed in (by contact-inbox source id). */
export async function conversationFor(stack: Stack, sourceId: string, timeoutMs?: number) {
  return waitFor(
    () => {
      const ci = stack.chatwoot.contactInboxes().find((c) => c.sourceId === sourceId && c.inboxId === stack.inboxId);
      return ci ? stack.chatwoot.conversations().find((c) => c.contactInboxId === ci.id) : undefined;
    },
    `a conversation for ${sourceId}`,
    timeoutMs,
  );
}

/** Messages of a conversation that are not private notes, oldest first. */
export const publicMessages = (stack: Stack, conversationId: number) => stack.chatwoot.messages(conversationId).filter((m) => !m.private);

/** Every request the Hub sent the Chatwoot simulator that Chatwoot's OpenAPI document does not allow. */
export async function invalidChatwootRequests(stack: Stack): Promise<string[]> {
  const validator = await ChatwootRequestValidator.load();
  const requests = stack.chatwoot.requests({ path: /^\/(api|public)\// });
  if (requests.length === 0) return ['no Chatwoot request was recorded'];
  return requests
    .map((req) => ({ req, result: validator.validate(req) }))
    .filter(({ result }) => result.errors.length > 0 || !result.operation)
    .map(({ req, result }) => `${req.method} ${req.path}: ${result.errors.join('; ') || 'no such operation'}`);
}
