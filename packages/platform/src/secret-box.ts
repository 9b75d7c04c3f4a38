// AES-256-GCM for secrets at rest. The stored form is `v<keyVersion>:<iv>:<ciphertext+tag>` (base64url),
// so keys can rotate: encrypt with the current key, decrypt with any key still configured.
// The additional authenticated data binds a ciphertext to its row and field, so a value copied into
// another row or column fails to decrypt instead of silently becoming that row's secret.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from './errors.ts';

export interface SecretContext {
  /** e.g. `Instance.tokenEnc` */
  field: string;
  /** The owning row's id. */
  rowId: string;
}

export interface SecretBoxKeys {
  current: number;
  keys: Map<number, Buffer>;
}

/** Parses `1:base64key,2:base64key`; the highest version encrypts. Keys are 32 bytes. */
export function parseKeyring(spec: string): SecretBoxKeys {
  const keys = new Map<number, Buffer>();
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [version, material] = part.split(':');
    const v = Number(version);
    const key = Buffer.from(material ?? '', 'base64');
    if (!Number.isInteger(v) || v < 1) throw new Error(`secret key version "${version}" is not a positive integer`);
    if (key.length !== 32) throw new Error(`secret key v${v} must be 32 bytes of base64 (got ${key.length})`);
    keys.set(v, key);
  }
  if (keys.size === 0) throw new Error('no secret keys configured');
  return { current: Math.max(...keys.keys()), keys };
}

const aad = (ctx: SecretContext) => Buffer.from(`${ctx.field}|${ctx.rowId}`, 'utf8');

export class SecretBox {
  constructor(private readonly ring: SecretBoxKeys) {}

  static fromSpec(spec: string): SecretBox {
    return new SecretBox(parseKeyring(spec));
  }

  encrypt(plaintext: string, ctx: SecretContext): string {
    const key = this.ring.keys.get(this.ring.current) as Buffer;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(ctx));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `v${this.ring.current}:${iv.toString('base64url')}:${body.toString('base64url')}`;
  }

  decrypt(stored: string, ctx: SecretContext): string {
    const match = /^v(\d+):([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/.exec(stored);
    if (!match) throw new AppError('SECRET_CORRUPT', `${ctx.field} is not an encrypted value`);
    const key = this.ring.keys.get(Number(match[1]));
    if (!key) throw new AppError('SECRET_KEY_MISSING', `${ctx.field} was encrypted with key v${match[1]}, which is not configured`);
    const body = Buffer.from(match[3] as string, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(match[2] as string, 'base64url'));
    decipher.setAAD(aad(ctx));
    decipher.setAuthTag(body.subarray(body.length - 16));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new AppError('SECRET_CORRUPT', `${ctx.field} could not be decrypted for this row`);
    }
  }

  /** True when the value was encrypted with an older key and should be re-encrypted. */
  needsRotation(stored: string): boolean {
    return !stored.startsWith(`v${this.ring.current}:`);
  }
}

/** For secrets that only need to be recognised (webhook path secrets, refresh tokens). */
export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(sha256(a), 'hex');
  const bb = Buffer.from(sha256(b), 'hex');
  return timingSafeEqual(ab, bb);
}
