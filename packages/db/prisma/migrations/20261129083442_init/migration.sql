-- CreateEnum
CREATE TYPE "TenantStatus" AS ENUM ('ACTIVE', 'DISABLED');

-- CreateEnum
CREATE TYPE "UserStatus" AS ENUM ('ACTIVE', 'DISABLED');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('OWNER', 'ADMIN', 'OPERATOR', 'VIEWER');

-- CreateEnum
CREATE TYPE "RefreshRevocation" AS ENUM ('LOGOUT', 'REUSE_DETECTED', 'PASSWORD_CHANGED', 'USER_DISABLED', 'TENANT_DISABLED', 'ADMIN');

-- CreateEnum
CREATE TYPE "ProviderKind" AS ENUM ('UAZAPI', 'EVOLUTION');

-- CreateEnum
CREATE TYPE "InstanceStatus" AS ENUM ('CREATED', 'CONNECTING', 'OPEN', 'CLOSED', 'LOGGED_OUT', 'ERROR');

-- CreateEnum
CREATE TYPE "ExhaustionPolicy" AS ENUM ('SKIP', 'BLOCK');

-- CreateEnum
CREATE TYPE "SignatureMode" AS ENUM ('SIGNED', 'UNSIGNED');

-- CreateEnum
CREATE TYPE "ConversationPolicy" AS ENUM ('REOPEN', 'CREATE_NEW');

-- CreateEnum
CREATE TYPE "Direction" AS ENUM ('INBOUND', 'OUTBOUND');

-- CreateEnum
CREATE TYPE "MessageStatus" AS ENUM ('PENDING', 'SENT', 'DELIVERED', 'READ', 'PLAYED', 'FAILED', 'DELETED', 'UNKNOWN');

-- CreateEnum
CREATE TYPE "EventSource" AS ENUM ('PROVIDER', 'CHATWOOT');

