// The inbound lane handler: one canonical WhatsApp event becomes what the agent sees in Chatwoot.
// Idempotent through the message mapping: a retried or redelivered event never makes a second
// Chatwoot message.
import type { AttachmentInput } from '@whatpro/chatwoot';
import type { MessageMapping } from '@whatpro/db';
import type { CallEvent, CanonicalEvent, MessageEvent, PresenceEvent, StatusEvent } from '@whatpro/domain';
import { deletionNote, echoFingerprint, renderCall, renderInboundMessage } from '@whatpro/domain';
import { type HandlerItem, LaneDeferral } from '@whatpro/lanes';
import { AppError } from '@whatpro/platform';
import type { HubDeps } from '../deps.ts';
import { keysOf, resolveIdentity } from '../services/identity-registry.ts';
import type { InstanceContext, InstanceContexts } from '../services/instance-context.ts';
import { type DeskThread, ensureThread } from './chatwoot-conversation.ts';

/** Typing older than this is dropped: showing it late is worse than not showing it. */
const PRESENCE_STALE_MS = 15_000;
/** How long a status may wait for the send it refers to be recorded (the two legs race). */
const STATUS_WAIT_MS = 60_000;

const STATUS_TO_DESK = { sent: 'sent', delivered: 'delivered', read: 'read', played: 'read', failed: 'failed' } as const;
const STATUS_RANK = { PENDING: 0, UNKNOWN: 0, SENT: 1, DELIVERED: 2, READ: 3, PLAYED: 4, FAILED: 5, DELETED: 6 } as const;

