import { describe, expect, it } from 'vitest';
import { canonicalPhone, isGroupJid, isLidJid, jidFromPhone, normalizeJid, phoneFromJid, phoneVariants, toJid } from '../src/identity.ts';

describe('identity', () => {
  it('puts Brazilian mobiles in the nine-digit form and leaves landlines and other countries alone', () => {
    expect(canonicalPhone('+55 11 98765-4321')).toBe('+5511987654321');
    expect(canonicalPhone('551187654321')).toBe('+5511987654321');
    expect(canonicalPhone('553133334444')).toBe('+553133334444'); // landline: starts with 3
    expect(canonicalPhone('+14155550100')).toBe('+14155550100');
    expect(canonicalPhone('123')).toBeNull();
  });

  it('lists both forms of a Brazilian mobile, canonical first', () => {
    expect(phoneVariants('+551187654321')).toEqual(['+5511987654321', '+551187654321']);
    expect(phoneVariants('+5511987654321')).toEqual(['+5511987654321', '+551187654321']);
    expect(phoneVariants('+553133334444')).toEqual(['+553133334444']);
    expect(phoneVariants('x')).toEqual([]);
  });

  it('normalises JIDs and reads phones from them', () => {
    expect(normalizeJid('551187654321:12@s.whatsapp.net')).toBe('551187654321@s.whatsapp.net');
    expect(normalizeJid('5511987654321@c.us')).toBe('5511987654321@s.whatsapp.net');
    expect(phoneFromJid('551187654321@s.whatsapp.net')).toBe('+5511987654321');
    expect(phoneFromJid('120363025246125486@g.us')).toBeNull();
    expect(phoneFromJid('123456789012345@lid')).toBeNull();
    expect(isGroupJid('120363025246125486@g.us')).toBe(true);
    expect(isLidJid('123456789012345@lid')).toBe(true);
    expect(jidFromPhone('+55 11 98765-4321')).toBe('5511987654321@s.whatsapp.net');
    expect(toJid('+5511987654321')).toBe('5511987654321@s.whatsapp.net');
    expect(toJid('123@LID')).toBe('123@lid');
  });
});
