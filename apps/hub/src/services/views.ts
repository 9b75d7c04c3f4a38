// What the REST API shows of management records. Built field by field from explicit schemas, so a
// token, a path secret or a signing secret can only ever leave masked (`••••9f2c`).
import type { ChatwootInbox } from '@whatpro/chatwoot';
import type { ChatwootConnection, InboxLink, Instance, ProviderServer } from '@whatpro/db';
import { parseBehaviour } from '@whatpro/domain';
import { maskSecret } from '@whatpro/platform';
import { z } from 'zod';
import { decryptField, FIELDS, type ProvisioningDeps, providerKindOf, webhookUrl } from './mgmt.ts';
import { QUEUE_STATES, type QueueCounts } from './provisioning.ts';

const MASKED = '••••';

/** Masks a stored secret; one that cannot be decrypted (missing key) still shows as set. */
function masked(deps: ProvisioningDeps, value: string | null, field: string, rowId: string): string | null {
  if (!value) return null;
  try {
    return maskSecret(decryptField(deps.secretBox, value, field, rowId));
  } catch {
    return MASKED;
  }
}

function maskedWebhook(deps: ProvisioningDeps, kind: 'uazapi' | 'evolution' | 'chatwoot', value: string, field: string, rowId: string) {
  return webhookUrl(deps, kind, masked(deps, value, field, rowId) ?? MASKED);
}

const providerEnum = z.enum(['UAZAPI', 'EVOLUTION']);
const instanceStatusEnum = z.enum(['CREATED', 'CONNECTING', 'OPEN', 'CLOSED', 'LOGGED_OUT', 'ERROR']);

// ───────────────────────────── provider servers ─────────────────────────────

