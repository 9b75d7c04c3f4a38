// Chatwoot connections (one account + user token each) and the links between an instance and a
// Chatwoot API inbox: the inbox's webhook points at the Hub through a path secret of the link's own,
// and signed webhooks are checked with the inbox's signing secret.
import type { ChatwootInbox } from '@whatpro/chatwoot';
import type { ChatwootConnection, ConversationPolicy, InboxLink, SignatureMode } from '@whatpro/db';
import { conflict, notFound, randomToken, sha256, validation } from '@whatpro/platform';
import {
  type Actor,
  auditSecrets,
  chatwootClientFor,
  checkCredential,
  connectionClient,
  decryptField,
  encryptField,
  FIELDS,
  getInstance,
  isCredentialRejected,
  normalizeBaseUrl,
  notifyChanged,
  type ProvisioningDeps,
  SYSTEM_ACTOR,
  UUID_RE,
  uniquely,
  upstream,
  webhookUrl,
} from './mgmt.ts';

const API_CHANNEL = 'Channel::Api';

export interface ChatwootConnectionInput {
  name: string;
  baseUrl: string;
  accountId: number;
  userToken: string;
}

/** Lists the account's inboxes with the token: refuses a wrong URL, account or token when entered. */
function verifyConnection(deps: ProvisioningDeps, input: Omit<ChatwootConnectionInput, 'name'>) {
  // An account the token cannot see answers 404: for the operator that is the same wrong input.
  return checkCredential(
    chatwootClientFor(deps, input).listInboxes(),
    `Chatwoot refused the access token for account ${input.accountId}`,
    (error) => isCredentialRejected(error) || (error as { kind?: unknown }).kind === 'not_found',
  );
}

export async function createChatwootConnection(
  deps: ProvisioningDeps,
  tenantId: string,
  input: ChatwootConnectionInput,
  actor: Actor = SYSTEM_ACTOR,
): Promise<ChatwootConnection> {
  const baseUrl = normalizeBaseUrl(input.baseUrl);
  await verifyConnection(deps, { ...input, baseUrl });
  return uniquely(
    deps.db.$transaction(async (tx) => {
      const row = await tx.chatwootConnection.create({
        data: { tenantId, name: input.name, baseUrl, accountId: input.accountId, userTokenEnc: 'pending' },
      });
      const saved = await tx.chatwootConnection.update({
        where: { id: row.id, tenantId },
        data: { userTokenEnc: encryptField(deps, input.userToken, FIELDS.userToken, row.id) },
      });
      await auditSecrets(tx, tenantId, actor, { type: 'ChatwootConnection', id: row.id }, [FIELDS.userToken], 'set');
      return saved;
    }),
    'a Chatwoot connection with this name, or for this account, already exists',
  );
}

export async function getChatwootConnection(deps: ProvisioningDeps, tenantId: string, id: string): Promise<ChatwootConnection> {
  const connection = UUID_RE.test(id) ? await deps.db.chatwootConnection.findFirst({ where: { id, tenantId } }) : null;
  if (!connection) throw notFound('Chatwoot connection');
  return connection;
}

export async function chatwootConnectionDetail(deps: ProvisioningDeps, tenantId: string, id: string) {
  const connection = await getChatwootConnection(deps, tenantId, id);
  const linkCount = await deps.db.inboxLink.count({ where: { tenantId, chatwootConnectionId: connection.id } });
  return { ...connection, linkCount };
}

export async function listChatwootConnections(deps: ProvisioningDeps, tenantId: string) {
  const rows = await deps.db.chatwootConnection.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } });
  const counts = await deps.db.inboxLink.groupBy({ by: ['chatwootConnectionId'], where: { tenantId }, _count: { _all: true } });
  return rows.map((c) => ({ ...c, linkCount: counts.find((x) => x.chatwootConnectionId === c.id)?._count._all ?? 0 }));
}

async function linkedInstanceIds(deps: ProvisioningDeps, tenantId: string, connectionId: string): Promise<string[]> {
  const links = await deps.db.inboxLink.findMany({ where: { tenantId, chatwootConnectionId: connectionId }, select: { instanceId: true } });
  return links.map((l) => l.instanceId);
}