export function createInboundHandler(deps: Pick<HubDeps, 'db' | 'logger'>, contexts: InstanceContexts) {
  const db = deps.db.$unguarded('lane worker: inbound');

  async function threadFor(ctx: InstanceContext, event: MessageEvent | StatusEvent | PresenceEvent | CallEvent): Promise<DeskThread> {
    const cw = ctx.chatwoot;
    if (!cw) throw new AppError('NOT_LINKED', 'instance is not linked to a Chatwoot inbox', { retryable: false });
    const identity = await resolveIdentity(db, { tenantId: ctx.instance.tenantId, instanceId: ctx.instance.id }, keysOf(event.chat));
    return ensureThread(db, cw, identity);
  }

  async function onMessage(ctx: InstanceContext, item: HandlerItem, event: MessageEvent) {
    const scope = { tenantId: ctx.instance.tenantId, instanceId: ctx.instance.id };
    const existing = await db.messageMapping.findFirst({ where: { ...scope, providerMessageId: event.messageId } });
    if (existing) return { skipped: 'already relayed', chatwootMessageId: existing.chatwootMessageId };

    if (event.fromMe) {
      // Our own send coming back: link the provider id to the pending part instead of showing it twice.
      const fingerprint = echoFingerprint(event.content);
      const pending =
        (event.trackId ? await db.messageMapping.findFirst({ where: { ...scope, trackId: event.trackId } }) : null) ??
        (fingerprint
          ? await db.messageMapping.findFirst({
              where: { ...scope, contactKey: item.contactKey, direction: 'OUTBOUND', providerMessageId: null, fingerprint },
              orderBy: { createdAt: 'asc' },
            })
          : null);
      if (pending) {
        await db.messageMapping.update({
          where: { id: pending.id, tenantId: scope.tenantId },
          data: {
            providerMessageId: event.messageId,
            status: pending.status === 'PENDING' || pending.status === 'UNKNOWN' ? 'SENT' : pending.status,
          },
        });
        return { skipped: 'echo of a Hub send', mappingId: pending.id };
      }
      // A send of ours may still be waiting for its provider id (the echo can beat the send's response):
      // give the outbound leg a moment to record it rather than showing the message twice.
      const inFlight = await db.messageMapping.count({
        where: {
          ...scope,
          contactKey: item.contactKey,
          direction: 'OUTBOUND',
          providerMessageId: null,
          status: { in: ['PENDING', 'UNKNOWN'] },
        },
      });
      if (inFlight > 0 && Date.now() - event.timestamp < STATUS_WAIT_MS) {
        throw new LaneDeferral('phone-side message may be the echo of a send in flight', { code: 'ECHO_PENDING', retryAfterMs: 1000 });
      }
      if (!ctx.behaviour.relayFromMe) return { skipped: 'messages sent from the phone are not relayed' };
    }
    if (event.chat.isGroup && !ctx.behaviour.relayGroups) return { skipped: 'groups are not relayed' };

    const cw = ctx.chatwoot!;
    const thread = await threadFor(ctx, event);
    if (item.previousOutcomeUnknown) {
      // A worker died mid-item: the message may already be in Chatwoot. Look before creating.
      const recent = await cw.client.listMessages(thread.conversationId);
      const found = recent.find((m) => m.sourceId === event.messageId);
      if (found) {
        await recordInbound(scope, item.contactKey, event, found.id, thread);
        return { reconciled: true, chatwootMessageId: found.id };
      }
    }

    const desk = renderInboundMessage(event);
    const attachments: AttachmentInput[] = [];
    if (desk.attachment) {
      const media = await ctx.adapter.downloadMedia(ctx.credentials, desk.attachment.media, {
        id: event.messageId,
        chatJid: event.chat.jid,
        fromMe: event.fromMe,
      });
      attachments.push({ data: media.data, contentType: media.mimeType, fileName: media.fileName ?? desk.attachment.media.fileName });
    }
    const created = await cw.client.createMessage(thread.conversationId, {
      content: desk.text || undefined,
      messageType: desk.direction,
      private: desk.private,
      sourceId: event.messageId,
      inReplyToExternalId: desk.replyToProviderId,
      externalEcho: event.fromMe || undefined,
      externalCreatedAt: Math.floor(event.timestamp / 1000),
      attachments,
      isVoiceMessage: desk.attachment?.voice || undefined,
    });
    await recordInbound(scope, item.contactKey, event, created.id, thread);
    return { chatwootMessageId: created.id, conversationId: thread.conversationId };
  }

  async function recordInbound(
    scope: { tenantId: string; instanceId: string },
    contactKey: string,
    event: MessageEvent,
    chatwootMessageId: number,
    thread: DeskThread,
  ) {
    await db.messageMapping.createMany({
      data: [
        {
          ...scope,
          direction: event.fromMe ? 'OUTBOUND' : 'INBOUND',
          providerMessageId: event.messageId,
          chatwootMessageId,
          chatwootConversationId: thread.conversationId,
          contactKey,
          status: event.fromMe ? 'SENT' : 'DELIVERED',
        },
      ],
      skipDuplicates: true,
    });
  }

  async function onStatus(ctx: InstanceContext, event: StatusEvent) {
    const scope = { tenantId: ctx.instance.tenantId, instanceId: ctx.instance.id };
    const cw = ctx.chatwoot!;
    const mappings = await db.messageMapping.findMany({ where: { ...scope, providerMessageId: { in: event.messageIds } } });
    if (mappings.length === 0) {
      if (Date.now() - event.timestamp < STATUS_WAIT_MS)
        throw new LaneDeferral('status arrived before its send was recorded', { code: 'STATUS_BEFORE_SEND', retryAfterMs: 2000 });
      return { skipped: 'status for a message the Hub does not know' };
    }
    if (event.status === 'deleted') return onDeleted(cw, scope, mappings);
    const target = event.status.toUpperCase() as keyof typeof STATUS_RANK;
    const updated: number[] = [];
    for (const mapping of mappings) {
      // Statuses can arrive out of order; never move a message backwards (read → delivered).
      if (STATUS_RANK[target] <= STATUS_RANK[mapping.status]) continue;
      await db.messageMapping.update({ where: { id: mapping.id, tenantId: scope.tenantId }, data: { status: target } });
      const deskStatus = STATUS_TO_DESK[event.status];
      if (mapping.direction === 'OUTBOUND' && mapping.chatwootMessageId && mapping.chatwootConversationId) {
        await cw.client.updateMessageStatus(mapping.chatwootConversationId, mapping.chatwootMessageId, deskStatus, event.error);
        updated.push(mapping.chatwootMessageId);
      }
    }
    return { status: event.status, updated };
  }

  /** Some providers report "deleted for everyone" as a status: keep the original, add a note next to it. */
  async function onDeleted(cw: NonNullable<InstanceContext['chatwoot']>, scope: { tenantId: string }, mappings: MessageMapping[]) {
    const notes: number[] = [];
    for (const mapping of mappings) {
      if (mapping.status === 'DELETED' || !mapping.chatwootMessageId || !mapping.chatwootConversationId) continue;
      const note = await cw.client.createMessage(mapping.chatwootConversationId, {
        content: deletionNote(mapping.direction === 'OUTBOUND'),
        messageType: 'outgoing',
        private: true,
        inReplyTo: mapping.chatwootMessageId,
      });
      await db.messageMapping.update({ where: { id: mapping.id, tenantId: scope.tenantId }, data: { status: 'DELETED' } });
      notes.push(note.id);
    }
    return { status: 'deleted', notes };
  }

  async function onPresence(ctx: InstanceContext, event: PresenceEvent) {
    if (Date.now() - event.timestamp > PRESENCE_STALE_MS) return { skipped: 'stale presence' };
    if (event.state !== 'typing' && event.state !== 'recording' && event.state !== 'paused') return { skipped: `presence ${event.state}` };
    const cw = ctx.chatwoot!;
    if (!cw.inboxIdentifier) return { skipped: 'inbox has no public identifier' };
    const identity = await resolveIdentity(db, { tenantId: ctx.instance.tenantId, instanceId: ctx.instance.id }, keysOf(event.chat));
    if (!identity.chatwootConversationId || !identity.contactInboxSourceId) return { skipped: 'no conversation yet' };
    await cw.client.contactTyping(
      {
        inboxIdentifier: cw.inboxIdentifier,
        contactSourceId: identity.contactInboxSourceId,
        conversationId: identity.chatwootConversationId,
      },
      event.state !== 'paused',
    );
    return { typing: event.state !== 'paused' };
  }

  async function onCall(ctx: InstanceContext, event: CallEvent) {
    const note = ctx.behaviour.notifyCalls ? renderCall(event) : null;
    if (!note) return { skipped: 'call event needs no note' };
    const thread = await threadFor(ctx, event);
    const created = await ctx.chatwoot!.client.createPrivateNote(thread.conversationId, note.text);
    return { chatwootMessageId: created.id };
  }

  return async function handleInbound(item: HandlerItem): Promise<unknown> {
    const event = item.payload as CanonicalEvent;
    const ctx = await contexts.get(item.instanceId);
    if (!ctx.chatwoot) throw new AppError('NOT_LINKED', 'instance is not linked to a Chatwoot inbox', { retryable: false });
    switch (event.kind) {
      case 'message':
        return onMessage(ctx, item, event);
      case 'status':
        return onStatus(ctx, event);
      case 'presence':
        return onPresence(ctx, event);
      case 'call':
        return onCall(ctx, event);
      default:
        return { skipped: `no inbound action for ${event.kind}` };
    }
  };
}
