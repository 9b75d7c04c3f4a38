import { hash, verify } from '@node-rs/argon2';

// argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). `Algorithm` is a const enum in
// the binding's typings, which isolated modules cannot inline, hence the literal.
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

export async function hashPassword(plain: string): Promise<string> {
  return hash(plain, OPTIONS);
}

/** False for a wrong password and for a hash that is not an argon2 hash (never throws on bad input). */
export async function verifyPassword(passwordHash: string, plain: string): Promise<boolean> {
  try {
    return await verify(passwordHash, plain);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as checking a real password, for logins whose e-mail is unknown: wrong e-mail and
 * wrong password must not be told apart by how long the answer takes.
 */
export async function burnPasswordCheck(plain: string): Promise<void> {
  dummy ??= hashPassword('whatpro-timing-equaliser');
  await verifyPassword(await dummy, plain);
}
