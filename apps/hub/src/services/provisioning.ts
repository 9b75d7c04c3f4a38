// Provider servers and WhatsApp instances: creating them on the provider and in the database, the
// connection lifecycle (QR / pair code, status, restart, disconnect, delete), settings, lane policy,
// and the reconciliation with what each provider server actually holds (sync, import).
// Outside calls never run inside a database transaction; every lookup names the tenant, so another
// tenant's record is "not found".
import type { Instance, InstanceStatus, Prisma, ProviderServer } from '@whatpro/db';
import type {
  ConnectionInfo,
  ConnectionState,
  InstanceCredentials,
  ProviderAdapter,
  ProviderSettingKey,
  RemoteInstance,
} from '@whatpro/domain';
import { createLaneAdmin } from '@whatpro/lanes';
import { AppError, conflict, notFound, randomToken, sha256, validation } from '@whatpro/platform';
import { ProviderError } from '@whatpro/providers';
import {
  hubKeysOf,
  type InstanceSettingsInput,
  instanceSettingsSchema,
  type LanePolicyInput,
  lanePolicySchema,
  mergeSettings,
  parseOrThrow,
  providerPart,
} from './instance-settings.ts';
import {
  type Actor,
  adapterFor,
  adapterForServer,
  auditSecrets,
  checkCredential,
  credentialsOf,
  decryptField,
  encryptField,
  FIELDS,
  getInstance,
  isUniqueViolation,
  normalizeBaseUrl,
  notifyChanged,
  type ProvisioningDeps,
  providerKindOf,
  SYSTEM_ACTOR,
  UUID_RE,
  uniquely,
  upstream,
  upstreamError,
  webhookUrl,
} from './mgmt.ts';

export * from './chatwoot-links.ts';
export { type Actor, getInstance, type ProvisioningDeps } from './mgmt.ts';

/** How long a QR code is shown before the provider rotates it (about 20 s on real servers). */
export const QR_TTL_MS = 20_000;
/** A pair code stays valid longer; asking again would replace the code the user is typing. */
export const PAIR_CODE_TTL_MS = 60_000;
const MISSING_REASON = 'missing on the provider server (not in its instance list)';

const STATUS_OF: Record<ConnectionState, InstanceStatus> = {
  connecting: 'CONNECTING',
  open: 'OPEN',
  closed: 'CLOSED',
  logged_out: 'LOGGED_OUT',
};

const byTenant = (tenantId: string, id: string) => (UUID_RE.test(id) ? { id, tenantId } : null);

// ───────────────────────────── provider servers ─────────────────────────────

export interface ProviderServerInput {
  provider: 'UAZAPI' | 'EVOLUTION';
  name: string;
  baseUrl: string;
  adminToken: string;
}

/** A cheap call with the server credential, so a wrong URL or token is refused when it is entered. */
function verifyServer(deps: ProvisioningDeps, provider: ProviderServerInput['provider'], baseUrl: string, adminToken: string) {
  return checkCredential(
    adapterFor(deps, provider, baseUrl, adminToken).listInstances(),
    `the ${provider.toLowerCase()} server refused the admin token`,
  );
}

export async function createProviderServer(
  deps: ProvisioningDeps,
  tenantId: string,
  input: ProviderServerInput,
  actor: Actor = SYSTEM_ACTOR,
): Promise<ProviderServer> {
  const baseUrl = normalizeBaseUrl(input.baseUrl);
  await verifyServer(deps, input.provider, baseUrl, input.adminToken);
  const server = await uniquely(
    deps.db.$transaction(async (tx) => {
      // The ciphertext is bound to the row id, which exists only once the row does.
      const row = await tx.providerServer.create({
        data: { tenantId, provider: input.provider, name: input.name, baseUrl, adminTokenEnc: 'pending' },
      });
      const saved = await tx.providerServer.update({
        where: { id: row.id, tenantId },
        data: { adminTokenEnc: encryptField(deps, input.adminToken, FIELDS.adminToken, row.id) },
      });
      await auditSecrets(tx, tenantId, actor, { type: 'ProviderServer', id: row.id }, [FIELDS.adminToken], 'set');
      return saved;
    }),
    `a provider server named "${input.name}" already exists`,
  );
  return server;
}

