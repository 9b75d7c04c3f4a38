// The outbound lane handlers: an agent's reply, a deletion or agent typing, sent through the
// instance's provider. Each part of a reply is recorded before it is sent, so a retry knows what
// already left; the provider's echo (track id) settles sends whose outcome a crash made unknown.
import type { ContactIdentity } from '@whatpro/db';
import { type MessageKeyRef, planAgentReply, type SendCommand, sendFingerprint } from '@whatpro/domain';
import { type DeadItem, type HandlerItem, LaneDeferral } from '@whatpro/lanes';
import { AppError } from '@whatpro/platform';
import { ProviderError } from '@whatpro/providers';
import type { HubDeps } from '../deps.ts';
import { addressOf } from '../services/identity-registry.ts';
import type { InstanceContext, InstanceContexts } from '../services/instance-context.ts';
import { downloadDeskFile } from './desk-files.ts';
import { LANE_KINDS, type OutboundDeletePayload, type OutboundMessagePayload, type OutboundPresencePayload } from './payloads.ts';

/** How long a send of unknown outcome waits for the provider's echo before it is sent again. */
export const ECHO_WAIT_MS = 10_000;
const PRESENCE_STALE_MS = 10_000;

const definitelyNotSent = (error: unknown) =>
  error instanceof ProviderError ? error.kind !== 'timeout' && error.kind !== 'network' && error.kind !== 'invalid_response' : false;

