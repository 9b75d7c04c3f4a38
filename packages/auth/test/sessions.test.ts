import { sha256 } from '@whatpro/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, makeTenant, makeUser, PASSWORD, type TestContext, testContext, uniq } from './helpers.ts';

const meta = { ip: '203.0.113.7', userAgent: 'vitest' };

describe('sessions on Postgres and Redis', () => {
  let ctx: TestContext;
  beforeAll(() => {
    ctx = testContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  async function member(role: 'OWNER' | 'ADMIN' | 'OPERATOR' | 'VIEWER' = 'OWNER') {
    const tenant = await makeTenant(ctx.db);
    const user = await makeUser(ctx.db, { tenantId: tenant.id, role });
    return { tenant, user };
  }

  async function family(familyId: string) {
    return ctx.db.refreshToken.findMany({ where: { familyId }, orderBy: { createdAt: 'asc' } });
  }

  it('logs in: a token pair, the user without secrets, memberships, one audit row', async () => {
    const { tenant, user } = await member('ADMIN');
    const result = await ctx.auth.sessions.login({ email: `  ${user.email.toUpperCase()} `, password: PASSWORD }, meta);
    expect(result.activeTenantId).toBe(tenant.id);
    expect(result.user).toEqual(expect.objectContaining({ id: user.id, email: user.email, isPlatformAdmin: false, status: 'ACTIVE' }));
    expect(Object.keys(result.user).sort()).toEqual([
      'createdAt',
      'email',
      'id',
      'isPlatformAdmin',
      'lastLoginAt',
      'locale',
      'name',
      'status',
    ]);
    expect(result.user.lastLoginAt).toBeInstanceOf(Date);
    expect(result.tenants).toEqual([
      { tenantId: tenant.id, tenantName: expect.any(String), tenantSlug: tenant.slug, tenantStatus: 'ACTIVE', role: 'ADMIN' },
    ]);
    expect(result.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.refreshTokenExpiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000);

    const stored = await ctx.db.refreshToken.findUnique({ where: { tokenHash: sha256(result.refreshToken) } });
    expect(stored).toEqual(
      expect.objectContaining({ userId: user.id, activeTenantId: tenant.id, usedAt: null, revokedAt: null, createdIp: meta.ip }),
    );
    // Only the hash is stored.
    expect(JSON.stringify(await family(stored!.familyId))).not.toContain(result.refreshToken);

    const session = await ctx.auth.sessions.authenticate(result.accessToken);
    expect(session).toEqual({ userId: user.id, familyId: stored!.familyId, isPlatformAdmin: false, tenantId: tenant.id, role: 'ADMIN' });

    const audit = await ctx.db.auditLog.findMany({ where: { tenantId: tenant.id, action: 'auth.login.succeeded' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toEqual(expect.objectContaining({ actorUserId: user.id, ip: meta.ip, targetId: user.id }));
  });

  it('answers wrong e-mail and wrong password with the same error, and audits both', async () => {
    const { tenant, user } = await member();
    const unknown = await failure(ctx.auth.sessions.login({ email: `nobody-${uniq()}@example.test`, password: PASSWORD }, meta));
    const wrong = await failure(ctx.auth.sessions.login({ email: user.email, password: 'wrong password!' }, meta));
    for (const error of [unknown, wrong]) {
      expect(error.status).toBe(401);
      expect(error.code).toBe('INVALID_CREDENTIALS');
    }
    expect(unknown.message).toBe(wrong.message);
    const failed = await ctx.db.auditLog.findMany({ where: { tenantId: tenant.id, action: 'auth.login.failed' } });
    expect(failed).toHaveLength(1);
    expect(failed[0]?.metadata).toEqual({ reason: 'wrong_password', email: user.email });
    expect(JSON.stringify(failed[0])).not.toContain('wrong password!');
  });

  it('spends comparable time on an unknown e-mail and on a wrong password (no shortcut for unknown accounts)', async () => {
    const { user } = await member();
    const timed = async (email: string) => {
      const started = performance.now();
      await failure(ctx.auth.sessions.login({ email, password: 'not the password' }, { ip: '192.0.2.250' }));
      return performance.now() - started;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 5; i++) {
      unknown.push(await timed(`nobody-${uniq()}@example.test`));
      wrong.push(await timed(user.email));
    }
    // Generous bound: without the dummy argon2 check an unknown e-mail answers many times faster.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.4);
  });

  it('rotates on every refresh and spends the presented token', async () => {
    const { user } = await member();
    const login = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
    const first = await ctx.auth.sessions.refresh(login.refreshToken, meta);
    const second = await ctx.auth.sessions.refresh(first.refreshToken, meta);
    expect(new Set([login.refreshToken, first.refreshToken, second.refreshToken]).size).toBe(3);
    expect(first.activeTenantId).toBe(login.activeTenantId);
    const rows = await ctx.db.refreshToken.findMany({ where: { userId: user.id }, orderBy: { createdAt: 'asc' } });
    expect(rows).toHaveLength(3);
    expect(rows[0]?.usedAt).toBeInstanceOf(Date);
    expect(rows[0]?.replacedById).toBe(rows[1]?.id);
    expect(rows[1]?.parentId).toBe(rows[0]?.id);
    expect(rows[2]?.usedAt).toBeNull();
    expect(new Set(rows.map((r) => r.familyId)).size).toBe(1);
    expect((await ctx.auth.sessions.authenticate(second.accessToken)).userId).toBe(user.id);
  });

  it('revokes the whole family, descendants included, when a spent token comes back after the grace window', async () => {
    const strict = testContext({ REFRESH_REUSE_GRACE_SECONDS: 0 });
    try {
      const { tenant, user } = await member();
      const login = await strict.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
      const first = await strict.auth.sessions.refresh(login.refreshToken, meta);
      const second = await strict.auth.sessions.refresh(first.refreshToken, meta);
      await new Promise((r) => setTimeout(r, 20));

      const reuse = await failure(strict.auth.sessions.refresh(login.refreshToken, { ip: '198.51.100.9' }));
      expect(reuse.status).toBe(401);
      expect(reuse.code).toBe('REFRESH_TOKEN_REUSED');

      const rows = await strict.db.refreshToken.findMany({ where: { userId: user.id } });
      expect(rows).toHaveLength(3);
      expect(rows.every((r) => r.revokedAt !== null && r.revokedReason === 'REUSE_DETECTED')).toBe(true);
      // The newest token, never used, is dead too, and so are the family's access tokens.
      expect((await failure(strict.auth.sessions.refresh(second.refreshToken, meta))).status).toBe(401);
      expect((await failure(strict.auth.sessions.authenticate(second.accessToken))).status).toBe(401);

      const audit = await strict.db.auditLog.findMany({ where: { tenantId: tenant.id, action: 'auth.refresh.reuse_detected' } });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toEqual(expect.objectContaining({ actorUserId: user.id, ip: '198.51.100.9', targetId: rows[0]?.familyId }));
      expect(audit[0]?.metadata).toEqual({
        spentRecord: rows.find((r) => r.parentId === null)?.id,
        spentAt: expect.any(String),
        revokedCount: 3,
      });
    } finally {
      await strict.close();
    }
  });

  it('lets two tabs refreshing at the same moment both succeed with the same successor', async () => {
    const { user } = await member();
    const login = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
    const [a, b] = await Promise.all([
      ctx.auth.sessions.refresh(login.refreshToken, meta),
      ctx.auth.sessions.refresh(login.refreshToken, meta),
    ]);
    expect(a.refreshToken).toBe(b.refreshToken);
    // Later inside the window the same successor comes back once more.
    const c = await ctx.auth.sessions.refresh(login.refreshToken, meta);
    expect(c.refreshToken).toBe(a.refreshToken);
    const rows = await ctx.db.refreshToken.findMany({ where: { userId: user.id } });
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.revokedAt === null)).toBe(true);
    // The successor works normally afterwards, and the family lives on.
    const next = await ctx.auth.sessions.refresh(a.refreshToken, meta);
    expect((await ctx.auth.sessions.authenticate(next.accessToken)).userId).toBe(user.id);
  });

  it('treats the spent token as reuse inside the window once its successor has been used', async () => {
    const { user } = await member();
    const login = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
    const first = await ctx.auth.sessions.refresh(login.refreshToken, meta);
    await ctx.auth.sessions.refresh(first.refreshToken, meta);
    expect((await failure(ctx.auth.sessions.refresh(login.refreshToken, meta))).code).toBe('REFRESH_TOKEN_REUSED');
    const rows = await ctx.db.refreshToken.findMany({ where: { userId: user.id } });
    expect(rows.every((r) => r.revokedReason === 'REUSE_DETECTED')).toBe(true);
  });

  it('rejects unknown and expired refresh tokens without touching any family', async () => {
    const { user } = await member();
    const login = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
    expect((await failure(ctx.auth.sessions.refresh('x'.repeat(43), meta))).status).toBe(401);
    await ctx.db.refreshToken.updateMany({ where: { userId: user.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await failure(ctx.auth.sessions.refresh(login.refreshToken, meta))).status).toBe(401);
    const rows = await ctx.db.refreshToken.findMany({ where: { userId: user.id } });
    expect(rows.every((r) => r.revokedAt === null && r.usedAt === null)).toBe(true);
  });

  it('logs out: the family is revoked, its access tokens stop, a second logout is a no-op', async () => {
    const { tenant, user } = await member();
    const login = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
    const other = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
    await ctx.auth.sessions.logout(login.refreshToken, meta);
    await ctx.auth.sessions.logout(login.refreshToken, meta);
    await ctx.auth.sessions.logout('unknown-token-unknown-token', meta);
    expect((await failure(ctx.auth.sessions.refresh(login.refreshToken, meta))).status).toBe(401);
    expect((await failure(ctx.auth.sessions.authenticate(login.accessToken))).status).toBe(401);
    // Another login of the same user is untouched.
    expect((await ctx.auth.sessions.authenticate(other.accessToken)).userId).toBe(user.id);
    const revoked = await ctx.db.refreshToken.findMany({ where: { userId: user.id, revokedAt: { not: null } } });
    expect(revoked.map((r) => r.revokedReason)).toEqual(['LOGOUT']);
    expect(await ctx.db.auditLog.count({ where: { tenantId: tenant.id, action: 'auth.logout' } })).toBe(1);
  });

  it('changes the password: every family of the user revoked, old access tokens dead, the caller continues', async () => {
    const { tenant, user } = await member();
    const a = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
    const b = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
    const session = await ctx.auth.sessions.authenticate(a.accessToken);

    const wrong = await failure(
      ctx.auth.sessions.changePassword(session, { currentPassword: 'nope', newPassword: 'a brand new passphrase' }, meta),
    );
    expect(wrong.code).toBe('WRONG_PASSWORD');
    expect(wrong.status).toBe(400);

    const fresh = await ctx.auth.sessions.changePassword(
      session,
      { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' },
      meta,
    );
    expect(fresh.activeTenantId).toBe(tenant.id);
    for (const old of [a, b]) {
      expect((await failure(ctx.auth.sessions.authenticate(old.accessToken))).status).toBe(401);
      expect((await failure(ctx.auth.sessions.refresh(old.refreshToken, meta))).status).toBe(401);
    }
    expect((await ctx.auth.sessions.authenticate(fresh.accessToken)).userId).toBe(user.id);
    expect((await failure(ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta))).code).toBe('INVALID_CREDENTIALS');
    expect((await ctx.auth.sessions.login({ email: user.email, password: 'a brand new passphrase' }, meta)).user.id).toBe(user.id);
    const reasons = await ctx.db.refreshToken.findMany({
      where: { userId: user.id, revokedAt: { not: null } },
      select: { revokedReason: true },
    });
    expect(reasons.map((r) => r.revokedReason)).toEqual(['PASSWORD_CHANGED', 'PASSWORD_CHANGED']);
    expect(await ctx.db.auditLog.count({ where: { tenantId: tenant.id, action: 'auth.password.changed' } })).toBe(1);
  });

  it('rejects an access token issued before the last password change even while its family lives', async () => {
    const { user } = await member();
    const login = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
    await ctx.db.user.update({ where: { id: user.id }, data: { passwordChangedAt: new Date(Date.now() + 5000) } });
    expect((await failure(ctx.auth.sessions.authenticate(login.accessToken))).status).toBe(401);
  });

  it('a disabled user cannot log in, refresh, or use a live access token', async () => {
    const { user } = await member();
    const login = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
    await ctx.db.user.update({ where: { id: user.id }, data: { status: 'DISABLED' } });
    expect((await failure(ctx.auth.sessions.authenticate(login.accessToken))).status).toBe(401);
    const refused = await failure(ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta));
    expect(refused.code).toBe('INVALID_CREDENTIALS');
    expect((await failure(ctx.auth.sessions.refresh(login.refreshToken, meta))).status).toBe(401);
    const rows = await ctx.db.refreshToken.findMany({ where: { userId: user.id } });
    expect(rows.map((r) => r.revokedReason)).toEqual(['USER_DISABLED']);
  });

  it('a disabled tenant: its members cannot log in, refresh or use live access tokens', async () => {
    const { tenant, user } = await member('VIEWER');
    const login = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
    await ctx.db.tenant.update({ where: { id: tenant.id }, data: { status: 'DISABLED' } });
    expect((await failure(ctx.auth.sessions.authenticate(login.accessToken))).status).toBe(401);
    expect((await failure(ctx.auth.sessions.refresh(login.refreshToken, meta))).status).toBe(401);
    expect((await failure(ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta))).code).toBe('INVALID_CREDENTIALS');
    const failed = await ctx.db.auditLog.findMany({ where: { tenantId: tenant.id, actorUserId: user.id, action: 'auth.login.failed' } });
    expect(failed.map((f) => (f.metadata as { reason: string }).reason)).toEqual(['no_active_tenant']);
  });

  it('moves a member of two tenants to the other one when the active tenant is disabled', async () => {
    const { tenant, user } = await member('VIEWER');
    const second = await makeTenant(ctx.db);
    await ctx.db.membership.create({ data: { tenantId: second.id, userId: user.id, role: 'OPERATOR' } });
    const login = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD, tenantId: tenant.id }, meta);
    expect(login.activeTenantId).toBe(tenant.id);
    await ctx.db.tenant.update({ where: { id: tenant.id }, data: { status: 'DISABLED' } });
    const refreshed = await ctx.auth.sessions.refresh(login.refreshToken, meta);
    expect(refreshed.activeTenantId).toBe(second.id);
    expect(await ctx.auth.sessions.authenticate(refreshed.accessToken)).toEqual(
      expect.objectContaining({ tenantId: second.id, role: 'OPERATOR' }),
    );
  });

  it('switches tenant after re-checking the membership; the next refresh stays there', async () => {
    const { tenant, user } = await member('OWNER');
    const second = await makeTenant(ctx.db);
    const foreign = await makeTenant(ctx.db);
    await ctx.db.membership.create({ data: { tenantId: second.id, userId: user.id, role: 'VIEWER' } });
    const login = await ctx.auth.sessions.login({ email: user.email, password: PASSWORD }, meta);
    const session = await ctx.auth.sessions.authenticate(login.accessToken);

    expect((await failure(ctx.auth.sessions.switchTenant(session, foreign.id, meta))).status).toBe(404);
    const switched = await ctx.auth.sessions.switchTenant(session, second.id, meta);
    expect(switched.activeTenantId).toBe(second.id);
    expect(await ctx.auth.sessions.authenticate(switched.accessToken)).toEqual(
      expect.objectContaining({ tenantId: second.id, role: 'VIEWER' }),
    );
    const refreshed = await ctx.auth.sessions.refresh(login.refreshToken, meta);
    expect(refreshed.activeTenantId).toBe(second.id);
    const audit = await ctx.db.auditLog.findMany({ where: { tenantId: second.id, action: 'auth.tenant.switched' } });
    expect(audit[0]?.metadata).toEqual({ from: tenant.id });

    // Removing the membership ends access to that tenant at once.
    await ctx.db.membership.deleteMany({ where: { tenantId: second.id, userId: user.id } });
    expect((await failure(ctx.auth.sessions.authenticate(refreshed.accessToken))).status).toBe(401);
  });

  it('platform admins without a membership log in with no active tenant', async () => {
    const admin = await makeUser(ctx.db, { isPlatformAdmin: true });
    const login = await ctx.auth.sessions.login({ email: admin.email, password: PASSWORD }, meta);
    expect(login.activeTenantId).toBeNull();
    expect(login.tenants).toEqual([]);
    expect(await ctx.auth.sessions.authenticate(login.accessToken)).toEqual(
      expect.objectContaining({ userId: admin.id, tenantId: null, role: null, isPlatformAdmin: true }),
    );
    const refreshed = await ctx.auth.sessions.refresh(login.refreshToken, meta);
    expect(refreshed.activeTenantId).toBeNull();
  });

  it('a user with no tenant and no platform role cannot log in', async () => {
    const loner = await makeUser(ctx.db);
    expect((await failure(ctx.auth.sessions.login({ email: loner.email, password: PASSWORD }, meta))).code).toBe('INVALID_CREDENTIALS');
  });
});