export async function getProviderServer(deps: ProvisioningDeps, tenantId: string, id: string): Promise<ProviderServer> {
  const where = byTenant(tenantId, id);
  const server = where ? await deps.db.providerServer.findFirst({ where }) : null;
  if (!server) throw notFound('provider server');
  return server;
}

export async function providerServerDetail(deps: ProvisioningDeps, tenantId: string, id: string) {
  const server = await getProviderServer(deps, tenantId, id);
  const instanceCount = await deps.db.instance.count({ where: { tenantId, providerServerId: server.id, deletedAt: null } });
  return { ...server, instanceCount };
}

export async function listProviderServers(deps: ProvisioningDeps, tenantId: string) {
  const servers = await deps.db.providerServer.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } });
  const counts = await deps.db.instance.groupBy({
    by: ['providerServerId'],
    where: { tenantId, deletedAt: null },
    _count: { _all: true },
  });
  return servers.map((s) => ({ ...s, instanceCount: counts.find((c) => c.providerServerId === s.id)?._count._all ?? 0 }));
}

export async function updateProviderServer(
  deps: ProvisioningDeps,
  tenantId: string,
  id: string,
  input: Partial<Pick<ProviderServerInput, 'name' | 'baseUrl' | 'adminToken'>>,
  actor: Actor = SYSTEM_ACTOR,
): Promise<ProviderServer> {
  const server = await getProviderServer(deps, tenantId, id);
  const baseUrl = input.baseUrl === undefined ? server.baseUrl : normalizeBaseUrl(input.baseUrl);
  const credentialsChange = input.adminToken !== undefined || baseUrl !== server.baseUrl;
  if (credentialsChange) {
    const token = input.adminToken ?? decryptField(deps.secretBox, server.adminTokenEnc, FIELDS.adminToken, server.id);
    await verifyServer(deps, server.provider, baseUrl, token);
  }
  const updated = await uniquely(
    deps.db.$transaction(async (tx) => {
      const saved = await tx.providerServer.update({
        where: { id: server.id, tenantId },
        data: {
          ...(input.name === undefined ? {} : { name: input.name }),
          baseUrl,
          ...(input.adminToken === undefined ? {} : { adminTokenEnc: encryptField(deps, input.adminToken, FIELDS.adminToken, server.id) }),
        },
      });
      if (input.adminToken !== undefined)
        await auditSecrets(tx, tenantId, actor, { type: 'ProviderServer', id: server.id }, [FIELDS.adminToken], 'rotated');
      return saved;
    }),
    `a provider server named "${input.name}" already exists`,
  );
  if (credentialsChange) notifyChanged(deps, await liveInstanceIds(deps, tenantId, { providerServerId: server.id }));
  return updated;
}

/** Refused while live instances use the server; instances deleted earlier go with it. */
export async function deleteProviderServer(
  deps: ProvisioningDeps,
  tenantId: string,
  id: string,
  actor: Actor = SYSTEM_ACTOR,
): Promise<void> {
  const server = await getProviderServer(deps, tenantId, id);
  const live = await deps.db.instance.count({ where: { tenantId, providerServerId: server.id, deletedAt: null } });
  if (live > 0) throw conflict(`the provider server still has ${live} instance(s); delete them first`);
  await deps.db.$transaction(async (tx) => {
    await tx.instance.deleteMany({ where: { tenantId, providerServerId: server.id, deletedAt: { not: null } } });
    await tx.providerServer.deleteMany({ where: { id: server.id, tenantId } });
    await auditSecrets(tx, tenantId, actor, { type: 'ProviderServer', id: server.id }, [FIELDS.adminToken], 'removed');
  });
}

async function liveInstanceIds(deps: ProvisioningDeps, tenantId: string, where: Prisma.InstanceWhereInput): Promise<string[]> {
  const rows = await deps.db.instance.findMany({ where: { ...where, tenantId, deletedAt: null }, select: { id: true } });
  return rows.map((r) => r.id);
}