export function createOutboundHandlers(
  deps: Pick<HubDeps, 'db' | 'logger'>,
  contexts: InstanceContexts,
  options: { fetch?: typeof fetch } = {},
) {
  const db = deps.db.$unguarded('lane worker: outbound');

  function requireConnected(ctx: InstanceContext) {
    if (ctx.instance.status !== 'OPEN') {
      // Not the message's fault: wait without burning attempts; the lane resumes once it reconnects.
      throw new LaneDeferral(`instance is ${ctx.instance.status.toLowerCase()}`, { code: 'INSTANCE_DISCONNECTED', retryAfterMs: 5000 });
    }
  }

  async function identityFor(item: HandlerItem, conversationId: number): Promise<ContactIdentity> {
    const scope = { tenantId: item.tenantId, instanceId: item.instanceId };
    const identity =
      (await db.contactIdentity.findFirst({ where: { ...scope, id: item.contactKey } })) ??
      (await db.contactIdentity.findFirst({ where: { ...scope, chatwootConversationId: conversationId } }));
    if (!identity) throw new AppError('CONTACT_UNKNOWN', 'the conversation has no WhatsApp contact', { retryable: false });
    return identity;
  }

  async function quoted(item: HandlerItem, p: OutboundMessagePayload, chatJid: string): Promise<MessageKeyRef | undefined> {
    const scope = { tenantId: item.tenantId, instanceId: item.instanceId };
    const mapping = p.replyToExternalId
      ? await db.messageMapping.findFirst({ where: { ...scope, providerMessageId: p.replyToExternalId } })
      : p.replyToDeskId
        ? await db.messageMapping.findFirst({
            where: { ...scope, chatwootMessageId: p.replyToDeskId, providerMessageId: { not: null } },
            orderBy: { part: 'asc' },
          })
        : null;
    const id = mapping?.providerMessageId ?? p.replyToExternalId;
    return id ? { id, chatJid, fromMe: mapping ? mapping.direction === 'OUTBOUND' : false } : undefined;
  }

  async function sendMessage(item: HandlerItem): Promise<unknown> {
    const p = item.payload as OutboundMessagePayload;
    const ctx = await contexts.get(item.instanceId);
    requireConnected(ctx);
    const identity = await identityFor(item, p.conversationId);
    if (!identity.chatwootConversationId) {
      await db.contactIdentity.update({
        where: { id: identity.id, tenantId: identity.tenantId },
        data: { chatwootConversationId: p.conversationId },
      });
    }
    const to = addressOf(identity);
    const plan = planAgentReply(
      {
        deskMessageId: p.deskMessageId,
        text: p.text,
        attachments: p.attachments,
        agentName: p.agentName,
        replyTo: await quoted(item, p, to),
      },
      to,
      ctx.behaviour,
    );
    if (plan.length === 0) return { skipped: 'nothing WhatsApp can show' };

    const scope = { tenantId: item.tenantId, instanceId: item.instanceId };
    const sent: { part: number; messageId: string; reconciled?: boolean }[] = [];
    for (const part of plan) {
      const trackId = part.command.trackId as string;
      const key = {
        instanceId_chatwootMessageId_part: { instanceId: item.instanceId, chatwootMessageId: p.deskMessageId, part: part.part },
      };
      const existing = await db.messageMapping.findUnique({ where: { ...key, tenantId: item.tenantId } });
      if (existing?.providerMessageId) {
        sent.push({ part: part.part, messageId: existing.providerMessageId, reconciled: true });
        continue;
      }
      if (
        existing &&
        (ctx.adapter.capabilities.trackId || existing.fingerprint) &&
        Date.now() - existing.updatedAt.getTime() < ECHO_WAIT_MS
      ) {
        // The last try may have reached WhatsApp: give its echo (carrying our track id) time to arrive.
        throw new LaneDeferral('waiting for the echo of a send whose outcome is unknown', { code: 'AWAITING_ECHO', retryAfterMs: 2000 });
      }
      const mapping =
        existing ??
        (await db.messageMapping.create({
          data: {
            ...scope,
            direction: 'OUTBOUND',
            chatwootMessageId: p.deskMessageId,
            part: part.part,
            chatwootConversationId: p.conversationId,
            contactKey: item.contactKey,
            trackId,
            fingerprint: sendFingerprint(part.command),
            status: 'PENDING',
          },
        }));

      let command: SendCommand = part.command;
      if (part.fetchUrl && 'source' in command) {
        const file = await downloadDeskFile(part.fetchUrl, { fetch: options.fetch });
        command = {
          ...command,
          source: { base64: file.data.toString('base64'), mimeType: command.mimeType ?? file.mimeType },
          mimeType: command.mimeType ?? file.mimeType,
        };
      }
      if (command.type === 'text' && ctx.behaviour.typingBeforeSendMs > 0)
        command = { ...command, delayMs: ctx.behaviour.typingBeforeSendMs };

      let result: Awaited<ReturnType<typeof ctx.adapter.send>>;
      try {
        result = await ctx.adapter.send(ctx.credentials, command);
      } catch (error) {
        // A clear refusal means nothing left: forget the part so the retry sends it fresh.
        if (definitelyNotSent(error)) await db.messageMapping.delete({ where: { id: mapping.id, tenantId: item.tenantId } });
        else await db.messageMapping.update({ where: { id: mapping.id, tenantId: item.tenantId }, data: { status: 'UNKNOWN' } });
        throw error;
      }
      await db.messageMapping.update({
        where: { id: mapping.id, tenantId: item.tenantId },
        data: { providerMessageId: result.messageId, status: 'SENT' },
      });
      sent.push({ part: part.part, messageId: result.messageId });
    }

    const cw = ctx.chatwoot;
    if (cw && item.attempt > 1) {
      // A retry after a failure: clear the failed mark the agent may have seen.
      await cw.client
        .updateMessageStatus(p.conversationId, p.deskMessageId, 'sent')
        .catch((error) => deps.logger.warn({ err: error }, 'could not reset message status'));
    }
    if (ctx.behaviour.markReadOnReply) {
      const last = await db.messageMapping.findFirst({
        where: { ...scope, contactKey: item.contactKey, direction: 'INBOUND' },
        orderBy: { createdAt: 'desc' },
      });
      const lastInbound = last?.providerMessageId;
      if (lastInbound)
        await ctx.adapter
          .markRead(ctx.credentials, to, [{ id: lastInbound, chatJid: to, fromMe: false }])
          .catch((error) => deps.logger.warn({ err: error }, 'mark read failed'));
    }
    return { sent };
  }

  async function deleteMessage(item: HandlerItem): Promise<unknown> {
    const p = item.payload as OutboundDeletePayload;
    const ctx = await contexts.get(item.instanceId);
    if (!ctx.adapter.capabilities.sends.delete) return { skipped: `${ctx.adapter.kind} cannot delete messages` };
    requireConnected(ctx);
    const identity = await identityFor(item, p.conversationId);
    const to = addressOf(identity);
    const parts = await db.messageMapping.findMany({
      where: {
        tenantId: item.tenantId,
        instanceId: item.instanceId,
        chatwootMessageId: p.deskMessageId,
        providerMessageId: { not: null },
        status: { not: 'DELETED' },
      },
      orderBy: { part: 'asc' },
    });
    for (const mapping of parts) {
      await ctx.adapter.send(ctx.credentials, {
        type: 'delete',
        to,
        target: { id: mapping.providerMessageId as string, chatJid: to, fromMe: true },
      });
      await db.messageMapping.update({ where: { id: mapping.id, tenantId: item.tenantId }, data: { status: 'DELETED' } });
    }
    return { deleted: parts.map((m) => m.providerMessageId) };
  }

  async function presence(item: HandlerItem): Promise<unknown> {
    const p = item.payload as OutboundPresencePayload;
    if (Date.now() - p.at > PRESENCE_STALE_MS) return { skipped: 'stale typing' };
    const ctx = await contexts.get(item.instanceId);
    if (!ctx.behaviour.relayAgentTyping) return { skipped: 'typing relay is off' };
    if (ctx.instance.status !== 'OPEN') return { skipped: 'instance is not connected' };
    const identity = await identityFor(item, p.conversationId);
    await ctx.adapter.setPresence(ctx.credentials, addressOf(identity), p.state, p.state === 'typing' ? 15_000 : undefined);
    return { presence: p.state };
  }

  /** A reply that will not be sent: say so in Chatwoot, where the agent is looking. */
  async function onDead(item: DeadItem): Promise<void> {
    if (item.kind !== LANE_KINDS.outboundMessage) return;
    const p = item.payload as OutboundMessagePayload;
    const ctx = await contexts.get(item.instanceId);
    if (!ctx.chatwoot) return;
    const reason = item.errorMessage;
    await ctx.chatwoot.client.updateMessageStatus(p.conversationId, p.deskMessageId, 'failed', reason);
    const lines = [
      '⚠️ Esta mensagem não foi entregue ao WhatsApp.',
      `Motivo: ${reason}`,
      item.laneBlocked
        ? 'As próximas mensagens desta conversa aguardam, na ordem, até que a falha seja resolvida.'
        : 'As próximas mensagens desta conversa seguem normalmente.',
      'Para reenviar: WhatPro Manager → Filas → Reprocessar.',
    ];
    await ctx.chatwoot.client.createPrivateNote(p.conversationId, lines.join('\n'));
  }

  return {
    handlers: {
      [LANE_KINDS.outboundMessage]: sendMessage,
      [LANE_KINDS.outboundDelete]: deleteMessage,
      [LANE_KINDS.outboundPresence]: presence,
    },
    onDead,
  };
}
