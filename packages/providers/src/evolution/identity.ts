// Evolution addresses one person by several JIDs at once: `remoteJid` may be a LID with the phone in
// `remoteJidAlt` (2.3.6), both may be the phone (2.3.7), or they may be swapped (2.4); older builds put
// the alternates in `senderPn` / `senderLid`. These helpers pick the phone JID as the identity and keep
// the LID beside it, whatever order the fields came in.
import type { ChatRef, SenderRef } from '@whatpro/domain';
import { canonicalPhone, isGroupJid, isLidJid, isUserJid, normalizeJid, phoneFromJid } from '@whatpro/domain';

const jidOrUndefined = (v: unknown): string | undefined => (typeof v === 'string' && v.includes('@') ? normalizeJid(v) : undefined);

/** A person seen through any number of candidate JIDs (phone JIDs, LIDs, in any order). */
export function personFrom(candidates: unknown[], name?: string): SenderRef {
  const jids = candidates.map(jidOrUndefined).filter((j): j is string => j !== undefined);
  const phoneJid = jids.find(isUserJid);
  const lid = jids.find(isLidJid);
  const jid = phoneJid ?? lid ?? jids[0] ?? '';
  const ref: SenderRef = { jid };
  const phone = phoneJid ? phoneFromJid(phoneJid) : null;
  if (phone) ref.phoneE164 = phone;
  if (lid) ref.lid = lid;
  if (name) ref.name = name;
  return ref;
}

/** The chat a payload belongs to: a group, or the contact seen through its JID candidates. */
export function chatFrom(candidates: unknown[], name?: string): ChatRef {
  const first = candidates.map(jidOrUndefined).find((j) => j !== undefined);
  if (first && isGroupJid(first)) return name ? { jid: first, isGroup: true, name } : { jid: first, isGroup: true };
  return { ...personFrom(candidates, name), isGroup: false };
}

/**
 * What Evolution's `number` field expects: bare digits for phones, the full JID for groups and LIDs
 * (bare LID digits would be taken for a phone, and bare digits of 18+ characters for a group).
 */
export function toEvolutionNumber(address: string): string {
  if (address.includes('@')) {
    const jid = normalizeJid(address);
    return isUserJid(jid) ? (jid.split('@')[0] as string) : jid;
  }
  return address.replace(/\D+/g, '');
}

/** The JID of an address as WhatsApp keys use it (`remoteJid`). */
export function toRemoteJid(address: string): string {
  if (address.includes('@')) return normalizeJid(address);
  return `${address.replace(/\D+/g, '')}@s.whatsapp.net`;
}

/** E.164 form for the vCard of a contact card; falls back to `+digits` outside known rules. */
export function displayPhone(phone: string): string {
  return canonicalPhone(phone) ?? `+${phone.replace(/\D+/g, '')}`;
}
