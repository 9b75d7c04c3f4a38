import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { closeDeps, type HubDeps } from '../src/deps.ts';
import { bearer, errorCode, login, makeTenant, makeUser, PASSWORD, uniq } from './auth-fixtures.ts';
import { testDeps } from './helpers.ts';

describe('auth API', () => {
  let deps: HubDeps;
  let app: FastifyInstance;
  const bodies: string[] = [];
  // Every response of this suite is kept, to check at the end that none carries a hash.
  const call = async (options: InjectOptions): Promise<LightMyRequestResponse> => {
    // An address of this suite's own: the failed-login counter per IP is shared by every test file.
    const res = await app.inject({ remoteAddress: '198.51.100.200', ...options });
    bodies.push(res.body);
    return res;
  };

  beforeAll(async () => {
    deps = testDeps();
    app = await buildApp(deps);
  });
  afterAll(async () => {
    await app.close();
    await closeDeps(deps);
  });

  async function tenantWith(role: 'OWNER' | 'ADMIN' | 'OPERATOR' | 'VIEWER' = 'OWNER') {
    const tenant = await makeTenant(deps.db);
    const user = await makeUser(deps.db, { tenantId: tenant.id, role });
    return { tenant, user };
  }

  describe('login', () => {
    it('answers the token pair, the user and the tenants', async () => {
      const { tenant, user } = await tenantWith('ADMIN');
      const res = await call({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: PASSWORD } });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual([
        'accessToken',
        'accessTokenExpiresAt',
        'activeTenantId',
        'refreshToken',
        'refreshTokenExpiresAt',
        'tenants',
        'user',
      ]);
      expect(body.accessToken.split('.')).toHaveLength(3);
      expect(new Date(body.accessTokenExpiresAt).getTime() - Date.now()).toBeGreaterThan(800_000);
      expect(body.user).toEqual({
        id: user.id,
        email: user.email,
        name: 'Test User',
        locale: 'pt-BR',
        isPlatformAdmin: false,
        status: 'ACTIVE',
        lastLoginAt: expect.stringMatching(/Z$/),
        createdAt: expect.stringMatching(/Z$/),
      });
      expect(body.tenants).toEqual([
        { tenantId: tenant.id, tenantName: expect.any(String), tenantSlug: tenant.slug, tenantStatus: 'ACTIVE', role: 'ADMIN' },
      ]);
      expect(body.activeTenantId).toBe(tenant.id);
    });

    it('answers wrong e-mail and wrong password with the same 401 body', async () => {
      const { user } = await tenantWith();
      const wrongPassword = await call({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: user.email, password: 'not it at all' },
      });
      const wrongEmail = await call({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: `x-${user.email}`, password: PASSWORD },
      });
      expect(wrongPassword.statusCode).toBe(401);
      expect(wrongEmail.statusCode).toBe(401);
      expect(wrongPassword.body).toBe(wrongEmail.body);
      expect(errorCode(wrongEmail)).toBe('INVALID_CREDENTIALS');
    });

    it('validates the body before anything else', async () => {
      const res = await call({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'a@b.c' } });
      expect(res.statusCode).toBe(400);
      expect(errorCode(res)).toBe('VALIDATION');
    });
  });

  describe('tokens over HTTP', () => {
    it('refreshes (a second tab inside the grace window gets the same successor), and logs out', async () => {
      const { user } = await tenantWith();
      const first = await login(app, user.email, PASSWORD);
      const refreshed = await call({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: first.refreshToken } });
      expect(refreshed.statusCode).toBe(200);
      const pair = refreshed.json();
      expect(pair.refreshToken).not.toBe(first.refreshToken);
      const secondTab = await call({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: first.refreshToken } });
      expect(secondTab.json().refreshToken).toBe(pair.refreshToken);
      expect((await call({ method: 'GET', url: '/api/v1/me', headers: bearer(pair.accessToken) })).statusCode).toBe(200);

      const logout = await call({ method: 'POST', url: '/api/v1/auth/logout', payload: { refreshToken: pair.refreshToken } });
      expect(logout.statusCode).toBe(204);
      expect(logout.body).toBe('');
      const after = await call({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: pair.refreshToken } });
      expect(after.statusCode).toBe(401);
      const me = await call({ method: 'GET', url: '/api/v1/me', headers: bearer(pair.accessToken) });
      expect(me.statusCode).toBe(401);
      expect(me.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    });

    it('rejects requests without a token, with a tampered one, or with another scheme', async () => {
      const { user } = await tenantWith();
      const { accessToken } = await login(app, user.email, PASSWORD);
      const none = await call({ method: 'GET', url: '/api/v1/me' });
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer');
      expect(errorCode(none)).toBe('UNAUTHENTICATED');
      const tampered = `${accessToken.slice(0, -3)}${accessToken.endsWith('AAA') ? 'BBB' : 'AAA'}`;
      expect((await call({ method: 'GET', url: '/api/v1/me', headers: bearer(tampered) })).statusCode).toBe(401);
      expect((await call({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Basic ${accessToken}` } })).statusCode).toBe(401);
    });
  });

  describe('me', () => {
    it('shows the user, memberships, the active tenant and its permissions; switching re-checks membership', async () => {
      const { tenant, user } = await tenantWith('OPERATOR');
      const second = await makeTenant(deps.db);
      const foreign = await makeTenant(deps.db);
      await deps.db.membership.create({ data: { tenantId: second.id, userId: user.id, role: 'ADMIN' } });
      const session = await login(app, user.email, PASSWORD);

      const me = (await call({ method: 'GET', url: '/api/v1/me', headers: bearer(session.accessToken) })).json();
      expect(me.user.id).toBe(user.id);
      expect(me.tenants.map((t: { tenantId: string; role: string }) => [t.tenantId, t.role])).toEqual([
        [tenant.id, 'OPERATOR'],
        [second.id, 'ADMIN'],
      ]);
      expect(me.activeTenant).toEqual({ id: tenant.id, name: expect.any(String), slug: tenant.slug, role: 'OPERATOR' });
      expect(me.permissions).toEqual([
        'me',
        'instances:read',
        'instances:operate',
        'lanes:read',
        'lanes:operate',
        'executions:read',
        'chatwoot:read',
        'providers:read',
      ]);

      const switchTo = (tenantId: string) =>
        call({ method: 'PUT', url: '/api/v1/me/active-tenant', headers: bearer(session.accessToken), payload: { tenantId } });
      expect((await switchTo(foreign.id)).statusCode).toBe(404);
      const switched = await switchTo(second.id);
      expect(switched.statusCode).toBe(200);
      expect(switched.json().activeTenantId).toBe(second.id);
      const after = (await call({ method: 'GET', url: '/api/v1/me', headers: bearer(switched.json().accessToken) })).json();
      expect(after.activeTenant.id).toBe(second.id);
      expect(after.permissions).toContain('users:write');
    });

    it('changes the password: other logins end, the caller gets a new pair', async () => {
      const { user } = await tenantWith();
      const a = await login(app, user.email, PASSWORD);
      const b = await login(app, user.email, PASSWORD);
      const bad = await call({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: bearer(a.accessToken),
        payload: { currentPassword: PASSWORD, newPassword: 'short' },
      });
      expect(bad.statusCode).toBe(400);
      const res = await call({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: bearer(a.accessToken),
        payload: { currentPassword: PASSWORD, newPassword: 'an entirely new passphrase' },
      });
      expect(res.statusCode).toBe(200);
      for (const old of [a, b])
        expect((await call({ method: 'GET', url: '/api/v1/me', headers: bearer(old.accessToken) })).statusCode).toBe(401);
      expect((await call({ method: 'GET', url: '/api/v1/me', headers: bearer(res.json().accessToken) })).statusCode).toBe(200);
      await login(app, user.email, 'an entirely new passphrase');
    });
  });

  describe('users of a tenant', () => {
    it('owners create and invite members; admins cannot touch owners; nobody changes themselves', async () => {
      const { tenant, user: owner } = await tenantWith('OWNER');
      const ownerLogin = await login(app, owner.email, PASSWORD);
      const h = bearer(ownerLogin.accessToken);

      const noPassword = await call({
        method: 'POST',
        url: '/api/v1/users',
        headers: h,
        payload: { email: `new-${uniq()}@example.test`, role: 'ADMIN' },
      });
      expect(noPassword.statusCode).toBe(400);

      const adminEmail = `admin-${uniq()}@example.test`;
      const created = await call({
        method: 'POST',
        url: '/api/v1/users',
        headers: h,
        payload: { email: adminEmail.toUpperCase(), role: 'ADMIN', name: 'Ada', password: 'admin passphrase 1' },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toEqual({
        id: expect.any(String),
        email: adminEmail,
        name: 'Ada',
        role: 'ADMIN',
        status: 'ACTIVE',
        lastLoginAt: null,
        joinedAt: expect.any(String),
      });
      const adminId = created.json().id;

      const elsewhere = await tenantWith('VIEWER');
      const invited = await call({
        method: 'POST',
        url: '/api/v1/users',
        headers: h,
        payload: { email: elsewhere.user.email, role: 'VIEWER' },
      });
      expect(invited.statusCode).toBe(201);
      expect(invited.json().id).toBe(elsewhere.user.id);
      const again = await call({
        method: 'POST',
        url: '/api/v1/users',
        headers: h,
        payload: { email: elsewhere.user.email, role: 'VIEWER' },
      });
      expect(again.statusCode).toBe(409);

      const list = (await call({ method: 'GET', url: '/api/v1/users', headers: h })).json();
      expect(list.items.map((m: { id: string; role: string }) => [m.id, m.role])).toEqual([
        [owner.id, 'OWNER'],
        [adminId, 'ADMIN'],
        [elsewhere.user.id, 'VIEWER'],
      ]);

      const admin = bearer((await login(app, adminEmail, 'admin passphrase 1')).accessToken);
      expect(
        (
          await call({
            method: 'POST',
            url: '/api/v1/users',
            headers: admin,
            payload: { email: `o-${uniq()}@example.test`, role: 'OWNER', password: 'owner passphrase' },
          })
        ).statusCode,
      ).toBe(403);
      expect(
        (await call({ method: 'PATCH', url: `/api/v1/users/${owner.id}`, headers: admin, payload: { role: 'VIEWER' } })).statusCode,
      ).toBe(403);
      expect(
        (await call({ method: 'PATCH', url: `/api/v1/users/${elsewhere.user.id}`, headers: admin, payload: { role: 'OWNER' } })).statusCode,
      ).toBe(403);
      const self = await call({ method: 'PATCH', url: `/api/v1/users/${adminId}`, headers: admin, payload: { role: 'OWNER' } });
      expect(self.statusCode).toBe(409);
      expect(errorCode(self)).toBe('SELF_CHANGE');

      const promoted = await call({
        method: 'PATCH',
        url: `/api/v1/users/${elsewhere.user.id}`,
        headers: admin,
        payload: { role: 'OPERATOR', name: 'Renamed' },
      });
      expect(promoted.statusCode).toBe(200);
      expect(promoted.json()).toEqual(expect.objectContaining({ role: 'OPERATOR', name: 'Renamed' }));

      // A user who also belongs to another tenant is removed, not disabled.
      const shared = await call({
        method: 'PATCH',
        url: `/api/v1/users/${elsewhere.user.id}`,
        headers: admin,
        payload: { status: 'DISABLED' },
      });
      expect(shared.statusCode).toBe(409);
      expect(errorCode(shared)).toBe('USER_SHARED');

      const audit = await deps.db.auditLog.findMany({
        where: { tenantId: tenant.id, action: { in: ['membership.created', 'membership.role_changed', 'user.created'] } },
        orderBy: { id: 'asc' },
      });
      expect(audit.map((a) => [a.action, a.targetId, a.metadata])).toEqual([
        ['user.created', adminId, {}],
        ['membership.created', adminId, { role: 'ADMIN' }],
        ['membership.created', elsewhere.user.id, { role: 'VIEWER' }],
        ['membership.role_changed', elsewhere.user.id, { from: 'VIEWER', to: 'OPERATOR' }],
      ]);
    });

    it('disabling a member stops their live access token at once; removing ends their access to the tenant', async () => {
      const { user: owner } = await tenantWith('OWNER');
      const h = bearer((await login(app, owner.email, PASSWORD)).accessToken);
      const email = `op-${uniq()}@example.test`;
      const created = (
        await call({
          method: 'POST',
          url: '/api/v1/users',
          headers: h,
          payload: { email, role: 'OPERATOR', password: 'operator passphrase' },
        })
      ).json();
      const session = await login(app, email, 'operator passphrase');
      expect((await call({ method: 'GET', url: '/api/v1/me', headers: bearer(session.accessToken) })).statusCode).toBe(200);

      const disabled = await call({ method: 'PATCH', url: `/api/v1/users/${created.id}`, headers: h, payload: { status: 'DISABLED' } });
      expect(disabled.json().status).toBe('DISABLED');
      expect((await call({ method: 'GET', url: '/api/v1/me', headers: bearer(session.accessToken) })).statusCode).toBe(401);
      expect(
        (await call({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: session.refreshToken } })).statusCode,
      ).toBe(401);
      expect(
        (await call({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'operator passphrase' } })).statusCode,
      ).toBe(401);

      expect(
        (await call({ method: 'PATCH', url: `/api/v1/users/${created.id}`, headers: h, payload: { status: 'ACTIVE' } })).json().status,
      ).toBe('ACTIVE');
      const again = await login(app, email, 'operator passphrase');
      const removed = await call({ method: 'DELETE', url: `/api/v1/users/${created.id}`, headers: h });
      expect(removed.statusCode).toBe(204);
      expect((await call({ method: 'GET', url: '/api/v1/me', headers: bearer(again.accessToken) })).statusCode).toBe(401);
      expect((await call({ method: 'GET', url: `/api/v1/users/${created.id}`, headers: h })).statusCode).toBe(404);
    });

    it("answers 404 for another tenant's user, whatever the verb", async () => {
      const { user: owner } = await tenantWith('OWNER');
      const other = await tenantWith('VIEWER');
      const h = bearer((await login(app, owner.email, PASSWORD)).accessToken);
      for (const [method, payload] of [
        ['GET', undefined],
        ['PATCH', { role: 'ADMIN' }],
        ['DELETE', undefined],
      ] as const) {
        const res = await call({ method, url: `/api/v1/users/${other.user.id}`, headers: h, ...(payload ? { payload } : {}) });
        expect(res.statusCode).toBe(404);
        expect(errorCode(res)).toBe('NOT_FOUND');
      }
      expect((await deps.db.membership.findFirst({ where: { tenantId: other.tenant.id, userId: other.user.id } }))?.role).toBe('VIEWER');
    });
  });

  describe('tenants', () => {
    it('platform admins create, list, disable and re-enable tenants; a disabled tenant locks its members out', async () => {
      const admin = await makeUser(deps.db, { isPlatformAdmin: true });
      const h = bearer((await login(app, admin.email, PASSWORD)).accessToken);
      const slug = `acme-${uniq()}`;
      const ownerEmail = `owner-${uniq()}@example.test`;
      const created = await call({
        method: 'POST',
        url: '/api/v1/tenants',
        headers: h,
        payload: { name: 'Acme', slug, owner: { email: ownerEmail, password: 'owner passphrase 1' } },
      });
      expect(created.statusCode).toBe(201);
      const { tenant, owner } = created.json();
      expect(tenant).toEqual({
        id: expect.any(String),
        name: 'Acme',
        slug,
        status: 'ACTIVE',
        memberCount: 1,
        createdAt: expect.any(String),
      });
      expect(owner).toEqual(expect.objectContaining({ email: ownerEmail, role: 'OWNER', name: ownerEmail.split('@')[0] }));
      expect((await call({ method: 'POST', url: '/api/v1/tenants', headers: h, payload: { name: 'Again', slug } })).statusCode).toBe(409);
      expect(
        (await call({ method: 'POST', url: '/api/v1/tenants', headers: h, payload: { name: 'Bad', slug: 'Not A Slug' } })).statusCode,
      ).toBe(400);

      const list = (await call({ method: 'GET', url: '/api/v1/tenants', headers: h })).json();
      expect(list.items.find((t: { id: string }) => t.id === tenant.id)).toEqual(tenant);
      expect((await call({ method: 'GET', url: `/api/v1/tenants/${tenant.id}`, headers: h })).json()).toEqual(tenant);

      const ownerSession = await login(app, ownerEmail, 'owner passphrase 1');
      const disabled = await call({
        method: 'PATCH',
        url: `/api/v1/tenants/${tenant.id}`,
        headers: h,
        payload: { status: 'DISABLED', name: 'Acme Ltd' },
      });
      expect(disabled.json()).toEqual(expect.objectContaining({ status: 'DISABLED', name: 'Acme Ltd' }));
      expect((await call({ method: 'GET', url: '/api/v1/me', headers: bearer(ownerSession.accessToken) })).statusCode).toBe(401);
      expect(
        (await call({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: ownerSession.refreshToken } })).statusCode,
      ).toBe(401);
      expect(
        (await call({ method: 'POST', url: '/api/v1/auth/login', payload: { email: ownerEmail, password: 'owner passphrase 1' } }))
          .statusCode,
      ).toBe(401);

      await call({ method: 'PATCH', url: `/api/v1/tenants/${tenant.id}`, headers: h, payload: { status: 'ACTIVE' } });
      await login(app, ownerEmail, 'owner passphrase 1');
      const actions = await deps.db.auditLog.findMany({
        where: { tenantId: tenant.id, action: { startsWith: 'tenant.' } },
        orderBy: { id: 'asc' },
      });
      expect(actions.map((a) => [a.action, a.actorUserId])).toEqual([
        ['tenant.created', admin.id],
        ['tenant.updated', admin.id],
        ['tenant.disabled', admin.id],
        ['tenant.enabled', admin.id],
      ]);
      expect(actions[2]?.metadata).toEqual({ revokedSessions: 1 });
      expect(
        (await call({ method: 'GET', url: `/api/v1/tenants/${'0'.repeat(8)}-0000-7000-8000-000000000000`, headers: h })).statusCode,
      ).toBe(404);
    });

    it('tenant owners are not platform admins', async () => {
      const { user } = await tenantWith('OWNER');
      const h = bearer((await login(app, user.email, PASSWORD)).accessToken);
      const res = await call({ method: 'GET', url: '/api/v1/tenants', headers: h });
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toEqual({
        code: 'FORBIDDEN',
        message: 'this needs the "tenants:admin" permission',
        details: { permission: 'tenants:admin' },
      });
    });
  });

  describe('audit log', () => {
    it('owners and admins read their tenant log, newest first, paged; viewers cannot', async () => {
      const { tenant, user: owner } = await tenantWith('OWNER');
      const other = await tenantWith('OWNER');
      await login(app, other.user.email, PASSWORD);
      await call({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: owner.email, password: 'wrong wrong' },
        remoteAddress: '198.51.100.50',
      });
      const session = await login(app, owner.email, PASSWORD, '198.51.100.51');
      const h = bearer(session.accessToken);
      const viewerEmail = `v-${uniq()}@example.test`;
      await call({
        method: 'POST',
        url: '/api/v1/users',
        headers: h,
        payload: { email: viewerEmail, role: 'VIEWER', password: 'viewer passphrase' },
      });

      const page1 = await call({ method: 'GET', url: '/api/v1/audit?limit=2', headers: h });
      expect(page1.statusCode).toBe(200);
      const first = page1.json();
      expect(first.items.map((e: { action: string }) => e.action)).toEqual(['membership.created', 'user.created']);
      expect(first.nextBefore).toBe(first.items[1].id);
      const page2 = (await call({ method: 'GET', url: `/api/v1/audit?limit=10&before=${first.nextBefore}`, headers: h })).json();
      expect(page2.items.map((e: { action: string; ip: string; tenantId: string }) => [e.action, e.ip, e.tenantId])).toEqual([
        ['auth.login.succeeded', '198.51.100.51', tenant.id],
        ['auth.login.failed', '198.51.100.50', tenant.id],
      ]);
      expect(page2.nextBefore).toBeNull();
      expect(page2.items[1].metadata).toEqual({ reason: 'wrong_password', email: owner.email });
      const filtered = (await call({ method: 'GET', url: '/api/v1/audit?action=auth.login.failed', headers: h })).json();
      expect(filtered.items).toHaveLength(1);

      const viewer = bearer((await login(app, viewerEmail, 'viewer passphrase')).accessToken);
      expect((await call({ method: 'GET', url: '/api/v1/audit', headers: viewer })).statusCode).toBe(403);
    });
  });

  it('no response of this suite contains a password hash or a refresh-token hash', async () => {
    const raw = deps.db.$unguarded('test: every hash in the database');
    const hashes = [
      ...(await raw.user.findMany({ select: { passwordHash: true } })).map((u) => u.passwordHash),
      ...(await raw.refreshToken.findMany({ select: { tokenHash: true } })).map((t) => t.tokenHash),
    ];
    expect(hashes.length).toBeGreaterThan(20);
    expect(bodies.length).toBeGreaterThan(40);
    const all = bodies.join('\n');
    for (const hash of hashes) expect(all.includes(hash), 'a response carried a stored hash').toBe(false);
    expect(all).not.toMatch(/\$argon2id\$/);
    expect(all).not.toMatch(/passwordHash|tokenHash/);
  });
});

describe('login rate limit over HTTP', () => {
  it('answers 429 with Retry-After after the configured failures, and recovers after the window', async () => {
    const deps = testDeps({ LOGIN_RATE_LIMIT: '2', LOGIN_RATE_WINDOW_SECONDS: '2' });
    const app = await buildApp(deps);
    try {
      const tenant = await makeTenant(deps.db);
      const user = await makeUser(deps.db, { tenantId: tenant.id });
      const attempt = (password: string) =>
        app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password }, remoteAddress: '192.0.2.99' });
      expect((await attempt('wrong-1')).statusCode).toBe(401);
      expect((await attempt('wrong-2')).statusCode).toBe(401);
      const limited = await attempt(PASSWORD);
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(2);
      expect(limited.json().error.code).toBe('RATE_LIMITED');
      await new Promise((r) => setTimeout(r, 2200));
      expect((await attempt(PASSWORD)).statusCode).toBe(200);
    } finally {
      await app.close();
      await closeDeps(deps);
    }
  });
});