-- CreateEnum
CREATE TYPE "LaneItemStatus" AS ENUM ('QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'DEAD', 'SKIPPED', 'CANCELLED', 'UNKNOWN');

-- CreateEnum
CREATE TYPE "AttemptOutcome" AS ENUM ('RUNNING', 'SUCCEEDED', 'RETRY', 'DEAD', 'LEASE_LOST');

-- CreateTable
CREATE TABLE "tenants" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "status" "TenantStatus" NOT NULL DEFAULT 'ACTIVE',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "isPlatformAdmin" BOOLEAN NOT NULL DEFAULT false,
    "status" "UserStatus" NOT NULL DEFAULT 'ACTIVE',
    "locale" TEXT NOT NULL DEFAULT 'pt-BR',
    "passwordChangedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastLoginAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "memberships" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "role" "Role" NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "memberships_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "refresh_tokens" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "familyId" UUID NOT NULL,
    "parentId" UUID,
    "tokenHash" TEXT NOT NULL,
    "activeTenantId" UUID,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "replacedById" UUID,
    "revokedAt" TIMESTAMP(3),
    "revokedReason" "RefreshRevocation",
    "createdIp" TEXT,
    "userAgent" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "refresh_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_servers" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "provider" "ProviderKind" NOT NULL,
    "name" TEXT NOT NULL,
    "baseUrl" TEXT NOT NULL,
    "adminTokenEnc" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "provider_servers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "instances" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "providerServerId" UUID NOT NULL,
    "provider" "ProviderKind" NOT NULL,
    "name" TEXT NOT NULL,
    "externalId" TEXT,
    "externalName" TEXT NOT NULL,
    "tokenEnc" TEXT NOT NULL,
    "status" "InstanceStatus" NOT NULL DEFAULT 'CREATED',
    "statusReason" TEXT,
    "phoneE164" TEXT,
    "jid" TEXT,
    "profileName" TEXT,
    "qrCode" TEXT,
    "pairCode" TEXT,
    "qrExpiresAt" TIMESTAMP(3),
    "settings" JSONB NOT NULL DEFAULT '{}',
    "webhookSecretHash" TEXT NOT NULL,
    "webhookSecretEnc" TEXT NOT NULL,
    "inboundMaxAttempts" INTEGER NOT NULL DEFAULT 8,
    "outboundMaxAttempts" INTEGER NOT NULL DEFAULT 5,
    "inboundExhaustion" "ExhaustionPolicy" NOT NULL DEFAULT 'SKIP',
    "outboundExhaustion" "ExhaustionPolicy" NOT NULL DEFAULT 'BLOCK',
    "backoffBaseMs" INTEGER NOT NULL DEFAULT 1000,
    "backoffMaxMs" INTEGER NOT NULL DEFAULT 300000,
    "minSendIntervalMs" INTEGER NOT NULL DEFAULT 0,
    "lanesPaused" BOOLEAN NOT NULL DEFAULT false,
    "lastSyncedAt" TIMESTAMP(3),
    "lastEventAt" TIMESTAMP(3),
    "deletedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "instances_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "chatwoot_connections" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "baseUrl" TEXT NOT NULL,
    "accountId" INTEGER NOT NULL,
    "userTokenEnc" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "chatwoot_connections_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inbox_links" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "chatwootConnectionId" UUID NOT NULL,
    "inboxId" INTEGER NOT NULL,
    "inboxIdentifier" TEXT,
    "signatureMode" "SignatureMode" NOT NULL DEFAULT 'SIGNED',
    "webhookSigningSecretEnc" TEXT,
    "hubSecretHash" TEXT NOT NULL,
    "hubSecretEnc" TEXT NOT NULL,
    "conversationPolicy" "ConversationPolicy" NOT NULL DEFAULT 'REOPEN',
    "conversationPending" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "inbox_links_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contact_identities" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "isGroup" BOOLEAN NOT NULL DEFAULT false,
    "jid" TEXT,
    "lid" TEXT,
    "phoneE164" TEXT,
    "displayName" TEXT,
    "chatwootContactId" INTEGER,
    "contactInboxSourceId" TEXT,
    "chatwootConversationId" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "contact_identities_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "message_mappings" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "direction" "Direction" NOT NULL,
    "providerMessageId" TEXT,
    "chatwootMessageId" INTEGER,
    "part" INTEGER NOT NULL DEFAULT 0,
    "chatwootConversationId" INTEGER,
    "contactKey" TEXT,
    "trackId" TEXT,
    "status" "MessageStatus" NOT NULL DEFAULT 'PENDING',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "message_mappings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inbound_events" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "source" "EventSource" NOT NULL,
    "kind" TEXT NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbound_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "lanes" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "instanceId" UUID NOT NULL,
    "direction" "Direction" NOT NULL,
    "contactKey" TEXT NOT NULL,
    "readyAt" TIMESTAMP(3),
    "leaseOwner" TEXT,
    "leaseExpiresAt" TIMESTAMP(3),
    "fencingToken" BIGINT NOT NULL DEFAULT 0,
    "blocked" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "lanes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "lane_items" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "laneId" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "eventId" UUID,
    "status" "LaneItemStatus" NOT NULL DEFAULT 'QUEUED',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3),
    "lastErrorCode" TEXT,
    "lastError" TEXT,
    "result" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "lane_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "execution_attempts" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "laneItemId" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "workerId" TEXT NOT NULL,
    "fencingToken" BIGINT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "durationMs" INTEGER,
    "outcome" "AttemptOutcome" NOT NULL DEFAULT 'RUNNING',
    "errorCode" TEXT,
    "errorMessage" TEXT,

    CONSTRAINT "execution_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_logs" (
    "id" UUID NOT NULL,
    "tenantId" UUID,
    "actorUserId" UUID,
    "action" TEXT NOT NULL,
    "targetType" TEXT,
    "targetId" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "ip" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_logs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tenants_slug_key" ON "tenants"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE INDEX "memberships_userId_idx" ON "memberships"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "memberships_tenantId_userId_key" ON "memberships"("tenantId", "userId");

-- CreateIndex
CREATE UNIQUE INDEX "refresh_tokens_tokenHash_key" ON "refresh_tokens"("tokenHash");

-- CreateIndex
CREATE INDEX "refresh_tokens_familyId_idx" ON "refresh_tokens"("familyId");

-- CreateIndex
CREATE INDEX "refresh_tokens_userId_revokedAt_idx" ON "refresh_tokens"("userId", "revokedAt");

-- CreateIndex
CREATE INDEX "provider_servers_tenantId_idx" ON "provider_servers"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "provider_servers_tenantId_name_key" ON "provider_servers"("tenantId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "instances_webhookSecretHash_key" ON "instances"("webhookSecretHash");

-- CreateIndex
CREATE INDEX "instances_tenantId_status_idx" ON "instances"("tenantId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "instances_tenantId_name_key" ON "instances"("tenantId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "instances_providerServerId_externalName_key" ON "instances"("providerServerId", "externalName");

-- CreateIndex
CREATE UNIQUE INDEX "chatwoot_connections_tenantId_name_key" ON "chatwoot_connections"("tenantId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "chatwoot_connections_tenantId_baseUrl_accountId_key" ON "chatwoot_connections"("tenantId", "baseUrl", "accountId");

-- CreateIndex
CREATE UNIQUE INDEX "inbox_links_instanceId_key" ON "inbox_links"("instanceId");

-- CreateIndex
CREATE UNIQUE INDEX "inbox_links_hubSecretHash_key" ON "inbox_links"("hubSecretHash");

-- CreateIndex
CREATE INDEX "inbox_links_tenantId_idx" ON "inbox_links"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "inbox_links_chatwootConnectionId_inboxId_key" ON "inbox_links"("chatwootConnectionId", "inboxId");

-- CreateIndex
CREATE INDEX "contact_identities_tenantId_idx" ON "contact_identities"("tenantId");

-- CreateIndex
CREATE INDEX "contact_identities_instanceId_chatwootContactId_idx" ON "contact_identities"("instanceId", "chatwootContactId");

-- CreateIndex
CREATE UNIQUE INDEX "contact_identities_instanceId_jid_key" ON "contact_identities"("instanceId", "jid");

-- CreateIndex
CREATE UNIQUE INDEX "contact_identities_instanceId_lid_key" ON "contact_identities"("instanceId", "lid");

-- CreateIndex
CREATE UNIQUE INDEX "contact_identities_instanceId_phoneE164_key" ON "contact_identities"("instanceId", "phoneE164");

-- CreateIndex
CREATE INDEX "message_mappings_tenantId_idx" ON "message_mappings"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "message_mappings_instanceId_providerMessageId_key" ON "message_mappings"("instanceId", "providerMessageId");

-- CreateIndex
CREATE UNIQUE INDEX "message_mappings_instanceId_chatwootMessageId_part_key" ON "message_mappings"("instanceId", "chatwootMessageId", "part");

-- CreateIndex
CREATE UNIQUE INDEX "message_mappings_instanceId_trackId_key" ON "message_mappings"("instanceId", "trackId");

-- CreateIndex
CREATE INDEX "inbound_events_tenantId_receivedAt_idx" ON "inbound_events"("tenantId", "receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "inbound_events_instanceId_source_dedupeKey_key" ON "inbound_events"("instanceId", "source", "dedupeKey");

-- CreateIndex
CREATE INDEX "lanes_readyAt_idx" ON "lanes"("readyAt");

-- CreateIndex
CREATE INDEX "lanes_leaseExpiresAt_idx" ON "lanes"("leaseExpiresAt");

-- CreateIndex
CREATE INDEX "lanes_tenantId_idx" ON "lanes"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "lanes_instanceId_direction_contactKey_key" ON "lanes"("instanceId", "direction", "contactKey");

-- CreateIndex
CREATE INDEX "lane_items_laneId_status_seq_idx" ON "lane_items"("laneId", "status", "seq");

-- CreateIndex
CREATE INDEX "lane_items_tenantId_status_createdAt_idx" ON "lane_items"("tenantId", "status", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "lane_items_seq_key" ON "lane_items"("seq");

-- CreateIndex
CREATE INDEX "execution_attempts_tenantId_startedAt_idx" ON "execution_attempts"("tenantId", "startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "execution_attempts_laneItemId_attempt_key" ON "execution_attempts"("laneItemId", "attempt");

-- CreateIndex
CREATE INDEX "audit_logs_tenantId_createdAt_idx" ON "audit_logs"("tenantId", "createdAt");

-- CreateIndex
CREATE INDEX "audit_logs_actorUserId_createdAt_idx" ON "audit_logs"("actorUserId", "createdAt");

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "refresh_tokens"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "provider_servers" ADD CONSTRAINT "provider_servers_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instances" ADD CONSTRAINT "instances_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instances" ADD CONSTRAINT "instances_providerServerId_fkey" FOREIGN KEY ("providerServerId") REFERENCES "provider_servers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "chatwoot_connections" ADD CONSTRAINT "chatwoot_connections_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbox_links" ADD CONSTRAINT "inbox_links_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbox_links" ADD CONSTRAINT "inbox_links_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbox_links" ADD CONSTRAINT "inbox_links_chatwootConnectionId_fkey" FOREIGN KEY ("chatwootConnectionId") REFERENCES "chatwoot_connections"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact_identities" ADD CONSTRAINT "contact_identities_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact_identities" ADD CONSTRAINT "contact_identities_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "message_mappings" ADD CONSTRAINT "message_mappings_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "message_mappings" ADD CONSTRAINT "message_mappings_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_events" ADD CONSTRAINT "inbound_events_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_events" ADD CONSTRAINT "inbound_events_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lanes" ADD CONSTRAINT "lanes_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lanes" ADD CONSTRAINT "lanes_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lane_items" ADD CONSTRAINT "lane_items_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "lane_items" ADD CONSTRAINT "lane_items_laneId_fkey" FOREIGN KEY ("laneId") REFERENCES "lanes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "execution_attempts" ADD CONSTRAINT "execution_attempts_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "execution_attempts" ADD CONSTRAINT "execution_attempts_laneItemId_fkey" FOREIGN KEY ("laneItemId") REFERENCES "lane_items"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_logs" ADD CONSTRAINT "audit_logs_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
