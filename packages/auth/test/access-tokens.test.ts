import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AccessTokenError, AccessTokens } from '../src/access-tokens.ts';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const ring = (...keys: [number, Buffer][]) => keys.map(([kid, key]) => `${kid}:${key.toString('base64')}`).join(',');
const base = { keys: ring([1, k1]), issuer: 'whatpro-hub', audience: 'whatpro', ttlSeconds: 900 };
const claims = {
  userId: '0190f1f0-0000-7000-8000-000000000001',
  tenantId: '0190f1f0-0000-7000-8000-000000000002',
  familyId: '0190f1f0-0000-7000-8000-000000000003',
};

async function rejection(verifier: AccessTokens, token: string): Promise<string> {
  try {
    await verifier.verify(token);
  } catch (error) {
    expect(error).toBeInstanceOf(AccessTokenError);
    return (error as AccessTokenError).reason;
  }
  throw new Error('token was accepted');
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token signed with the real key but with a header or claims of the test's choosing. */
function forge(header: Record<string, string>, body: Record<string, unknown> = { sid: claims.familyId }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(body)
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', ...header })
    .setIssuer(base.issuer)
    .setAudience(base.audience)
    .setSubject(claims.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(new Uint8Array(k1));
}

describe('access tokens', () => {
  const tokens = new AccessTokens(base);

  it('round-trips the claims of a token it signed', async () => {
    const { token, expiresAt } = await tokens.sign(claims);
    const header = JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: '1' });
    const verified = await tokens.verify(token);
    expect(verified.userId).toBe(claims.userId);
    expect(verified.tenantId).toBe(claims.tenantId);
    expect(verified.familyId).toBe(claims.familyId);
    expect(verified.expiresAt.getTime()).toBe(expiresAt.getTime());
    expect(expiresAt.getTime() - verified.issuedAt.getTime()).toBe(900_000);
  });

  it('carries no tenant for a session without one', async () => {
    const { token } = await tokens.sign({ ...claims, tenantId: null });
    expect((await tokens.verify(token)).tenantId).toBeNull();
  });

  it('rejects a tampered signature', async () => {
    const { token } = await tokens.sign(claims);
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = `${s.slice(0, -2)}${s.at(-2) === 'A' ? 'B' : 'A'}${s.at(-1)}`;
    expect(await rejection(tokens, `${h}.${p}.${flipped}`)).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('rejects a tampered payload (another user) under the original signature', async () => {
    const { token } = await tokens.sign(claims);
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    expect(await rejection(tokens, `${h}.${b64({ ...payload, sub: '0190f1f0-0000-7000-8000-00000000dead' })}.${s}`)).toBe(
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
  });

  it('rejects alg "none"', async () => {
    const { token } = await tokens.sign(claims);
    const payload = token.split('.')[1];
    expect(await rejection(tokens, `${b64({ alg: 'none', typ: 'at+jwt', kid: '1' })}.${payload}.`)).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('rejects another algorithm even with the right key', async () => {
    expect(await rejection(tokens, await forge({ alg: 'HS512', kid: '1' }))).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('rejects a wrong audience and a wrong issuer', async () => {
    const otherAudience = await new AccessTokens({ ...base, audience: 'someone-else' }).sign(claims);
    expect(await rejection(tokens, otherAudience.token)).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    const otherIssuer = await new AccessTokens({ ...base, issuer: 'evil-hub' }).sign(claims);
    expect(await rejection(tokens, otherIssuer.token)).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('rejects an expired token', async () => {
    const { token } = await tokens.sign(claims, new Date(Date.now() - 901_000 - 10_000));
    expect(await rejection(tokens, token)).toBe('ERR_JWT_EXPIRED');
  });

  it('rejects an unknown kid, a missing kid and a non-numeric kid', async () => {
    const foreign = await new AccessTokens({ ...base, keys: ring([7, k2]) }).sign(claims);
    expect(await rejection(tokens, foreign.token)).toBe('unknown key id');
    expect(await rejection(tokens, await forge({}))).toBe('unknown key id');
    expect(await rejection(tokens, await forge({ kid: '1 ' }))).toBe('unknown key id');
    // The forger itself is sound: the same token with the right kid passes.
    expect((await tokens.verify(await forge({ kid: '1' }))).familyId).toBe(claims.familyId);
  });

  it('rejects a token of another type and one without the session claim', async () => {
    expect(await rejection(tokens, await forge({ typ: 'JWT', kid: '1' }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(await rejection(tokens, await forge({ kid: '1' }, {}))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('rejects garbage', async () => {
    expect(await rejection(tokens, 'not-a-jwt')).toBe('ERR_JWS_INVALID');
  });

  it('rotates keys: the newest signs, older ones still verify until removed', async () => {
    const rotated = new AccessTokens({ ...base, keys: ring([1, k1], [2, k2]) });
    const fresh = await rotated.sign(claims);
    expect(JSON.parse(Buffer.from(fresh.token.split('.')[0] as string, 'base64url').toString()).kid).toBe('2');
    const old = await tokens.sign(claims);
    expect((await rotated.verify(old.token)).userId).toBe(claims.userId);
    expect((await rotated.verify(fresh.token)).userId).toBe(claims.userId);
    // A process still on the old ring does not know kid 2 yet.
    expect(await rejection(tokens, fresh.token)).toBe('unknown key id');
  });

  it('derives refresh-token successors deterministically, per key, and never from the token alone', () => {
    const rotated = new AccessTokens({ ...base, keys: ring([1, k1], [2, k2]) });
    const a = tokens.successorOf('parent-token');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokens.successorOf('parent-token')).toBe(a);
    expect(tokens.successorOf('parent-token-2')).not.toBe(a);
    expect(rotated.successorOf('parent-token', 1)).toBe(a);
    expect(rotated.successorOf('parent-token')).not.toBe(a);
    expect(rotated.keyIds).toEqual([2, 1]);
    expect(tokens.successorOf('parent-token', 9)).toBeNull();
    expect(new AccessTokens({ ...base, keys: ring([1, k2]) }).successorOf('parent-token')).not.toBe(a);
  });
});
