// Finds the one Chatwoot contact and the current conversation for an identity, creating them when
// needed, and remembers both on the identity so the next message costs no lookups.
import type { ContactIdentity, Db } from '@whatpro/db';
import { formatPhone } from '@whatpro/domain';
import { sourceIdOf } from '../services/identity-registry.ts';
import type { ChatwootLink } from '../services/instance-context.ts';

type Store = Pick<ReturnType<Db['$unguarded']>, 'contactIdentity'>;

export interface DeskThread {
  contactId: number;
  conversationId: number;
  sourceId: string;
}

export async function ensureThread(store: Store, cw: ChatwootLink, identity: ContactIdentity): Promise<DeskThread> {
  const sourceId = identity.contactInboxSourceId ?? sourceIdOf(identity);
  if (identity.chatwootContactId && identity.chatwootConversationId) {
    return { contactId: identity.chatwootContactId, conversationId: identity.chatwootConversationId, sourceId };
  }
  let contactId = identity.chatwootContactId;
  if (!contactId) {
    const name =
      identity.displayName ??
      (identity.isGroup ? (identity.jid ?? 'Grupo') : (formatPhone(identity.phoneE164 ?? undefined) ?? identity.lid ?? 'WhatsApp'));
    const { contact } = await cw.client.ensureContact({
      inboxId: cw.inboxId,
      sourceId,
      name,
      phoneNumber: identity.isGroup ? undefined : (identity.phoneE164 ?? undefined),
      identifier: identity.isGroup ? (identity.jid ?? undefined) : (identity.jid ?? identity.lid ?? undefined),
      additionalAttributes: identity.isGroup ? { whatsapp_group: true } : undefined,
    });
    contactId = contact.id;
  }
  const policy = cw.link.conversationPolicy;
  const active = await cw.client.findActiveConversation({
    contactId,
    inboxId: cw.inboxId,
    statuses: policy === 'REOPEN' ? ['open', 'pending', 'snoozed', 'resolved'] : undefined,
  });
  let conversationId: number;
  if (active) {
    conversationId = active.id;
    if (active.status === 'resolved' || active.status === 'snoozed') {
      await cw.client.setConversationStatus(conversationId, cw.link.conversationPending ? 'pending' : 'open');
    }
  } else {
    const created = await cw.client.createConversation({
      inboxId: cw.inboxId,
      contactId,
      sourceId,
      status: cw.link.conversationPending ? 'pending' : 'open',
    });
    conversationId = created.id;
  }
  await store.contactIdentity.update({
    where: { id: identity.id, tenantId: identity.tenantId },
    data: { chatwootContactId: contactId, chatwootConversationId: conversationId, contactInboxSourceId: sourceId },
  });
  return { contactId, conversationId, sourceId };
}