// ───────────────────────────── instances ─────────────────────────────

export interface SettingsOutcome {
  applied: string[];
  unsupported: ProviderSettingKey[];
  /** Set when the provider refused the settings (the instance itself was still created). */
  error: string | null;
}

interface InstanceHandle {
  instance: Instance;
  server: ProviderServer;
  adapter: ProviderAdapter;
  credentials: InstanceCredentials;
}

/** Loads a live instance of the tenant with a ready adapter and its decrypted credentials. */
export async function instanceHandle(deps: ProvisioningDeps, tenantId: string, id: string): Promise<InstanceHandle> {
  const where = byTenant(tenantId, id);
  const row = where ? await deps.db.instance.findFirst({ where: { ...where, deletedAt: null }, include: { providerServer: true } }) : null;
  if (!row) throw notFound('instance');
  const { providerServer: server, ...instance } = row;
  return {
    instance,
    server,
    adapter: adapterForServer(deps, server),
    credentials: credentialsOf(deps, instance),
  };
}

/** Provider-side name: readable, and unique so re-creating an instance never meets an old one's name. */
function externalNameFor(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `${slug || 'instance'}-${randomToken(6)
    .replace(/[^a-zA-Z0-9]/g, 'x')
    .toLowerCase()
    .slice(0, 6)}`;
}

async function applyProviderSettings(adapter: ProviderAdapter, credentials: InstanceCredentials, settings: InstanceSettingsInput) {
  const part = providerPart(settings);
  if (Object.keys(part).length === 0) return { applied: [] as ProviderSettingKey[], unsupported: [] as ProviderSettingKey[] };
  return adapter.updateSettings(credentials, part);
}

type InstanceRowInput = Omit<Prisma.InstanceUncheckedCreateInput, 'tenantId' | 'tokenEnc' | 'webhookSecretHash' | 'webhookSecretEnc'>;

/** Writes an instance row with its credentials encrypted (bound to the new row id) and audited. */
function insertInstance(
  deps: ProvisioningDeps,
  tenantId: string,
  actor: Actor,
  secrets: { token: string; webhookSecret: string },
  data: InstanceRowInput,
): Promise<Instance> {
  return deps.db.$transaction(async (tx) => {
    const row = await tx.instance.create({
      data: { ...data, tenantId, tokenEnc: 'pending', webhookSecretHash: sha256(secrets.webhookSecret), webhookSecretEnc: 'pending' },
    });
    const saved = await tx.instance.update({
      where: { id: row.id, tenantId },
      data: {
        tokenEnc: encryptField(deps, secrets.token, FIELDS.instanceToken, row.id),
        webhookSecretEnc: encryptField(deps, secrets.webhookSecret, FIELDS.instanceWebhookSecret, row.id),
      },
    });
    await auditSecrets(tx, tenantId, actor, { type: 'Instance', id: row.id }, [FIELDS.instanceToken, FIELDS.instanceWebhookSecret], 'set');
    return saved;
  });
}

export interface CreateInstanceInput {
  providerServerId: string;
  name: string;
  settings?: InstanceSettingsInput;
}

/**
 * Creates the instance on the provider with the Hub's webhook (a fresh path secret per instance), then
 * the row. If the row cannot be written, the provider instance is deleted again so no orphan is left.
 * Returns the row plus what became of the requested provider settings (`settingsResult`).
 */
