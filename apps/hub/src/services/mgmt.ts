// What the management services share: their dependencies, the clients for outside systems built from
// stored (encrypted) credentials, the mapping of outside failures to API errors, and the audit trail
// of secret changes.
import { writeAudit } from '@whatpro/auth';
import { ChatwootClient, isChatwootError } from '@whatpro/chatwoot';
import type { ChatwootConnection, Db, Instance, ProviderServer } from '@whatpro/db';
import type { InstanceCredentials, ProviderAdapter } from '@whatpro/domain';
import { AppError, conflict, type HubEnv, type Logger, notFound, type Redis, type SecretBox } from '@whatpro/platform';
import { createProviderAdapter, ProviderError } from '@whatpro/providers';

export interface ProvisioningDeps {
  env: Pick<HubEnv, 'HUB_PUBLIC_URL'>;
  db: Db;
  secretBox: SecretBox;
  logger?: Logger;
  /** Wakes lane workers after operator actions; without it they notice at their next poll. */
  redis?: Redis | null;
  /** Called after any change to an instance, its link or its connection (instance contexts are cached). */
  onInstanceChanged?: (instanceId: string) => void;
  /** Outside-call tuning; shorter in tests. */
  providerTimeoutMs?: number;
  chatwootTimeoutMs?: number;
  fetch?: typeof fetch;
}

/** Who made a change, for the audit log. */
export interface Actor {
  userId: string | null;
  ip?: string | null;
}

export const SYSTEM_ACTOR: Actor = { userId: null };

// API calls wait less than lane workers: an operator is looking at a spinner.
const PROVIDER_TIMEOUT_MS = 15_000;
const CHATWOOT_TIMEOUT_MS = 10_000;

export const FIELDS = {
  adminToken: 'ProviderServer.adminTokenEnc',
  instanceToken: 'Instance.tokenEnc',
  instanceWebhookSecret: 'Instance.webhookSecretEnc',
  userToken: 'ChatwootConnection.userTokenEnc',
  hubSecret: 'InboxLink.hubSecretEnc',
  signingSecret: 'InboxLink.webhookSigningSecretEnc',
} as const;

export const providerKindOf = (p: Instance['provider']): 'uazapi' | 'evolution' => (p === 'UAZAPI' ? 'uazapi' : 'evolution');

export function decryptField(box: SecretBox, value: string, field: string, rowId: string): string {
  return box.decrypt(value, { field, rowId });
}

/** What an adapter needs to act on one instance, its token decrypted. */
export function credentialsOf(deps: Pick<ProvisioningDeps, 'secretBox'>, instance: Instance): InstanceCredentials {
  const credentials: InstanceCredentials = {
    name: instance.externalName,
    token: decryptField(deps.secretBox, instance.tokenEnc, FIELDS.instanceToken, instance.id),
  };
  if (instance.externalId) credentials.id = instance.externalId;
  return credentials;
}

export function encryptField(deps: Pick<ProvisioningDeps, 'secretBox'>, value: string, field: string, rowId: string): string {
  return deps.secretBox.encrypt(value, { field, rowId });
}

export function adapterForServer(
  deps: Pick<ProvisioningDeps, 'secretBox' | 'providerTimeoutMs' | 'fetch'>,
  server: ProviderServer,
): ProviderAdapter {
  return adapterFor(
    deps,
    server.provider,
    server.baseUrl,
    decryptField(deps.secretBox, server.adminTokenEnc, FIELDS.adminToken, server.id),
  );
}

export function adapterFor(
  deps: Pick<ProvisioningDeps, 'providerTimeoutMs' | 'fetch'>,
  provider: ProviderServer['provider'],
  baseUrl: string,
  adminToken: string,
): ProviderAdapter {
  return createProviderAdapter(providerKindOf(provider), {
    baseUrl,
    adminToken,
    timeoutMs: deps.providerTimeoutMs ?? PROVIDER_TIMEOUT_MS,
    fetch: deps.fetch,
  });
}

export function chatwootClientFor(
  deps: Pick<ProvisioningDeps, 'chatwootTimeoutMs' | 'fetch'>,
  connection: Pick<ChatwootConnection, 'baseUrl' | 'accountId'> & { userToken: string },
): ChatwootClient {
  return new ChatwootClient({
    baseUrl: connection.baseUrl,
    accountId: connection.accountId,
    userToken: connection.userToken,
    timeoutMs: deps.chatwootTimeoutMs ?? CHATWOOT_TIMEOUT_MS,
    fetch: deps.fetch,
  });
}