export const providerServerSchema = z.object({
  id: z.uuid(),
  provider: providerEnum,
  name: z.string(),
  baseUrl: z.string(),
  adminToken: z.string().nullable().describe('masked'),
  instanceCount: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export function providerServerView(
  deps: ProvisioningDeps,
  s: ProviderServer & { instanceCount?: number },
): z.infer<typeof providerServerSchema> {
  return {
    id: s.id,
    provider: s.provider,
    name: s.name,
    baseUrl: s.baseUrl,
    adminToken: masked(deps, s.adminTokenEnc, FIELDS.adminToken, s.id),
    instanceCount: s.instanceCount ?? 0,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

// ───────────────────────────── instances ─────────────────────────────

const behaviourSchema = z.object({
  rejectCalls: z.boolean().optional(),
  rejectCallMessage: z.string().optional(),
  ignoreGroups: z.boolean().optional(),
  alwaysOnline: z.boolean().optional(),
  autoReadMessages: z.boolean().optional(),
  readStatus: z.boolean().optional(),
  syncFullHistory: z.boolean().optional(),
  signMessages: z.boolean(),
  signatureFormat: z.string(),
  typingBeforeSendMs: z.number(),
  relayAgentTyping: z.boolean(),
  markReadOnReply: z.boolean(),
  audioAsVoiceNote: z.boolean(),
  relayGroups: z.boolean(),
  relayFromMe: z.boolean(),
  notifyCalls: z.boolean(),
});

export const lanePolicyViewSchema = z.object({
  inboundMaxAttempts: z.number().int(),
  outboundMaxAttempts: z.number().int(),
  inboundExhaustion: z.enum(['SKIP', 'BLOCK']),
  outboundExhaustion: z.enum(['SKIP', 'BLOCK']),
  backoffBaseMs: z.number().int(),
  backoffMaxMs: z.number().int(),
  minSendIntervalMs: z.number().int(),
  lanesPaused: z.boolean(),
});

const linkSummarySchema = z.object({
  id: z.uuid(),
  chatwootConnectionId: z.uuid(),
  connectionName: z.string(),
  inboxId: z.number().int(),
  inboxIdentifier: z.string().nullable(),
  signatureMode: z.enum(['SIGNED', 'UNSIGNED']),
});

export const queueCountsSchema = z.object(
  Object.fromEntries(QUEUE_STATES.map((s) => [s, z.number().int()])) as Record<keyof QueueCounts, z.ZodNumber>,
);

export const instanceSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  provider: providerEnum,
  providerServerId: z.uuid(),
  externalName: z.string(),
  externalId: z.string().nullable(),
  status: instanceStatusEnum,
  statusReason: z.string().nullable(),
  phoneE164: z.string().nullable(),
  jid: z.string().nullable(),
  profileName: z.string().nullable(),
  token: z.string().nullable().describe('masked'),
  webhookUrl: z.string().describe('the provider webhook URL, its path secret masked'),
  hasCode: z.boolean().describe('a QR or pair code is waiting to be used (GET …/qr)'),
  codeExpiresAt: z.date().nullable(),
  settings: behaviourSchema,
  lanePolicy: lanePolicyViewSchema,
  link: linkSummarySchema.nullable(),
  queue: queueCountsSchema,
  lastSyncedAt: z.date().nullable(),
  lastEventAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type InstanceView = z.infer<typeof instanceSchema>;

type InstanceRow = Instance & {
  inboxLink: (InboxLink & { connection: { id: string; name: string } }) | null;
  queue: QueueCounts;
};

export function instanceView(deps: ProvisioningDeps, row: InstanceRow): InstanceView {
  const link = row.inboxLink;
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    providerServerId: row.providerServerId,
    externalName: row.externalName,
    externalId: row.externalId,
    status: row.status,
    statusReason: row.statusReason,
    phoneE164: row.phoneE164,
    jid: row.jid,
    profileName: row.profileName,
    token: masked(deps, row.tokenEnc, FIELDS.instanceToken, row.id),
    webhookUrl: maskedWebhook(deps, providerKindOf(row.provider), row.webhookSecretEnc, FIELDS.instanceWebhookSecret, row.id),
    hasCode: row.status === 'CONNECTING' && (row.qrCode !== null || row.pairCode !== null),
    codeExpiresAt: row.status === 'CONNECTING' ? row.qrExpiresAt : null,
    settings: parseBehaviour(row.settings),
    lanePolicy: {
      inboundMaxAttempts: row.inboundMaxAttempts,
      outboundMaxAttempts: row.outboundMaxAttempts,
      inboundExhaustion: row.inboundExhaustion,
      outboundExhaustion: row.outboundExhaustion,
      backoffBaseMs: row.backoffBaseMs,
      backoffMaxMs: row.backoffMaxMs,
      minSendIntervalMs: row.minSendIntervalMs,
      lanesPaused: row.lanesPaused,
    },
    link: link
      ? {
          id: link.id,
          chatwootConnectionId: link.chatwootConnectionId,
          connectionName: link.connection.name,
          inboxId: link.inboxId,
          inboxIdentifier: link.inboxIdentifier,
          signatureMode: link.signatureMode,
        }
      : null,
    queue: row.queue,
    lastSyncedAt: row.lastSyncedAt,
    lastEventAt: row.lastEventAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export const codesSchema = z.object({
  status: instanceStatusEnum,
  qrCode: z.string().nullable().describe('data URL or raw QR string, while connecting'),
  pairCode: z.string().nullable(),
  expiresAt: z.date().nullable(),
  expired: z.boolean(),
});

export const remoteInstanceSchema = z.object({
  providerServerId: z.uuid(),
  externalName: z.string(),
  externalId: z.string().nullable(),
  state: z.enum(['connecting', 'open', 'closed', 'logged_out']),
  phoneE164: z.string().nullable(),
  profileName: z.string().nullable(),
});

// ───────────────────────────── Chatwoot ─────────────────────────────

export const connectionSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  baseUrl: z.string(),
  accountId: z.number().int(),
  userToken: z.string().nullable().describe('masked'),
  linkCount: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export function connectionView(deps: ProvisioningDeps, c: ChatwootConnection & { linkCount?: number }): z.infer<typeof connectionSchema> {
  return {
    id: c.id,
    name: c.name,
    baseUrl: c.baseUrl,
    accountId: c.accountId,
    userToken: masked(deps, c.userTokenEnc, FIELDS.userToken, c.id),
    linkCount: c.linkCount ?? 0,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export const inboxSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  channelType: z.string(),
  isApiInbox: z.boolean(),
  /** Whether the inbox's webhook points at this Hub (its URL is not shown: it carries a path secret). */
  webhookToHub: z.boolean(),
  hasSigningSecret: z.boolean(),
  linkId: z.uuid().nullable(),
  instanceId: z.uuid().nullable(),
});

export function inboxView(
  deps: ProvisioningDeps,
  entry: { inbox: ChatwootInbox; linkId: string | null; instanceId: string | null },
): z.infer<typeof inboxSchema> {
  const hubPrefix = webhookUrl(deps, 'chatwoot', '');
  return {
    id: entry.inbox.id,
    name: entry.inbox.name,
    channelType: entry.inbox.channelType,
    isApiInbox: entry.inbox.channelType === 'Channel::Api',
    webhookToHub: entry.inbox.webhookUrl?.startsWith(hubPrefix) ?? false,
    hasSigningSecret: Boolean(entry.inbox.secret),
    linkId: entry.linkId,
    instanceId: entry.instanceId,
  };
}

export const linkSchema = z.object({
  id: z.uuid(),
  instanceId: z.uuid(),
  chatwootConnectionId: z.uuid(),
  inboxId: z.number().int(),
  inboxIdentifier: z.string().nullable(),
  signatureMode: z.enum(['SIGNED', 'UNSIGNED']),
  signingSecret: z.string().nullable().describe('masked'),
  webhookUrl: z.string().describe('the URL Chatwoot posts to, its path secret masked'),
  conversationPolicy: z.enum(['REOPEN', 'CREATE_NEW']),
  conversationPending: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export function linkView(deps: ProvisioningDeps, l: InboxLink): z.infer<typeof linkSchema> {
  return {
    id: l.id,
    instanceId: l.instanceId,
    chatwootConnectionId: l.chatwootConnectionId,
    inboxId: l.inboxId,
    inboxIdentifier: l.inboxIdentifier,
    signatureMode: l.signatureMode,
    signingSecret: masked(deps, l.webhookSigningSecretEnc, FIELDS.signingSecret, l.id),
    webhookUrl: maskedWebhook(deps, 'chatwoot', l.hubSecretEnc, FIELDS.hubSecret, l.id),
    conversationPolicy: l.conversationPolicy,
    conversationPending: l.conversationPending,
    createdAt: l.createdAt,
    updatedAt: l.updatedAt,
  };
}