export async function createInstance(
  deps: ProvisioningDeps,
  tenantId: string,
  input: CreateInstanceInput,
  actor: Actor = SYSTEM_ACTOR,
): Promise<Instance & { settingsResult: SettingsOutcome }> {
  const settings = input.settings === undefined ? {} : parseOrThrow(instanceSettingsSchema, input.settings, 'settings');
  const server = await getProviderServer(deps, tenantId, input.providerServerId);
  if (await deps.db.instance.findFirst({ where: { tenantId, name: input.name }, select: { id: true } }))
    throw conflict(`an instance named "${input.name}" already exists`);
  const adapter = adapterForServer(deps, server);
  const secret = randomToken();
  const url = webhookUrl(deps, providerKindOf(server.provider), secret);
  const created = await upstream(adapter.createInstance({ name: externalNameFor(input.name), webhook: { url, enabled: true } }));

  let instance: Instance;
  try {
    instance = await insertInstance(
      deps,
      tenantId,
      actor,
      { token: created.token, webhookSecret: secret },
      {
        providerServerId: server.id,
        provider: server.provider,
        name: input.name,
        externalName: created.name,
        externalId: created.id ?? null,
        status: STATUS_OF[created.status],
        settings: mergeSettings({}, settings) as Prisma.InputJsonValue,
      },
    );
  } catch (error) {
    await adapter.deleteInstance(created).catch((cleanup: unknown) => {
      deps.logger?.error({ err: cleanup, externalName: created.name }, 'could not delete the provider instance after a failed insert');
    });
    if (isUniqueViolation(error)) throw conflict(`an instance named "${input.name}" already exists`);
    throw error;
  }

  const outcome: SettingsOutcome = { applied: [], unsupported: [], error: null };
  try {
    const result = await applyProviderSettings(adapter, created, settings);
    outcome.applied = [...result.applied, ...hubKeysOf(settings)];
    outcome.unsupported = result.unsupported;
  } catch (error) {
    outcome.applied = hubKeysOf(settings);
    outcome.error = error instanceof Error ? error.message : 'the provider refused the settings';
  }
  notifyChanged(deps, instance.id);
  return { ...instance, settingsResult: outcome };
}

/** What a connection answer means for the row; codes only live while connecting. */
function connectionData(info: ConnectionInfo, previous: Instance, now: Date): Prisma.InstanceUpdateInput {
  const connecting = info.state === 'connecting';
  const data: Prisma.InstanceUpdateInput = {
    status: STATUS_OF[info.state],
    statusReason: info.reason ?? null,
    lastSyncedAt: now,
  };
  if (connecting && (info.qrCode || info.pairCode)) {
    data.qrCode = info.qrCode ?? null;
    data.pairCode = info.pairCode ?? null;
    data.qrExpiresAt = new Date(now.getTime() + (info.pairCode ? PAIR_CODE_TTL_MS : QR_TTL_MS));
  } else if (!connecting && (previous.qrCode || previous.pairCode || previous.qrExpiresAt)) {
    data.qrCode = null;
    data.pairCode = null;
    data.qrExpiresAt = null;
  }
  if (info.jid) data.jid = info.jid;
  if (info.phoneE164) data.phoneE164 = info.phoneE164;
  if (info.profileName) data.profileName = info.profileName;
  return data;
}

async function saveConnection(deps: ProvisioningDeps, handle: InstanceHandle, info: ConnectionInfo): Promise<Instance> {
  const { instance } = handle;
  const saved = await deps.db.instance.update({
    where: { id: instance.id, tenantId: instance.tenantId },
    data: connectionData(info, instance, new Date()),
  });
  if (saved.status !== instance.status) notifyChanged(deps, instance.id);
  return saved;
}

export interface ConnectionCodes {
  status: InstanceStatus;
  qrCode: string | null;
  pairCode: string | null;
  expiresAt: Date | null;
  expired: boolean;
}

export function codesOf(instance: Instance, now = Date.now()): ConnectionCodes {
  const has = instance.status === 'CONNECTING' && (instance.qrCode !== null || instance.pairCode !== null);
  return {
    status: instance.status,
    qrCode: has ? instance.qrCode : null,
    pairCode: has ? instance.pairCode : null,
    expiresAt: has ? instance.qrExpiresAt : null,
    expired: has && instance.qrExpiresAt !== null && instance.qrExpiresAt.getTime() <= now,
  };
}

