// POST /webhooks/chatwoot/:secret — the Chatwoot → Hub leg. Chatwoot gives an inbox webhook 5 s, never
// retries, and marks the message failed when the webhook is slow or errors, so every event that
// passes authentication is acknowledged with 200 at once (ignored ones included) and the sending
// happens on the contact's outbound lane.
import { type ChatwootWebhookEvent, type ChatwootWebhookMessage, parseChatwootWebhook, verifyChatwootSignature } from '@whatpro/chatwoot';
import type { DeskAttachment, DeskAttachmentKind } from '@whatpro/domain';
import { canonicalPhone } from '@whatpro/domain';
import { enqueue, wake } from '@whatpro/lanes';
import { AppError, sha256 } from '@whatpro/platform';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HubDeps } from '../deps.ts';
import { LANE_KINDS, type OutboundDeletePayload, type OutboundMessagePayload, type OutboundPresencePayload } from '../flows/payloads.ts';
import { type IdentityKeys, resolveIdentity } from '../services/identity-registry.ts';
import { decryptField } from '../services/mgmt.ts';

type RawRequest = FastifyRequest & { rawBody?: Buffer };

const ATTACHMENT_KINDS: Record<string, DeskAttachmentKind> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  file: 'file',
  location: 'location',
  contact: 'contact',
};

/** The contact inbox source id the Hub set (phone digits, LID or group JID) back to identity keys. */
export function keysFromSourceId(sourceId: string | null): IdentityKeys | null {
  if (!sourceId) return null;
  if (sourceId.endsWith('@g.us')) return { jid: sourceId, isGroup: true };
  if (sourceId.endsWith('@lid')) return { lid: sourceId, isGroup: false };
  if (/^\+?\d{8,15}$/.test(sourceId)) {
    const phone = canonicalPhone(sourceId);
    return phone ? { phoneE164: phone, isGroup: false } : null;
  }
  return null;
}

export function attachmentsOf(message: ChatwootWebhookMessage): DeskAttachment[] {
  return message.attachments.map((a) => ({
    kind: ATTACHMENT_KINDS[a.fileType] ?? 'other',
    url: a.dataUrl ?? '',
    mimeType: a.contentType ?? undefined,
    fileName: a.fileName ?? undefined,
    latitude: a.coordinates?.latitude,
    longitude: a.coordinates?.longitude,
    title: a.fallbackTitle ?? undefined,
  }));
}

/** chatwoot.md §4.5: only agent (or template) messages that did not come from the Hub are sent. */
export function shouldSend(message: ChatwootWebhookMessage): string | null {
  if (message.messageType !== 'outgoing' && message.messageType !== 'template') return 'not an outgoing message';
  if (message.private) return 'private note';
  if (message.sourceId) return 'echo of a message the Hub created';
  if (message.contentType === 'voice_call') return 'voice call';
  if (message.contentAttributes.deleted) return 'already deleted';
  return null;
}

type Planned = { kind: string; dedupeKey: string; conversationId: number; sourceId: string | null; payload: object } | { ignored: string };

function plan(event: ChatwootWebhookEvent): Planned {
  switch (event.event) {
    case 'message_created': {
      const m = event.message;
      const reason = shouldSend(m);
      if (reason) return { ignored: reason };
      const payload: OutboundMessagePayload = {
        deskMessageId: m.id,
        conversationId: m.conversation.id,
        text: m.content ?? '',
        attachments: attachmentsOf(m),
        agentName: m.sender?.kind === 'user' ? (m.sender.name ?? undefined) : undefined,
        replyToExternalId: m.contentAttributes.inReplyToExternalId ?? undefined,
        replyToDeskId: m.contentAttributes.inReplyTo ?? undefined,
        template: m.messageType === 'template',
      };
      return {
        kind: LANE_KINDS.outboundMessage,
        dedupeKey: `message:${m.id}`,
        conversationId: m.conversation.id,
        sourceId: m.conversation.contactSourceId,
        payload,
      };
    }
    case 'message_updated': {
      const m = event.message;
      // An agent deleted a message the Hub sent: revoke it on WhatsApp too. Other updates are the
      // echoes of our own status PATCHes.
      if (!m.contentAttributes.deleted || m.private || (m.messageType !== 'outgoing' && m.messageType !== 'template'))
        return { ignored: 'update without a deletion' };
      const payload: OutboundDeletePayload = { deskMessageId: m.id, conversationId: m.conversation.id };
      return {
        kind: LANE_KINDS.outboundDelete,
        dedupeKey: `delete:${m.id}`,
        conversationId: m.conversation.id,
        sourceId: m.conversation.contactSourceId,
        payload,
      };
    }
    case 'conversation_typing_on':
    case 'conversation_typing_off': {
      if (event.isPrivate) return { ignored: 'typing a private note' };
      if (event.user?.kind !== 'user') return { ignored: 'typing by someone other than an agent' };
      const state = event.event === 'conversation_typing_on' ? 'typing' : 'paused';
      const at = Date.now();
      const payload: OutboundPresencePayload = { conversationId: event.conversation.id, state, at };
      return {
        kind: LANE_KINDS.outboundPresence,
        dedupeKey: `typing:${event.conversation.id}:${state}:${at}`,
        conversationId: event.conversation.id,
        sourceId: event.conversation.contactSourceId,
        payload,
      };
    }
    default:
      return { ignored: `event ${event.event === 'other' ? event.name : event.event} needs no action` };
  }
}

