import { verifyPassword } from '@whatpro/auth';
import { createDb } from '@whatpro/db';
import { afterAll, describe, expect, it } from 'vitest';
import { seed } from '../scripts/seed.ts';

const db = createDb({ url: process.env.DATABASE_URL as string, max: 2 });
afterAll(() => db.$disconnect());

describe('seed', () => {
  it('creates the demo tenant and owner once, and prints a generated password only when it set one', async () => {
    const email = `seed-${Date.now()}@demo.test`;
    const first = await seed(db, { SEED_ADMIN_EMAIL: email });
    expect(first.created).toBe(true);
    expect(first.password).toMatch(/^[\w-]{16}$/);
    const second = await seed(db, { SEED_ADMIN_EMAIL: email });
    expect(second).toMatchObject({ created: false, password: null, tenantId: first.tenantId, userId: first.userId });

    expect(await db.tenant.count({ where: { slug: 'demo' } })).toBe(1);
    const memberships = await db.membership.findMany({ where: { tenantId: first.tenantId, userId: first.userId } });
    expect(memberships.map((m) => m.role)).toEqual(['OWNER']);
    const user = await db.user.findUniqueOrThrow({ where: { id: first.userId } });
    expect(user.isPlatformAdmin).toBe(true);
    expect(await verifyPassword(user.passwordHash, first.password as string)).toBe(true);
  });

  it('takes the password from SEED_ADMIN_PASSWORD and resets it on an existing user', async () => {
    const email = `seed-pw-${Date.now()}@demo.test`;
    await seed(db, { SEED_ADMIN_EMAIL: email, SEED_ADMIN_PASSWORD: 'first-password-123' });
    const again = await seed(db, { SEED_ADMIN_EMAIL: email.toUpperCase(), SEED_ADMIN_PASSWORD: 'second-password-456' });
    expect(again.password).toBe('second-password-456');
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(await verifyPassword(user.passwordHash, 'second-password-456')).toBe(true);
    expect(await verifyPassword(user.passwordHash, 'first-password-123')).toBe(false);
  });
});