/** Starts pairing: a QR code, or with `phone` a pair code to type on the phone. */
export async function connectInstance(
  deps: ProvisioningDeps,
  tenantId: string,
  instanceId: string,
  options: { phone?: string } = {},
): Promise<{ instance: Instance; codes: ConnectionCodes }> {
  const handle = await instanceHandle(deps, tenantId, instanceId);
  const phone = options.phone?.replace(/\D+/g, '');
  if (options.phone !== undefined && (!phone || phone.length < 8 || phone.length > 15))
    throw validation('phone must be a number with country code, 8 to 15 digits');
  if (phone && !handle.adapter.capabilities.pairCode)
    throw new AppError('UNSUPPORTED', `${handle.server.provider.toLowerCase()} cannot pair with a code; use the QR code`, { status: 422 });
  if (handle.instance.status === 'OPEN') throw conflict('the instance is already connected; disconnect it first');
  const info = await upstream(handle.adapter.connect(handle.credentials, phone ? { phone } : {}));
  const instance = await saveConnection(deps, handle, info);
  return { instance, codes: codesOf(instance) };
}

/**
 * The code to show now. Connection webhooks keep it fresh; when the stored one has expired (webhooks
 * not arriving), the provider is asked. A QR code is requested anew only while connecting, and a pair
 * code never is: a new one would replace the code the user may be typing.
 */
export async function getInstanceCodes(deps: ProvisioningDeps, tenantId: string, instanceId: string): Promise<ConnectionCodes> {
  const handle = await instanceHandle(deps, tenantId, instanceId);
  const current = codesOf(handle.instance);
  if (handle.instance.status !== 'CONNECTING' || (current.expiresAt !== null && !current.expired)) return current;
  let info = await upstream(handle.adapter.getConnection(handle.credentials));
  if (info.state === 'connecting' && !info.qrCode && !info.pairCode && handle.instance.pairCode === null) {
    info = await upstream(handle.adapter.connect(handle.credentials));
  }
  return codesOf(await saveConnection(deps, handle, info));
}

export async function refreshInstanceStatus(deps: ProvisioningDeps, tenantId: string, instanceId: string): Promise<Instance> {
  const handle = await instanceHandle(deps, tenantId, instanceId);
  const info = await upstream(handle.adapter.getConnection(handle.credentials));
  return saveConnection(deps, handle, info);
}

export async function disconnectInstance(deps: ProvisioningDeps, tenantId: string, instanceId: string): Promise<Instance> {
  const handle = await instanceHandle(deps, tenantId, instanceId);
  await upstream(handle.adapter.disconnect(handle.credentials));
  // The provider's own view after logging out (closed or logged out), rather than a guess.
  const info = await handle.adapter.getConnection(handle.credentials).catch((): ConnectionInfo => ({ state: 'closed' }));
  return saveConnection(deps, handle, info);
}

export async function restartInstance(deps: ProvisioningDeps, tenantId: string, instanceId: string): Promise<Instance> {
  const handle = await instanceHandle(deps, tenantId, instanceId);
  if (!handle.adapter.capabilities.restart)
    throw new AppError('UNSUPPORTED', `${handle.server.provider.toLowerCase()} cannot restart an instance`, { status: 422 });
  const info = await upstream(handle.adapter.restart(handle.credentials));
  return saveConnection(deps, handle, info);
}

/**
 * Deletes the instance on the provider, then soft-deletes the row: its names are freed for reuse, its
 * inbox link is removed (so the inbox can be linked again), its lanes are paused and their waiting
 * items cancelled. `force` deletes locally even when the provider cannot be reached.
 */
