// Shared by the management tests: deps whose webhook URLs lead nowhere (the simulators' deliveries fail
// fast; these tests drive state through the API, not webhooks), a record of onInstanceChanged calls,
// tenants, and how each simulator shows the webhook an instance was given.
import { randomUUID } from 'node:crypto';
import type { EvolutionSimulator, ProviderSimulator, UazapiSimulator } from '@whatpro/simulators';
import { startEvolutionSimulator, startUazapiSimulator } from '@whatpro/simulators';
import type { HubDeps } from '../src/deps.ts';
import type { ProvisioningDeps } from '../src/services/mgmt.ts';
import { testDeps } from './helpers.ts';

export const HUB_URL = 'http://127.0.0.1:9';

export type MgmtDeps = HubDeps & ProvisioningDeps & { changed: string[] };

export function mgmtDeps(overrides: Partial<Omit<ProvisioningDeps, 'env' | 'redis'>> = {}): MgmtDeps {
  const changed: string[] = [];
  const deps = testDeps({ HUB_PUBLIC_URL: HUB_URL });
  return { ...deps, providerTimeoutMs: 3000, chatwootTimeoutMs: 3000, onInstanceChanged: (id) => changed.push(id), changed, ...overrides };
}

export async function newTenant(deps: Pick<HubDeps, 'db'>, label = 'mgmt'): Promise<string> {
  const slug = `${label}-${randomUUID().slice(0, 8)}`;
  return (await deps.db.tenant.create({ data: { name: slug, slug }, select: { id: true } })).id;
}

export type ProviderName = 'uazapi' | 'evolution';
export const PROVIDER_ENUM = { uazapi: 'UAZAPI', evolution: 'EVOLUTION' } as const;

export async function startProviderSim(kind: ProviderName): Promise<ProviderSimulator> {
  return kind === 'uazapi'
    ? startUazapiSimulator({ host: '127.0.0.1', webhookAttempts: 1 })
    : startEvolutionSimulator({ host: '127.0.0.1', webhookRetry: { attempts: 1, baseDelayMs: 10 } });
}

/** The webhook URL the provider holds for an instance. */
export function providerWebhookUrl(sim: ProviderSimulator, externalName: string): string | undefined {
  if (sim.kind === 'uazapi') return (sim as UazapiSimulator).webhooks(externalName).find((w) => w.enabled)?.url;
  return (sim as EvolutionSimulator).instance(externalName)?.webhook?.url;
}

export const secretOfUrl = (url: string | undefined) => url?.split('/').at(-1) ?? '';
