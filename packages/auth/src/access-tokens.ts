// Short-lived access tokens: HS256 JWTs signed with the highest-numbered key of JWT_KEYS and carrying
// that key's number as `kid`, so keys rotate by adding a new number, waiting one access-token lifetime,
// then removing the old one. Verification pins the algorithm, the token type, issuer and audience, and
// only accepts a `kid` that is configured.
import { createHmac, hkdfSync } from 'node:crypto';
import { parseKeyring } from '@whatpro/platform';
import { errors, jwtVerify, SignJWT } from 'jose';

export const ACCESS_TOKEN_ALG = 'HS256';
export const ACCESS_TOKEN_TYP = 'at+jwt';

export interface AccessTokenConfig {
  /** `1:<base64 32 bytes>,2:<base64>`; the highest number signs. */
  keys: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface AccessClaims {
  userId: string;
  /** The active tenant, or null for a session without one (a platform admin with no membership). */
  tenantId: string | null;
  /** The refresh-token family (one login); revoking the family ends its access tokens too. */
  familyId: string;
  issuedAt: Date;
  expiresAt: Date;
}

export class AccessTokenError extends Error {
  constructor(readonly reason: string) {
    super(`access token rejected: ${reason}`);
    this.name = 'AccessTokenError';
  }
}

export class AccessTokens {
  private readonly keys: Map<number, Uint8Array>;
  private readonly successorKeys: Map<number, Buffer>;
  private readonly currentKid: number;

  constructor(private readonly config: AccessTokenConfig) {
    const ring = parseKeyring(config.keys);
    this.keys = new Map([...ring.keys].map(([kid, key]) => [kid, new Uint8Array(key)]));
    // A separate key per purpose: the signing key itself never keys anything but signatures.
    this.successorKeys = new Map(
      [...ring.keys].map(([kid, key]) => [
        kid,
        Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'whatpro refresh-token successor', 32)),
      ]),
    );
    this.currentKid = ring.current;
  }

  get ttlSeconds(): number {
    return this.config.ttlSeconds;
  }

  async sign(
    claims: { userId: string; tenantId: string | null; familyId: string },
    now = new Date(),
  ): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.config.ttlSeconds;
    const token = await new SignJWT({ sid: claims.familyId, ...(claims.tenantId ? { tid: claims.tenantId } : {}) })
      .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_TYP, kid: String(this.currentKid) })
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setSubject(claims.userId)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.keys.get(this.currentKid) as Uint8Array);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(
        token,
        (header) => {
          const key = /^\d+$/.test(header.kid ?? '') ? this.keys.get(Number(header.kid)) : undefined;
          if (!key) throw new AccessTokenError('unknown key id');
          return key;
        },
        {
          algorithms: [ACCESS_TOKEN_ALG],
          typ: ACCESS_TOKEN_TYP,
          issuer: this.config.issuer,
          audience: this.config.audience,
          requiredClaims: ['sub', 'sid', 'iat', 'exp'],
          clockTolerance: 5,
        },
      );
      if (typeof payload.sid !== 'string' || (payload.tid !== undefined && typeof payload.tid !== 'string')) {
        throw new AccessTokenError('malformed claims');
      }
      return {
        userId: payload.sub as string,
        tenantId: (payload.tid as string | undefined) ?? null,
        familyId: payload.sid,
        issuedAt: new Date((payload.iat as number) * 1000),
        expiresAt: new Date((payload.exp as number) * 1000),
      };
    } catch (error) {
      if (error instanceof AccessTokenError) throw error;
      if (error instanceof errors.JOSEError) throw new AccessTokenError(error.code);
      throw new AccessTokenError('malformed token');
    }
  }

  /**
   * The refresh token that replaces `parent`: an HMAC of it under a key derived from the signing key.
   * Deterministic so that two tabs refreshing with the same token inside the grace window both receive
   * the same successor without the server ever storing a token; keyed so that nobody can compute a
   * family's future tokens from a stolen one.
   */
  successorOf(parent: string, kid = this.currentKid): string | null {
    const key = this.successorKeys.get(kid);
    return key ? createHmac('sha256', key).update(parent, 'utf8').digest('base64url') : null;
  }

  /** Key ids to try when recomputing a successor made before a key rotation. */
  get keyIds(): number[] {
    return [...this.keys.keys()].sort((a, b) => b - a);
  }
}