export async function deleteInstance(
  deps: ProvisioningDeps,
  tenantId: string,
  instanceId: string,
  options: { force?: boolean } = {},
  actor: Actor = SYSTEM_ACTOR,
): Promise<void> {
  const handle = await instanceHandle(deps, tenantId, instanceId);
  try {
    await handle.adapter.deleteInstance(handle.credentials);
  } catch (error) {
    const gone = error instanceof ProviderError && error.kind === 'not_found';
    if (!gone && !options.force) throw upstreamError(error);
    if (!gone) deps.logger?.warn({ err: error, instanceId }, 'provider delete failed; deleting locally (force)');
  }
  const { instance } = handle;
  const tomb = `~deleted~${instance.id}`;
  await deps.db.$transaction(async (tx) => {
    const link = await tx.inboxLink.findFirst({ where: { tenantId, instanceId: instance.id }, select: { id: true } });
    if (link) {
      await tx.inboxLink.deleteMany({ where: { tenantId, id: link.id } });
      await auditSecrets(tx, tenantId, actor, { type: 'InboxLink', id: link.id }, [FIELDS.hubSecret, FIELDS.signingSecret], 'removed');
    }
    await tx.instance.update({
      where: { id: instance.id, tenantId },
      data: {
        deletedAt: new Date(),
        name: `${instance.name.slice(0, 80)}${tomb}`,
        externalName: `${instance.externalName}${tomb}`,
        lanesPaused: true,
        qrCode: null,
        pairCode: null,
        qrExpiresAt: null,
      },
    });
    await auditSecrets(
      tx,
      tenantId,
      actor,
      { type: 'Instance', id: instance.id },
      [FIELDS.instanceToken, FIELDS.instanceWebhookSecret],
      'removed',
    );
  });
  await createLaneAdmin(deps.db, { redis: deps.redis ?? null }).purge({ tenantId, instanceId: instance.id });
  notifyChanged(deps, instance.id);
}

/** Merges a behaviour update; the provider part goes to the provider first, so a refusal stores nothing. */
export async function updateInstanceSettings(
  deps: ProvisioningDeps,
  tenantId: string,
  instanceId: string,
  update: InstanceSettingsInput,
): Promise<{ instance: Instance; applied: string[]; unsupported: ProviderSettingKey[] }> {
  const settings = parseOrThrow(instanceSettingsSchema, update, 'settings');
  const handle = await instanceHandle(deps, tenantId, instanceId);
  const result = await upstream(applyProviderSettings(handle.adapter, handle.credentials, settings));
  const instance = await deps.db.instance.update({
    where: { id: handle.instance.id, tenantId },
    data: { settings: mergeSettings(handle.instance.settings, settings) as Prisma.InputJsonValue },
  });
  notifyChanged(deps, instance.id);
  return { instance, applied: [...result.applied, ...hubKeysOf(settings)], unsupported: result.unsupported };
}

export async function updateLanePolicy(
  deps: ProvisioningDeps,
  tenantId: string,
  instanceId: string,
  update: LanePolicyInput,
): Promise<Instance> {
  const policy = parseOrThrow(lanePolicySchema, update, 'lane policy');
  const current = await getInstance(deps, tenantId, instanceId);
  const base = policy.backoffBaseMs ?? current.backoffBaseMs;
  const max = policy.backoffMaxMs ?? current.backoffMaxMs;
  if (base > max) throw validation('backoffBaseMs must not exceed backoffMaxMs', [{ path: 'backoffBaseMs', message: `${base} > ${max}` }]);
  const instance = await deps.db.instance.update({ where: { id: current.id, tenantId }, data: policy });
  notifyChanged(deps, instance.id);
  return instance;
}

// ───────────────────────────── listing ─────────────────────────────

/** Lane item states that describe the queue now (finished items are history, not queue). */
export const QUEUE_STATES = ['QUEUED', 'RUNNING', 'RETRYING', 'UNKNOWN', 'DEAD'] as const;
export type QueueCounts = Record<(typeof QUEUE_STATES)[number], number>;

export async function queueCounts(deps: ProvisioningDeps, tenantId: string, instanceId: string): Promise<QueueCounts> {
  const grouped = await deps.db.laneItem.groupBy({
    by: ['status'],
    where: { tenantId, status: { in: [...QUEUE_STATES] }, lane: { instanceId } },
    _count: { _all: true },
  });
  const counts = Object.fromEntries(QUEUE_STATES.map((s) => [s, 0])) as QueueCounts;
  for (const g of grouped) counts[g.status as keyof QueueCounts] = g._count._all;
  return counts;
}

export async function listInstances(
  deps: ProvisioningDeps,
  tenantId: string,
  filter: { status?: InstanceStatus; providerServerId?: string } = {},
) {
  const rows = await deps.db.instance.findMany({
    where: {
      tenantId,
      deletedAt: null,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.providerServerId ? { providerServerId: filter.providerServerId } : {}),
    },
    include: { inboxLink: { include: { connection: { select: { id: true, name: true } } } } },
    orderBy: { createdAt: 'asc' },
  });
  return Promise.all(rows.map(async (row) => ({ ...row, queue: await queueCounts(deps, tenantId, row.id) })));
}