export async function updateChatwootConnection(
  deps: ProvisioningDeps,
  tenantId: string,
  id: string,
  input: Partial<ChatwootConnectionInput>,
  actor: Actor = SYSTEM_ACTOR,
): Promise<ChatwootConnection> {
  const current = await getChatwootConnection(deps, tenantId, id);
  const baseUrl = input.baseUrl === undefined ? current.baseUrl : normalizeBaseUrl(input.baseUrl);
  const accountId = input.accountId ?? current.accountId;
  const reaches = input.userToken !== undefined || baseUrl !== current.baseUrl || accountId !== current.accountId;
  if (reaches) {
    const userToken = input.userToken ?? decryptField(deps.secretBox, current.userTokenEnc, FIELDS.userToken, current.id);
    await verifyConnection(deps, { baseUrl, accountId, userToken });
  }
  const saved = await uniquely(
    deps.db.$transaction(async (tx) => {
      const row = await tx.chatwootConnection.update({
        where: { id: current.id, tenantId },
        data: {
          ...(input.name === undefined ? {} : { name: input.name }),
          baseUrl,
          accountId,
          ...(input.userToken === undefined ? {} : { userTokenEnc: encryptField(deps, input.userToken, FIELDS.userToken, current.id) }),
        },
      });
      if (input.userToken !== undefined)
        await auditSecrets(tx, tenantId, actor, { type: 'ChatwootConnection', id: current.id }, [FIELDS.userToken], 'rotated');
      return row;
    }),
    'a Chatwoot connection with this name, or for this account, already exists',
  );
  if (reaches) notifyChanged(deps, await linkedInstanceIds(deps, tenantId, current.id));
  return saved;
}

/** Refused while inboxes are linked through it: unlink them first (that is a visible, audited act). */
export async function deleteChatwootConnection(
  deps: ProvisioningDeps,
  tenantId: string,
  id: string,
  actor: Actor = SYSTEM_ACTOR,
): Promise<void> {
  const connection = await getChatwootConnection(deps, tenantId, id);
  const links = await deps.db.inboxLink.count({ where: { tenantId, chatwootConnectionId: connection.id } });
  if (links > 0) throw conflict(`the connection still links ${links} inbox(es); unlink them first`);
  await deps.db.$transaction(async (tx) => {
    await tx.chatwootConnection.deleteMany({ where: { id: connection.id, tenantId } });
    await auditSecrets(tx, tenantId, actor, { type: 'ChatwootConnection', id: connection.id }, [FIELDS.userToken], 'removed');
  });
}

/** The account's inboxes, each with the instance it is linked to here (if any). */
export async function listConnectionInboxes(deps: ProvisioningDeps, tenantId: string, connectionId: string) {
  const connection = await getChatwootConnection(deps, tenantId, connectionId);
  const inboxes = await upstream(connectionClient(deps, connection).listInboxes());
  const links = await deps.db.inboxLink.findMany({
    where: { tenantId, chatwootConnectionId: connection.id },
    select: { id: true, inboxId: true, instanceId: true },
  });
  return inboxes.map((inbox) => {
    const link = links.find((l) => l.inboxId === inbox.id);
    return { inbox, linkId: link?.id ?? null, instanceId: link?.instanceId ?? null };
  });
}

// ───────────────────────────── inbox links ─────────────────────────────

export interface LinkInboxInput {
  instanceId: string;
  chatwootConnectionId: string;
  /** Link an existing API inbox … */
  inboxId?: number;
  /** … or create one for this instance. */
  createInbox?: { name: string };
  signatureMode: SignatureMode;
  /** The inbox's webhook secret (Chatwoot ≥ 4.13); read from Chatwoot when the token can see it. */
  signingSecret?: string;
  conversationPolicy?: ConversationPolicy;
  conversationPending?: boolean;
}

export async function linkInbox(
  deps: ProvisioningDeps,
  tenantId: string,
  input: LinkInboxInput,
  actor: Actor = SYSTEM_ACTOR,
): Promise<InboxLink> {
  if ((input.inboxId === undefined) === (input.createInbox === undefined))
    throw validation('give either inboxId (an existing API inbox) or createInbox (a new one)');
  const instance = await getInstance(deps, tenantId, input.instanceId);
  if (await deps.db.inboxLink.findFirst({ where: { tenantId, instanceId: instance.id }, select: { id: true } }))
    throw conflict('the instance is already linked to an inbox; unlink it first');
  const connection = await getChatwootConnection(deps, tenantId, input.chatwootConnectionId);
  if (
    input.inboxId !== undefined &&
    (await deps.db.inboxLink.findFirst({
      where: { tenantId, chatwootConnectionId: connection.id, inboxId: input.inboxId },
      select: { id: true },
    }))
  )
    throw conflict('this inbox is already linked to another instance');

  const client = connectionClient(deps, connection);
  const secret = randomToken();
  const url = webhookUrl(deps, 'chatwoot', secret);
  let inbox: ChatwootInbox;
  let signingSecret: string | null;
  if (input.createInbox) {
    inbox = await upstream(client.createApiInbox({ name: input.createInbox.name, webhookUrl: url }));
    signingSecret = input.signingSecret ?? inbox.secret;
    if (input.signatureMode === 'SIGNED' && !signingSecret) {
      throw conflict(
        `Chatwoot created inbox ${inbox.id} but gave no webhook signing secret (Chatwoot before 4.13 does not sign): link it with signatureMode UNSIGNED`,
        { inboxId: inbox.id },
      );
    }
  } else {
    const found = (await upstream(client.listInboxes())).find((i) => i.id === input.inboxId);
    if (!found) throw notFound('Chatwoot inbox');
    if (found.channelType !== API_CHANNEL)
      throw validation(`inbox ${found.id} is a ${found.channelType} inbox; only API inboxes can be linked`);
    signingSecret = input.signingSecret ?? found.secret;
    if (input.signatureMode === 'SIGNED' && !signingSecret)
      throw validation('signingSecret is required for a SIGNED link (Chatwoot shows it in the inbox settings)', [
        { path: 'signingSecret', message: 'required when signatureMode is SIGNED' },
      ]);
    inbox = await upstream(client.setInboxWebhookUrl(found.id, url));
  }

  const link = await uniquely(
    deps.db.$transaction(async (tx) => {
      const row = await tx.inboxLink.create({
        data: {
          tenantId,
          instanceId: instance.id,
          chatwootConnectionId: connection.id,
          inboxId: inbox.id,
          inboxIdentifier: inbox.inboxIdentifier,
          signatureMode: input.signatureMode,
          hubSecretHash: sha256(secret),
          hubSecretEnc: 'pending',
          conversationPolicy: input.conversationPolicy ?? 'REOPEN',
          conversationPending: input.conversationPending ?? false,
        },
      });
      const saved = await tx.inboxLink.update({
        where: { id: row.id, tenantId },
        data: {
          hubSecretEnc: encryptField(deps, secret, FIELDS.hubSecret, row.id),
          webhookSigningSecretEnc: signingSecret ? encryptField(deps, signingSecret, FIELDS.signingSecret, row.id) : null,
        },
      });
      const fields = signingSecret ? [FIELDS.hubSecret, FIELDS.signingSecret] : [FIELDS.hubSecret];
      await auditSecrets(tx, tenantId, actor, { type: 'InboxLink', id: row.id }, fields, 'set');
      return saved;
    }),
    'the instance or the inbox is already linked',
  );
  notifyChanged(deps, instance.id);
  return link;
}

