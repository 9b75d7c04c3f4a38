import { describe, expect, it } from 'vitest';
import { maskSecret } from '../src/mask.ts';
import { constantTimeEqual, parseKeyring, SecretBox, sha256 } from '../src/secret-box.ts';

const k1 = `1:${Buffer.alloc(32, 1).toString('base64')}`;
const k2 = `2:${Buffer.alloc(32, 2).toString('base64')}`;
const ctx = { field: 'Instance.tokenEnc', rowId: 'row-1' };

describe('SecretBox', () => {
  it('round-trips and never stores the plaintext', () => {
    const box = SecretBox.fromSpec(k1);
    const stored = box.encrypt('provider-token-abc', ctx);
    expect(stored.startsWith('v1:')).toBe(true);
    expect(stored).not.toContain('provider-token-abc');
    expect(box.decrypt(stored, ctx)).toBe('provider-token-abc');
    // A fresh IV each time: equal plaintexts do not give equal ciphertexts.
    expect(box.encrypt('provider-token-abc', ctx)).not.toBe(stored);
  });

  it('binds a ciphertext to its row and field', () => {
    const box = SecretBox.fromSpec(k1);
    const stored = box.encrypt('t', ctx);
    expect(() => box.decrypt(stored, { ...ctx, rowId: 'row-2' })).toThrow(/could not be decrypted/);
    expect(() => box.decrypt(stored, { ...ctx, field: 'ChatwootConnection.userTokenEnc' })).toThrow(/could not be decrypted/);
  });

  it('rotates: new key encrypts, old key still decrypts, rotation is detectable', () => {
    const old = SecretBox.fromSpec(k1).encrypt('old-secret', ctx);
    const rotated = SecretBox.fromSpec(`${k1},${k2}`);
    expect(rotated.decrypt(old, ctx)).toBe('old-secret');
    expect(rotated.needsRotation(old)).toBe(true);
    const fresh = rotated.encrypt('new-secret', ctx);
    expect(fresh.startsWith('v2:')).toBe(true);
    expect(rotated.needsRotation(fresh)).toBe(false);
    expect(() => SecretBox.fromSpec(k2).decrypt(old, ctx)).toThrow(/key v1, which is not configured/);
  });

  it('rejects tampering and malformed values with typed errors', () => {
    const box = SecretBox.fromSpec(k1);
    const stored = box.encrypt('t', ctx);
    const parts = stored.split(':');
    const body = Buffer.from(parts[2] as string, 'base64url');
    body[0] = (body[0] as number) ^ 0xff;
    expect(() => box.decrypt(`${parts[0]}:${parts[1]}:${body.toString('base64url')}`, ctx)).toThrow(/could not be decrypted/);
    expect(() => box.decrypt('plaintext', ctx)).toThrow(/not an encrypted value/);
  });

  it('validates the keyring', () => {
    expect(() => parseKeyring('')).toThrow(/no secret keys/);
    expect(() => parseKeyring('1:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => parseKeyring(`x:${Buffer.alloc(32).toString('base64')}`)).toThrow(/positive integer/);
    expect(parseKeyring(`${k2},${k1}`).current).toBe(2);
  });
});

describe('helpers', () => {
  it('masks secrets to their last four characters', () => {
    expect(maskSecret('abcdef0123459f2c')).toBe('••••9f2c');
    expect(maskSecret('short')).toBe('••••');
    expect(maskSecret('')).toBeNull();
    expect(maskSecret(undefined)).toBeNull();
  });

  it('hashes and compares in constant time', () => {
    expect(sha256('a')).toHaveLength(64);
    expect(constantTimeEqual('same', 'same')).toBe(true);
    expect(constantTimeEqual('same', 'diff')).toBe(false);
    expect(constantTimeEqual('a', 'longer-value')).toBe(false);
  });
});
