// `npm run db:seed`: a demo tenant and its owner, idempotently. Credentials come from
// SEED_ADMIN_EMAIL / SEED_ADMIN_PASSWORD, or the password is generated and printed once.
import { randomBytes } from 'node:crypto';
import { hashPassword } from '@whatpro/auth';
import { createDb, type Db } from '@whatpro/db';

export interface SeedResult {
  tenantId: string;
  userId: string;
  email: string;
  /** Only when this run set it (new user, or SEED_ADMIN_PASSWORD given). */
  password: string | null;
  created: boolean;
}

export async function seed(db: Db, env: NodeJS.ProcessEnv = process.env): Promise<SeedResult> {
  const email = (env.SEED_ADMIN_EMAIL ?? 'admin@demo.whatpro.local').trim().toLowerCase();
  const given = env.SEED_ADMIN_PASSWORD?.trim() || null;
  const tenant = await db.tenant.upsert({ where: { slug: 'demo' }, create: { name: 'Demo', slug: 'demo' }, update: {} });
  const existing = await db.user.findUnique({ where: { email } });
  let password: string | null = null;
  let userId: string;
  if (existing) {
    userId = existing.id;
    if (given) {
      password = given;
      await db.user.update({
        where: { id: existing.id },
        data: { passwordHash: await hashPassword(given), passwordChangedAt: new Date(), status: 'ACTIVE' },
      });
    }
  } else {
    password = given ?? randomBytes(12).toString('base64url');
    const user = await db.user.create({
      data: { email, name: 'Demo Admin', passwordHash: await hashPassword(password), isPlatformAdmin: true },
    });
    userId = user.id;
  }
  await db.membership.upsert({
    where: { tenantId_userId: { tenantId: tenant.id, userId }, tenantId: tenant.id },
    create: { tenantId: tenant.id, userId, role: 'OWNER' },
    update: { role: 'OWNER' },
  });
  return { tenantId: tenant.id, userId, email, password, created: !existing };
}

const isMain = import.meta.url === `file://${process.argv[1]}`;
if (isMain) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('DATABASE_URL is not set (see .env.example)\n');
    process.exit(1);
  }
  const db = createDb({ url, max: 2 });
  seed(db)
    .then((r) => {
      process.stdout.write(`tenant "Demo" ready; owner ${r.email}${r.created ? ' created' : ' exists'}\n`);
      process.stdout.write(r.password ? `password: ${r.password}\n` : 'password unchanged (set SEED_ADMIN_PASSWORD to reset it)\n');
    })
    .finally(() => db.$disconnect());
}