export function connectionClient(
  deps: Pick<ProvisioningDeps, 'secretBox' | 'chatwootTimeoutMs' | 'fetch'>,
  connection: ChatwootConnection,
): ChatwootClient {
  return chatwootClientFor(deps, {
    ...connection,
    userToken: decryptField(deps.secretBox, connection.userTokenEnc, FIELDS.userToken, connection.id),
  });
}

/**
 * Runs an outside call and turns its failure into an API error: 504 when the other side did not answer
 * in time, 502 otherwise, with the other side's words but never a credential (neither error type
 * carries one). A capability the provider lacks is the caller's problem, not an outage: 422.
 */
export async function upstream<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw upstreamError(error);
  }
}

export function upstreamError(error: unknown): unknown {
  if (error instanceof ProviderError) {
    const details = { provider: error.provider, kind: error.kind, httpStatus: error.httpStatus ?? null, retryable: error.retryable };
    if (error.kind === 'unsupported') return new AppError('UNSUPPORTED', error.message, { status: 422, details });
    const status = error.kind === 'timeout' ? 504 : 502;
    return new AppError(error.code, `the ${error.provider} server failed: ${error.message}`, { status, details, cause: error });
  }
  if (isChatwootError(error)) {
    const details = { kind: error.kind, operation: error.operation, httpStatus: error.httpStatus ?? null, retryable: error.retryable };
    const status = error.kind === 'timeout' ? 504 : 502;
    return new AppError(error.code, `Chatwoot failed: ${error.message}`, { status, details, cause: error });
  }
  return error;
}

/** Whether an outside error says the credential itself was refused (bad token, wrong account). */
export function isCredentialRejected(error: unknown): boolean {
  if (error instanceof ProviderError) return error.kind === 'unauthorized' || error.kind === 'forbidden';
  if (isChatwootError(error)) return error.kind === 'unauthorized' || error.kind === 'forbidden';
  return false;
}

/**
 * Makes a cheap call with a credential the operator just entered: a refused credential is their input
 * error (400), anything else an outage (502/504).
 */
export async function checkCredential(
  call: Promise<unknown>,
  refusal: string,
  refused: (error: unknown) => boolean = isCredentialRejected,
) {
  try {
    await call;
  } catch (error) {
    if (refused(error)) throw new AppError('CREDENTIALS_REJECTED', refusal, { status: 400 });
    throw upstreamError(error);
  }
}

export const normalizeBaseUrl = (url: string): string => url.trim().replace(/\/+$/, '');

export const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === 'P2002';

/** Runs a write and turns a unique-constraint clash into a 409 that says what clashed. */
export async function uniquely<T>(write: Promise<T>, what: string): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(what);
    throw error;
  }
}

type AuditDb = Parameters<typeof writeAudit>[0];

/** Records which secrets of a record were set, rotated or removed; values never reach the log. */
export async function auditSecrets(
  db: AuditDb,
  tenantId: string,
  actor: Actor,
  target: { type: string; id: string },
  fields: string[],
  change: 'set' | 'rotated' | 'removed',
): Promise<void> {
  for (const field of fields) {
    await writeAudit(db, {
      action: 'secret.changed',
      tenantId,
      actorUserId: actor.userId,
      targetType: target.type,
      targetId: target.id,
      metadata: { field, change },
      ip: actor.ip ?? null,
    });
  }
}

export function notifyChanged(deps: ProvisioningDeps, instanceIds: string | string[]): void {
  if (!deps.onInstanceChanged) return;
  for (const id of Array.isArray(instanceIds) ? instanceIds : [instanceIds]) {
    try {
      deps.onInstanceChanged(id);
    } catch (error) {
      deps.logger?.warn({ err: error, instanceId: id }, 'onInstanceChanged hook failed');
    }
  }
}

/** The Hub's webhook URL for a path secret. */
export function webhookUrl(deps: ProvisioningDeps, kind: 'uazapi' | 'evolution' | 'chatwoot', secret: string): string {
  return `${deps.env.HUB_PUBLIC_URL.replace(/\/+$/, '')}/webhooks/${kind}/${secret}`;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A live (not deleted) instance of the tenant. */
export async function getInstance(deps: Pick<ProvisioningDeps, 'db'>, tenantId: string, id: string): Promise<Instance> {
  const instance = UUID_RE.test(id) ? await deps.db.instance.findFirst({ where: { id, tenantId, deletedAt: null } }) : null;
  if (!instance) throw notFound('instance');
  return instance;
}