export function registerChatwootWebhook(app: FastifyInstance, deps: HubDeps): void {
  app.register(async (scope) => {
    // The signature covers the exact bytes Chatwoot sent, so keep them next to the parsed body.
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      (request as RawRequest).rawBody = body as Buffer;
      try {
        done(null, (body as Buffer).length ? JSON.parse((body as Buffer).toString('utf8')) : {});
      } catch {
        done(new AppError('BAD_REQUEST', 'body is not valid JSON', { status: 400 }));
      }
    });

    scope.post<{ Params: { secret: string } }>(
      '/webhooks/chatwoot/:secret',
      { config: { public: true }, schema: { hide: true } },
      async (request, reply) => {
        const db = deps.db.$unguarded('webhook intake: the path secret identifies the tenant');
        const link = await db.inboxLink.findUnique({
          where: { hubSecretHash: sha256(request.params.secret) },
          include: { instance: true },
        });
        if (!link || link.instance.deletedAt) throw new AppError('NOT_FOUND', 'unknown webhook');

        if (link.signatureMode === 'SIGNED') {
          if (!link.webhookSigningSecretEnc) throw new AppError('UNAUTHENTICATED', 'this inbox link has no signing secret configured');
          const secret = decryptField(deps.secretBox, link.webhookSigningSecretEnc, 'InboxLink.webhookSigningSecretEnc', link.id);
          const verdict = verifyChatwootSignature({
            rawBody: (request as RawRequest).rawBody ?? Buffer.alloc(0),
            headers: request.headers,
            secret,
          });
          if (!verdict.ok) throw new AppError('UNAUTHENTICATED', `webhook signature rejected (${verdict.reason})`);
        }

        let event: ChatwootWebhookEvent;
        try {
          event = parseChatwootWebhook(request.body);
        } catch (error) {
          throw new AppError('VALIDATION', (error as Error).message);
        }
        const scopeIds = { tenantId: link.tenantId, instanceId: link.instanceId };

        if (event.event === 'conversation_status_changed' && event.status === 'resolved' && link.conversationPolicy === 'CREATE_NEW') {
          // The next WhatsApp message then opens a new conversation instead of reopening this one.
          await db.contactIdentity.updateMany({
            where: { ...scopeIds, chatwootConversationId: event.conversation.id },
            data: { chatwootConversationId: null },
          });
          return reply.send({ status: 'ok', action: 'conversation released' });
        }

        const planned = plan(event);
        if ('ignored' in planned) return reply.send({ status: 'ignored', reason: planned.ignored });
        if (event.event !== 'other' && 'message' in event && event.message.inboxId !== link.inboxId) {
          return reply.send({ status: 'ignored', reason: 'message of another inbox' });
        }

        const identity =
          (await db.contactIdentity.findFirst({ where: { ...scopeIds, chatwootConversationId: planned.conversationId } })) ??
          (planned.sourceId
            ? await db.contactIdentity.findFirst({ where: { ...scopeIds, contactInboxSourceId: planned.sourceId } })
            : null) ??
          (keysFromSourceId(planned.sourceId)
            ? await resolveIdentity(db, scopeIds, keysFromSourceId(planned.sourceId) as IdentityKeys)
            : null);
        if (!identity) return reply.send({ status: 'ignored', reason: 'conversation has no WhatsApp address' });

        const queued = await db.$transaction(async (tx) => {
          const [row] = await tx.inboundEvent.createManyAndReturn({
            data: [
              { ...scopeIds, source: 'CHATWOOT', kind: planned.kind, dedupeKey: planned.dedupeKey, payload: planned.payload as never },
            ],
            skipDuplicates: true,
            select: { id: true },
          });
          if (!row) return false;
          await enqueue(tx, {
            ...scopeIds,
            direction: 'OUTBOUND',
            contactKey: identity.id,
            kind: planned.kind,
            payload: planned.payload as never,
            eventId: row.id,
          });
          return true;
        });
        if (queued) void wake(deps.redis, { instanceId: link.instanceId });
        return reply.send({ status: queued ? 'queued' : 'duplicate' });
      },
    );
  });
}