export async function getInstanceDetail(deps: ProvisioningDeps, tenantId: string, instanceId: string) {
  const where = byTenant(tenantId, instanceId);
  const row = where
    ? await deps.db.instance.findFirst({
        where: { ...where, deletedAt: null },
        include: { inboxLink: { include: { connection: { select: { id: true, name: true } } } } },
      })
    : null;
  if (!row) throw notFound('instance');
  return { ...row, queue: await queueCounts(deps, tenantId, row.id) };
}

// ───────────────────────────── sync and import ─────────────────────────────

export interface RemoteSummary {
  tenantId: string;
  providerServerId: string;
  externalName: string;
  externalId: string | null;
  state: ConnectionState;
  phoneE164: string | null;
  profileName: string | null;
}

export interface SyncResult {
  servers: { providerServerId: string; ok: boolean; error: string | null; remote: number }[];
  /** Known instances whose row changed. */
  updated: string[];
  /** Known instances the provider no longer lists (now ERROR). */
  missing: string[];
  /** Instances on the provider that the Hub does not know: candidates for import. */
  unknown: RemoteSummary[];
}

const sameNullable = (a: string | null | undefined, b: string | null | undefined) => (a ?? null) === (b ?? null);

async function syncServer(deps: ProvisioningDeps, server: ProviderServer, result: SyncResult, actor: Actor): Promise<void> {
  const tenantId = server.tenantId;
  let remote: RemoteInstance[];
  try {
    remote = await adapterForServer(deps, server).listInstances();
  } catch (error) {
    const mapped = upstreamError(error);
    result.servers.push({ providerServerId: server.id, ok: false, error: mapped instanceof Error ? mapped.message : 'failed', remote: 0 });
    deps.logger?.warn({ err: error, providerServerId: server.id }, 'instance sync: could not list the provider server');
    return;
  }
  result.servers.push({ providerServerId: server.id, ok: true, error: null, remote: remote.length });
  const local = await deps.db.instance.findMany({ where: { tenantId, providerServerId: server.id, deletedAt: null } });
  const now = new Date();
  for (const instance of local) {
    const match =
      remote.find((r) => r.name === instance.externalName) ?? remote.find((r) => instance.externalId && r.id === instance.externalId);
    if (!match) {
      const alreadyMissing = instance.status === 'ERROR' && instance.statusReason === MISSING_REASON;
      await deps.db.instance.update({
        where: { id: instance.id, tenantId },
        data: { lastSyncedAt: now, ...(alreadyMissing ? {} : { status: 'ERROR', statusReason: MISSING_REASON }) },
      });
      result.missing.push(instance.id);
      if (!alreadyMissing) {
        result.updated.push(instance.id);
        notifyChanged(deps, instance.id);
      }
      continue;
    }
    const status = STATUS_OF[match.state];
    const data: Prisma.InstanceUpdateInput = { lastSyncedAt: now };
    let changed = false;
    if (status !== instance.status) {
      data.status = status;
      data.statusReason = null;
      changed = true;
    }
    for (const [field, value] of [
      ['phoneE164', match.phoneE164],
      ['jid', match.jid],
      ['profileName', match.profileName],
    ] as const) {
      if (value && !sameNullable(instance[field], value)) {
        data[field] = value;
        changed = true;
      }
    }
    if (match.id && !instance.externalId) {
      data.externalId = match.id;
      changed = true;
    }
    if (status !== 'CONNECTING' && (instance.qrCode || instance.pairCode)) {
      data.qrCode = null;
      data.pairCode = null;
      data.qrExpiresAt = null;
    }
    // A token reset on the provider's panel would make every webhook fail authentication: follow it
    // (when the listing reveals tokens at all; Evolution can be configured not to).
    const tokenChanged =
      match.token !== '' && match.token !== decryptField(deps.secretBox, instance.tokenEnc, FIELDS.instanceToken, instance.id);
    if (tokenChanged) {
      data.tokenEnc = encryptField(deps, match.token, FIELDS.instanceToken, instance.id);
      changed = true;
    }
    await deps.db.instance.update({ where: { id: instance.id, tenantId }, data });
    if (tokenChanged)
      await auditSecrets(deps.db, tenantId, actor, { type: 'Instance', id: instance.id }, [FIELDS.instanceToken], 'rotated');
    if (changed) {
      result.updated.push(instance.id);
      notifyChanged(deps, instance.id);
    }
  }
  const known = new Set(local.map((i) => i.externalName));
  for (const r of remote) {
    if (known.has(r.name)) continue;
    if (local.some((i) => i.externalId && r.id === i.externalId)) continue;
    result.unknown.push({
      tenantId,
      providerServerId: server.id,
      externalName: r.name,
      externalId: r.id ?? null,
      state: r.state,
      phoneE164: r.phoneE164 ?? null,
      profileName: r.profileName ?? null,
    });
  }
}

