// One person (or group) per instance, whatever WhatsApp called them. Resolution runs at webhook
// intake so the lane key is stable across phone JID, @lid and the two Brazilian number forms: the
// same person always lands in the same lane, and so in order.
import type { ContactIdentity, Db } from '@whatpro/db';
import { type ChatRef, canonicalPhone, isGroupJid, isLidJid, normalizeJid, phoneFromJid } from '@whatpro/domain';

type Tx = Pick<ReturnType<Db['$unguarded']>, 'contactIdentity'>;

export interface IdentityKeys {
  jid?: string;
  lid?: string;
  phoneE164?: string;
  isGroup: boolean;
  displayName?: string;
}

export function keysOf(chat: Pick<ChatRef, 'jid' | 'isGroup' | 'lid' | 'phoneE164' | 'name'>): IdentityKeys {
  const jid = normalizeJid(chat.jid);
  const isGroup = chat.isGroup || isGroupJid(jid);
  if (isGroup) return { jid, isGroup: true, displayName: chat.name };
  const lid = chat.lid ? normalizeJid(chat.lid) : isLidJid(jid) ? jid : undefined;
  const phone = (chat.phoneE164 && canonicalPhone(chat.phoneE164)) || phoneFromJid(jid) || undefined;
  return { jid: isLidJid(jid) ? undefined : jid, lid, phoneE164: phone, isGroup: false, displayName: chat.name };
}

const isUniqueViolation = (error: unknown) => (error as { code?: string })?.code === 'P2002';

/**
 * Finds or creates the identity for these keys, filling in keys it learns (a LID's phone, a pushname)
 * and merging two identities that turn out to be one person. Safe under concurrency: a lost create
 * race is resolved by looking the winner up.
 */
export async function resolveIdentity(
  tx: Tx,
  scope: { tenantId: string; instanceId: string },
  keys: IdentityKeys,
): Promise<ContactIdentity> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const or = [
      keys.jid ? { jid: keys.jid } : null,
      keys.lid ? { lid: keys.lid } : null,
      keys.phoneE164 ? { phoneE164: keys.phoneE164 } : null,
    ].filter((x): x is NonNullable<typeof x> => x !== null);
    if (or.length === 0) throw new Error('cannot identify a contact without a JID, LID or phone');
    const found = await tx.contactIdentity.findMany({
      where: { tenantId: scope.tenantId, instanceId: scope.instanceId, OR: or },
      orderBy: { createdAt: 'asc' },
    });
    try {
      if (found.length === 0) {
        return await tx.contactIdentity.create({
          data: {
            tenantId: scope.tenantId,
            instanceId: scope.instanceId,
            isGroup: keys.isGroup,
            jid: keys.jid ?? null,
            lid: keys.lid ?? null,
            phoneE164: keys.phoneE164 ?? null,
            displayName: keys.displayName ?? null,
          },
        });
      }
      // The one already linked to Chatwoot wins a merge, so the Chatwoot contact stays the same.
      const keep = found.find((f) => f.chatwootContactId !== null) ?? (found[0] as ContactIdentity);
      const others = found.filter((f) => f.id !== keep.id);
      const merged = {
        jid: keep.jid ?? others.find((o) => o.jid)?.jid ?? keys.jid ?? null,
        // A LID revealed next to the phone is the current one; older payloads may have carried another.
        lid: keys.lid ?? keep.lid ?? others.find((o) => o.lid)?.lid ?? null,
        phoneE164: keep.phoneE164 ?? others.find((o) => o.phoneE164)?.phoneE164 ?? keys.phoneE164 ?? null,
        displayName: keys.displayName ?? keep.displayName,
      };
      if (others.length > 0) {
        await tx.contactIdentity.deleteMany({ where: { tenantId: scope.tenantId, id: { in: others.map((o) => o.id) } } });
      }
      const changed =
        merged.jid !== keep.jid ||
        merged.lid !== keep.lid ||
        merged.phoneE164 !== keep.phoneE164 ||
        merged.displayName !== keep.displayName;
      if (!changed) return keep;
      return await tx.contactIdentity.update({ where: { id: keep.id, tenantId: scope.tenantId }, data: merged });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }
  throw new Error('identity resolution kept racing; giving up');
}

/** The Chatwoot contact-inbox source id: phone digits, or the LID for LID-only contacts, or the group JID. */
export function sourceIdOf(identity: Pick<ContactIdentity, 'isGroup' | 'jid' | 'lid' | 'phoneE164'>): string {
  if (identity.isGroup) return identity.jid as string;
  if (identity.phoneE164) return identity.phoneE164.slice(1);
  return (identity.lid ?? identity.jid ?? '') as string;
}

/** Where to send WhatsApp messages for this identity: the JID WhatsApp reported, else the phone, else the LID. */
export function addressOf(identity: Pick<ContactIdentity, 'jid' | 'lid' | 'phoneE164'>): string {
  return identity.jid ?? identity.phoneE164 ?? (identity.lid as string);
}
