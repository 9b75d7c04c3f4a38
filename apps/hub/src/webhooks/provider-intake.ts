// POST /webhooks/{uazapi|evolution}/:secret — the provider → Hub leg. Authenticate (path secret +
// the instance token inside the payload), normalise, store each event under its dedupe key and
// enqueue it on its contact's inbound lane in one transaction, answer in milliseconds. The slow work
// (Chatwoot calls, media) happens on the lanes.
import type { CanonicalEvent, ConnectionEvent } from '@whatpro/domain';
import { enqueue, wake } from '@whatpro/lanes';
import { AppError, constantTimeEqual, sha256 } from '@whatpro/platform';
import { createProviderAdapter } from '@whatpro/providers';
import type { FastifyInstance } from 'fastify';
import type { HubDeps } from '../deps.ts';
import { keysOf, resolveIdentity } from '../services/identity-registry.ts';
import { decryptField, providerKindOf } from '../services/mgmt.ts';

const PROVIDERS = { uazapi: 'UAZAPI', evolution: 'EVOLUTION' } as const;
export const INBOUND_EVENT_KIND = 'inbound.event';

/** How long a QR code stays on screen before the provider rotates it. */
const QR_TTL_MS = 20_000;

function connectionUpdate(event: ConnectionEvent) {
  const status = { connecting: 'CONNECTING', open: 'OPEN', closed: 'CLOSED', logged_out: 'LOGGED_OUT' } as const;
  const connecting = event.state === 'connecting';
  return {
    status: status[event.state],
    statusReason: event.reason ?? null,
    // A code is only meaningful while connecting; clearing it on open/closed keeps stale QR codes off screen.
    qrCode: connecting ? (event.qrCode ?? null) : null,
    pairCode: connecting ? (event.pairCode ?? null) : null,
    qrExpiresAt: connecting && (event.qrCode || event.pairCode) ? new Date(Date.now() + QR_TTL_MS) : null,
    ...(event.jid ? { jid: event.jid } : {}),
    ...(event.phoneE164 ? { phoneE164: event.phoneE164 } : {}),
    ...(event.profileName ? { profileName: event.profileName } : {}),
  };
}

function chatOf(event: CanonicalEvent) {
  return event.kind === 'connection' ? null : event.chat;
}

export function registerProviderWebhooks(app: FastifyInstance, deps: HubDeps): void {
  app.post<{ Params: { provider: string; secret: string } }>(
    '/webhooks/:provider/:secret',
    { config: { public: true }, schema: { hide: true } },
    async (request, reply) => {
      const kind = PROVIDERS[request.params.provider as keyof typeof PROVIDERS];
      if (!kind) throw new AppError('NOT_FOUND', 'unknown webhook');
      const db = deps.db.$unguarded('webhook intake: the path secret identifies the tenant');
      const instance = await db.instance.findUnique({
        where: { webhookSecretHash: sha256(request.params.secret) },
        include: { inboxLink: { select: { id: true } } },
      });
      if (!instance || instance.deletedAt || instance.provider !== kind) throw new AppError('NOT_FOUND', 'unknown webhook');

      const adapter = createProviderAdapter(providerKindOf(instance.provider), { baseUrl: 'http://unused.invalid', adminToken: '' });
      let parsed: ReturnType<typeof adapter.parseWebhook>;
      try {
        parsed = adapter.parseWebhook(request.body);
      } catch (error) {
        throw new AppError('VALIDATION', `malformed ${request.params.provider} webhook: ${(error as Error).message}`);
      }
      // Evolution sends its apikey only when configured to expose it: check the token when the payload has one.
      if (parsed.instanceToken) {
        const token = decryptField(deps.secretBox, instance.tokenEnc, 'Instance.tokenEnc', instance.id);
        if (!constantTimeEqual(parsed.instanceToken, token)) throw new AppError('UNAUTHENTICATED', 'instance token does not match');
      }

      const scope = { tenantId: instance.tenantId, instanceId: instance.id };
      // Lane keys are resolved before the transaction: a lost identity race must not abort it.
      const keyed: { event: CanonicalEvent; contactKey: string | null }[] = [];
      for (const event of parsed.events) {
        const chat = chatOf(event);
        const contactKey = chat ? (await resolveIdentity(db, scope, keysOf(chat))).id : null;
        keyed.push({ event, contactKey });
      }

      const linked = instance.inboxLink !== null;
      const outcome = await db.$transaction(async (tx) => {
        let accepted = 0;
        let duplicates = 0;
        let queued = 0;
        for (const { event, contactKey } of keyed) {
          const [row] = await tx.inboundEvent.createManyAndReturn({
            data: [{ ...scope, source: 'PROVIDER', kind: event.kind, dedupeKey: event.dedupeKey, payload: event as never }],
            skipDuplicates: true,
            select: { id: true },
          });
          if (!row) {
            duplicates++;
            continue;
          }
          accepted++;
          if (event.kind === 'connection') {
            await tx.instance.update({ where: { id: instance.id }, data: connectionUpdate(event) });
          } else if (linked && contactKey) {
            await enqueue(tx, {
              ...scope,
              direction: 'INBOUND',
              contactKey,
              kind: INBOUND_EVENT_KIND,
              payload: event as never,
              eventId: row.id,
            });
            queued++;
          }
        }
        await tx.instance.update({ where: { id: instance.id }, data: { lastEventAt: new Date() } });
        return { accepted, duplicates, queued };
      });
      if (outcome.queued > 0) void wake(deps.redis, { instanceId: instance.id });
      if (keyed.some((k) => k.event.kind === 'connection')) deps.onInstanceChanged(instance.id);
      return reply.code(200).send({ received: parsed.events.length, ...outcome, ignored: parsed.ignored });
    },
  );
}