export async function getInboxLink(deps: ProvisioningDeps, tenantId: string, id: string): Promise<InboxLink> {
  const link = UUID_RE.test(id) ? await deps.db.inboxLink.findFirst({ where: { id, tenantId } }) : null;
  if (!link) throw notFound('inbox link');
  return link;
}

export async function listInboxLinks(deps: ProvisioningDeps, tenantId: string, filter: { chatwootConnectionId?: string } = {}) {
  return deps.db.inboxLink.findMany({
    where: { tenantId, ...(filter.chatwootConnectionId ? { chatwootConnectionId: filter.chatwootConnectionId } : {}) },
    orderBy: { createdAt: 'asc' },
  });
}

export async function updateInboxLink(
  deps: ProvisioningDeps,
  tenantId: string,
  id: string,
  input: { signatureMode?: SignatureMode; signingSecret?: string; conversationPolicy?: ConversationPolicy; conversationPending?: boolean },
  actor: Actor = SYSTEM_ACTOR,
): Promise<InboxLink> {
  const link = await getInboxLink(deps, tenantId, id);
  const mode = input.signatureMode ?? link.signatureMode;
  if (mode === 'SIGNED' && !input.signingSecret && !link.webhookSigningSecretEnc)
    throw validation('signingSecret is required for a SIGNED link', [
      { path: 'signingSecret', message: 'required when signatureMode is SIGNED' },
    ]);
  const saved = await deps.db.$transaction(async (tx) => {
    const row = await tx.inboxLink.update({
      where: { id: link.id, tenantId },
      data: {
        signatureMode: mode,
        ...(input.signingSecret === undefined
          ? {}
          : { webhookSigningSecretEnc: encryptField(deps, input.signingSecret, FIELDS.signingSecret, link.id) }),
        ...(input.conversationPolicy === undefined ? {} : { conversationPolicy: input.conversationPolicy }),
        ...(input.conversationPending === undefined ? {} : { conversationPending: input.conversationPending }),
      },
    });
    if (input.signingSecret !== undefined)
      await auditSecrets(
        tx,
        tenantId,
        actor,
        { type: 'InboxLink', id: link.id },
        [FIELDS.signingSecret],
        link.webhookSigningSecretEnc ? 'rotated' : 'set',
      );
    return row;
  });
  notifyChanged(deps, link.instanceId);
  return saved;
}

/**
 * Removes the link; its path secret dies with it, so the inbox's webhook calls are refused from now on.
 * The Chatwoot inbox itself is kept (it holds the conversations).
 */
export async function unlinkInbox(deps: ProvisioningDeps, tenantId: string, id: string, actor: Actor = SYSTEM_ACTOR): Promise<void> {
  const link = await getInboxLink(deps, tenantId, id);
  await deps.db.$transaction(async (tx) => {
    await tx.inboxLink.deleteMany({ where: { id: link.id, tenantId } });
    const fields = link.webhookSigningSecretEnc ? [FIELDS.hubSecret, FIELDS.signingSecret] : [FIELDS.hubSecret];
    await auditSecrets(tx, tenantId, actor, { type: 'InboxLink', id: link.id }, fields, 'removed');
  });
  notifyChanged(deps, link.instanceId);
}
