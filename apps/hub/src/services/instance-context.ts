// Everything a flow needs about one instance: its row, decrypted credentials, the provider adapter,
// its behaviour, and its Chatwoot inbox link with a ready client. Cached briefly per process because
// every lane item asks for it and instances change rarely; secrets stay in memory only. The clients
// come from the same builders the management services use (mgmt.ts).
import type { ChatwootClient } from '@whatpro/chatwoot';
import type { InboxLink, Instance } from '@whatpro/db';
import { type InstanceBehaviour, type InstanceCredentials, type ProviderAdapter, parseBehaviour } from '@whatpro/domain';
import { AppError } from '@whatpro/platform';
import type { HubDeps } from '../deps.ts';
import { adapterForServer, connectionClient, credentialsOf } from './mgmt.ts';

export interface ChatwootLink {
  link: InboxLink;
  inboxId: number;
  inboxIdentifier: string | null;
  client: ChatwootClient;
}

export interface InstanceContext {
  instance: Instance;
  credentials: InstanceCredentials;
  adapter: ProviderAdapter;
  behaviour: InstanceBehaviour;
  chatwoot: ChatwootLink | null;
}

const TTL_MS = 5_000;

export class InstanceContexts {
  private readonly cache = new Map<string, { at: number; value: Promise<InstanceContext> }>();
  private readonly clients: Pick<HubDeps, 'secretBox'> & { providerTimeoutMs?: number; chatwootTimeoutMs?: number; fetch?: typeof fetch };

  constructor(
    private readonly deps: Pick<HubDeps, 'db' | 'secretBox'>,
    options: { providerTimeoutMs?: number; chatwootTimeoutMs?: number; fetch?: typeof fetch } = {},
  ) {
    this.clients = { secretBox: deps.secretBox, ...options };
  }
  /** Drops the cached context (after settings, link or credential changes). */
  invalidate(instanceId: string): void {
    this.cache.delete(instanceId);
  }

  get(instanceId: string): Promise<InstanceContext> {
    const hit = this.cache.get(instanceId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
    const value = this.load(instanceId);
    this.cache.set(instanceId, { at: Date.now(), value });
    value.catch(() => this.cache.delete(instanceId));
    return value;
  }

  private async load(instanceId: string): Promise<InstanceContext> {
    // Workers act for every tenant; the instance id itself is the scope.
    const db = this.deps.db.$unguarded('lane worker: instance context');
    const instance = await db.instance.findUnique({
      where: { id: instanceId },
      include: { providerServer: true, inboxLink: { include: { connection: true } } },
    });
    if (!instance || instance.deletedAt)
      throw new AppError('INSTANCE_GONE', `instance ${instanceId} no longer exists`, { retryable: false });
    const { providerServer, inboxLink, ...row } = instance;
    let chatwoot: ChatwootLink | null = null;
    if (inboxLink) {
      const { connection, ...link } = inboxLink;
      chatwoot = { link, inboxId: link.inboxId, inboxIdentifier: link.inboxIdentifier, client: connectionClient(this.clients, connection) };
    }
    return {
      instance: row,
      credentials: credentialsOf(this.clients, row),
      adapter: adapterForServer(this.clients, providerServer),
      behaviour: parseBehaviour(row.settings),
      chatwoot,
    };
  }
}