/**
 * Reconciles instances with their provider servers: one tenant (API) or every tenant (scheduled job).
 * A server that cannot be listed is reported and skipped; its instances are left as they were.
 */
export async function syncInstances(
  deps: ProvisioningDeps,
  scope: { tenantId?: string; providerServerId?: string } = {},
  actor: Actor = SYSTEM_ACTOR,
): Promise<SyncResult> {
  let servers: ProviderServer[];
  if (scope.tenantId) {
    if (scope.providerServerId) servers = [await getProviderServer(deps, scope.tenantId, scope.providerServerId)];
    else servers = await deps.db.providerServer.findMany({ where: { tenantId: scope.tenantId }, orderBy: { createdAt: 'asc' } });
  } else {
    const all = deps.db.$unguarded('scheduled instance sync: every tenant');
    servers = await all.providerServer.findMany({
      where: scope.providerServerId ? { id: scope.providerServerId } : {},
      orderBy: { createdAt: 'asc' },
    });
  }
  const result: SyncResult = { servers: [], updated: [], missing: [], unknown: [] };
  for (const server of servers) await syncServer(deps, server, result, actor);
  return result;
}

/**
 * Adopts an instance that exists on the provider but not in the Hub: stores its token, gives it a path
 * secret of its own and points its webhook at the Hub.
 */
export async function importInstance(
  deps: ProvisioningDeps,
  tenantId: string,
  input: { providerServerId: string; externalName: string; name?: string },
  actor: Actor = SYSTEM_ACTOR,
): Promise<Instance> {
  const server = await getProviderServer(deps, tenantId, input.providerServerId);
  const name = input.name ?? input.externalName;
  const taken = await deps.db.instance.findFirst({
    where: { tenantId, OR: [{ name }, { providerServerId: server.id, externalName: input.externalName }] },
    select: { name: true },
  });
  if (taken)
    throw conflict(taken.name === name ? `an instance named "${name}" already exists` : 'this provider instance is already imported');
  const adapter = adapterForServer(deps, server);
  const remote = (await upstream(adapter.listInstances())).find((r) => r.name === input.externalName);
  if (!remote) throw notFound('provider instance');
  if (!remote.token)
    throw new AppError('UNSUPPORTED', 'the provider server does not reveal this instance’s token, so it cannot be imported', {
      status: 422,
    });
  const secret = randomToken();
  await upstream(adapter.configureWebhook(remote, { url: webhookUrl(deps, providerKindOf(server.provider), secret), enabled: true }));
  const instance = await uniquely(
    insertInstance(
      deps,
      tenantId,
      actor,
      { token: remote.token, webhookSecret: secret },
      {
        providerServerId: server.id,
        provider: server.provider,
        name,
        externalName: remote.name,
        externalId: remote.id ?? null,
        status: STATUS_OF[remote.state],
        phoneE164: remote.phoneE164 ?? null,
        jid: remote.jid ?? null,
        profileName: remote.profileName ?? null,
        lastSyncedAt: new Date(),
      },
    ),
    `an instance named "${name}" already exists`,
  );
  notifyChanged(deps, instance.id);
  return instance;
}
