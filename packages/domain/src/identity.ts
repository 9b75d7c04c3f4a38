// WhatsApp addresses people three ways: a phone JID (`5511987654321@s.whatsapp.net`), a privacy id
// (`123456789012345@lid`) and, for Brazil, phone numbers with or without the mobile ninth digit.
// These helpers turn all of them into one canonical form so one person is one contact.

export const USER_SUFFIX = '@s.whatsapp.net';
export const GROUP_SUFFIX = '@g.us';
export const LID_SUFFIX = '@lid';

export const isGroupJid = (jid: string): boolean => jid.endsWith(GROUP_SUFFIX);
export const isLidJid = (jid: string): boolean => jid.endsWith(LID_SUFFIX);
export const isUserJid = (jid: string): boolean => jid.endsWith(USER_SUFFIX) || jid.endsWith('@c.us');

/** Strips device (`:12`) and agent parts: `5511…:12@s.whatsapp.net` → `5511…@s.whatsapp.net`. */
export function normalizeJid(jid: string): string {
  const trimmed = jid.trim().toLowerCase();
  const at = trimmed.indexOf('@');
  if (at < 0) return trimmed;
  const user = trimmed.slice(0, at).split(':')[0] as string;
  let server = trimmed.slice(at + 1);
  if (server === 'c.us') server = 's.whatsapp.net';
  return `${user}@${server}`;
}

const digitsOnly = (s: string) => s.replace(/\D+/g, '');

/**
 * Brazilian mobiles gained a leading 9 (2012–2016); WhatsApp still reports many accounts in the old
 * 8-digit form. The canonical form here is the 9-digit one: +55 DD 9XXXX-XXXX.
 */
export function canonicalPhone(input: string): string | null {
  const digits = digitsOnly(input);
  if (digits.length < 8 || digits.length > 15) return null;
  if (digits.startsWith('55') && digits.length === 12) {
    const local = digits.slice(4);
    // Only mobiles (first digit 6–9) took the ninth digit; landlines (2–5) did not.
    if (/^[6-9]/.test(local)) return `+${digits.slice(0, 4)}9${local}`;
  }
  return `+${digits}`;
}

/** Both Brazilian forms of a mobile number (canonical first); one element elsewhere. */
export function phoneVariants(e164: string): string[] {
  const canonical = canonicalPhone(e164);
  if (!canonical) return [];
  const digits = canonical.slice(1);
  if (digits.startsWith('55') && digits.length === 13 && digits[4] === '9' && /^[6-9]/.test(digits.slice(5))) {
    return [canonical, `+${digits.slice(0, 4)}${digits.slice(5)}`];
  }
  return [canonical];
}

/** The phone of a user JID in canonical E.164, or null for groups, LIDs and malformed input. */
export function phoneFromJid(jid: string): string | null {
  const normalized = normalizeJid(jid);
  if (!isUserJid(normalized)) return null;
  return canonicalPhone(normalized.split('@')[0] as string);
}

/** `+5511987654321` → `5511987654321@s.whatsapp.net`. */
export function jidFromPhone(phone: string): string {
  return `${digitsOnly(phone)}${USER_SUFFIX}`;
}

/** Accepts a phone number, a JID or a LID and returns the JID to address. */
export function toJid(address: string): string {
  if (address.includes('@')) return normalizeJid(address);
  return jidFromPhone(address);
}
