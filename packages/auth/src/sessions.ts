// Logins, refresh-token rotation, logout, tenant switching and password changes (ARCHITECTURE §6).
//
// A refresh-token family is one login. Every refresh spends the presented token and appends its
// successor. Presenting a spent token again is treated as theft and revokes the whole family, except
// inside a short grace window where the same successor is handed out again, so two tabs refreshing at
// the same moment do not log the user out. Refresh tokens are stored only as SHA-256 hashes.
import { randomUUID } from 'node:crypto';
import type { Db, RefreshRevocation } from '@whatpro/db';
import { AppError, type Logger, type Redis, randomToken, sha256 } from '@whatpro/platform';
import { AccessTokenError, type AccessTokens } from './access-tokens.ts';
import { writeAudit } from './audit.ts';
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.ts';
import type { Role } from './permissions.ts';
import { type LoginRateLimitConfig, LoginRateLimiter } from './rate-limit.ts';
import { type MembershipView, normaliseEmail, toMembershipView, toUserView, type UserView, userViewSelect } from './views.ts';

export interface AuthServiceConfig {
  db: Db;
  redis: Redis;
  tokens: AccessTokens;
  refreshTtlSeconds: number;
  /** How long a spent refresh token still yields its successor instead of counting as reuse. */
  reuseGraceSeconds: number;
  rateLimit: LoginRateLimitConfig;
  logger?: Logger;
}

export interface RequestMeta {
  ip?: string | null;
  userAgent?: string | null;
}

export interface TokenPair {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  activeTenantId: string | null;
}

export interface LoginResult extends TokenPair {
  user: UserView;
  tenants: MembershipView[];
}

/** Who is calling, as established from a verified access token and the live database state. */
export interface Session {
  userId: string;
  familyId: string;
  isPlatformAdmin: boolean;
  /** The active tenant; null for a session without one. */
  tenantId: string | null;
  role: Role | null;
}

/** A session bound to a tenant: what every tenant-scoped handler works with. */
export interface Principal {
  userId: string;
  tenantId: string;
  role: Role;
  isPlatformAdmin: boolean;
}

const invalidCredentials = () => new AppError('INVALID_CREDENTIALS', 'e-mail or password is incorrect', { status: 401 });
const invalidRefresh = () => new AppError('UNAUTHENTICATED', 'refresh token is invalid or expired');
const invalidAccess = () => new AppError('UNAUTHENTICATED', 'access token is invalid or expired');

type RefreshRow = {
  id: string;
  userId: string;
  familyId: string;
  activeTenantId: string | null;
  expiresAt: Date;
  usedAt: Date | null;
  replacedById: string | null;
  revokedAt: Date | null;
  tokenHash: string;
};

type LiveUser = UserView & { memberships: MembershipView[] };

export class AuthService {
  readonly limiter: LoginRateLimiter;

  constructor(private readonly config: AuthServiceConfig) {
    this.limiter = new LoginRateLimiter(config.redis, config.rateLimit, config.logger);
  }

  private get db(): Db {
    return this.config.db;
  }

  // ───────────── login ─────────────

  async login(input: { email: string; password: string; tenantId?: string }, meta: RequestMeta): Promise<LoginResult> {
    const email = normaliseEmail(input.email);
    const ip = meta.ip ?? 'unknown';
    await this.limiter.check(ip, email);

    const row = await this.db.user.findUnique({ where: { email }, select: { ...userViewSelect, passwordHash: true } });
    // The same work on every path: an unknown e-mail still pays for one argon2 verification.
    let passwordOk = false;
    if (row) passwordOk = await verifyPassword(row.passwordHash, input.password);
    else await burnPasswordCheck(input.password);
    const user = row ? await this.liveUser(row.id) : null;
    const tenantId = user ? this.pickTenant(user, input.tenantId ?? null) : undefined;

    const reason = !row
      ? 'unknown_email'
      : !passwordOk
        ? 'wrong_password'
        : user?.status !== 'ACTIVE'
          ? 'user_disabled'
          : tenantId === undefined
            ? 'no_active_tenant'
            : null;
    if (reason !== null || !user || tenantId === undefined) {
      await this.limiter.recordFailure(ip, email);
      await writeAudit(this.db, {
        action: 'auth.login.failed',
        tenantId: user?.memberships[0]?.tenantId ?? null,
        actorUserId: row?.id ?? null,
        targetType: 'user',
        ...(row ? { targetId: row.id } : {}),
        // The e-mail is kept only for known accounts: a typo'd address is nobody's data to keep.
        metadata: { reason, ...(row ? { email } : {}) },
        ip: meta.ip ?? null,
      });
      throw invalidCredentials();
    }

    await this.limiter.recordSuccess(email);
    const lastLoginAt = new Date();
    await this.db.user.update({ where: { id: user.id }, data: { lastLoginAt } });
    const pair = await this.startFamily(user.id, tenantId, meta);
    await writeAudit(this.db, {
      action: 'auth.login.succeeded',
      tenantId,
      actorUserId: user.id,
      targetType: 'user',
      targetId: user.id,
      ip: meta.ip ?? null,
    });
    const { memberships, ...view } = user;
    return { ...pair, user: toUserView({ ...view, lastLoginAt }), tenants: memberships };
  }

  /**
   * The tenant a session starts in: the requested one when the user is an active member of an active
   * tenant, else the first such membership. `null` (no tenant) only for platform administrators;
   * `undefined` means the user has nowhere to go and cannot log in.
   */
  private pickTenant(user: LiveUser, requested: string | null): string | null | undefined {
    const usable = user.memberships.filter((m) => m.tenantStatus === 'ACTIVE');
    const chosen = (requested && usable.find((m) => m.tenantId === requested)) || usable[0];
    if (chosen) return chosen.tenantId;
    return user.isPlatformAdmin ? null : undefined;
  }

  private async liveUser(userId: string): Promise<LiveUser | null> {
    const user = await this.db.user.findUnique({ where: { id: userId }, select: userViewSelect });
    if (!user) return null;
    return { ...toUserView(user), memberships: await this.membershipsOf(userId) };
  }

  async membershipsOf(userId: string): Promise<MembershipView[]> {
    const rows = await this.db.$unguarded("a user's memberships span tenants").membership.findMany({
      where: { userId },
      select: { role: true, tenant: { select: { id: true, name: true, slug: true, status: true } } },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toMembershipView);
  }

  private async startFamily(userId: string, tenantId: string | null, meta: RequestMeta): Promise<TokenPair> {
    const refreshToken = randomToken(32);
    const familyId = randomUUID();
    const refreshTokenExpiresAt = new Date(Date.now() + this.config.refreshTtlSeconds * 1000);
    await this.db.refreshToken.create({
      data: {
        userId,
        familyId,
        tokenHash: sha256(refreshToken),
        activeTenantId: tenantId,
        expiresAt: refreshTokenExpiresAt,
        createdIp: meta.ip ?? null,
        userAgent: meta.userAgent?.slice(0, 512) ?? null,
      },
    });
    const access = await this.config.tokens.sign({ userId, tenantId, familyId });
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt,
      activeTenantId: tenantId,
    };
  }

  // ───────────── refresh ─────────────

  async refresh(refreshToken: string, meta: RequestMeta): Promise<TokenPair> {
    const tokenHash = sha256(refreshToken);
    // Two passes at most: losing the race for a fresh token turns it into a spent one, which the
    // second pass answers through the grace window.
    for (let pass = 0; pass < 2; pass++) {
      const row = await this.db.refreshToken.findUnique({ where: { tokenHash } });
      const now = new Date();
      if (!row || row.revokedAt || row.expiresAt <= now) throw invalidRefresh();
      if (row.usedAt) return this.refreshSpent(row, refreshToken, meta);

      const tenantId = await this.usableTenantFor(row);
      const successor = this.config.tokens.successorOf(refreshToken) as string;
      const expiresAt = new Date(now.getTime() + this.config.refreshTtlSeconds * 1000);
      const rotated = await this.db.$transaction(async (tx) => {
        // Compare-and-set: of two concurrent refreshes exactly one spends the token; the other waits
        // for this transaction's row lock and then finds it spent.
        const claimed = await tx.refreshToken.updateMany({ where: { id: row.id, usedAt: null, revokedAt: null }, data: { usedAt: now } });
        if (claimed.count === 0) return false;
        const child = await tx.refreshToken.create({
          data: {
            userId: row.userId,
            familyId: row.familyId,
            parentId: row.id,
            tokenHash: sha256(successor),
            activeTenantId: tenantId,
            expiresAt,
            createdIp: meta.ip ?? null,
            userAgent: meta.userAgent?.slice(0, 512) ?? null,
          },
        });
        await tx.refreshToken.update({ where: { id: row.id }, data: { replacedById: child.id } });
        return true;
      });
      if (!rotated) continue;
      const access = await this.config.tokens.sign({ userId: row.userId, tenantId, familyId: row.familyId });
      return {
        accessToken: access.token,
        accessTokenExpiresAt: access.expiresAt,
        refreshToken: successor,
        refreshTokenExpiresAt: expiresAt,
        activeTenantId: tenantId,
      };
    }
    throw invalidRefresh();
  }

  private async refreshSpent(row: RefreshRow, presented: string, meta: RequestMeta): Promise<TokenPair> {
    const usedAt = row.usedAt as Date;
    if (row.replacedById && Date.now() - usedAt.getTime() <= this.config.reuseGraceSeconds * 1000) {
      const child = await this.db.refreshToken.findUnique({ where: { id: row.replacedById } });
      const successor =
        child && !child.usedAt && !child.revokedAt && child.expiresAt > new Date()
          ? this.config.tokens.keyIds
              .map((kid) => this.config.tokens.successorOf(presented, kid))
              .find((s) => s && sha256(s) === child.tokenHash)
          : undefined;
      if (child && successor) {
        const tenantId = await this.usableTenantFor(child);
        const access = await this.config.tokens.sign({ userId: child.userId, tenantId, familyId: child.familyId });
        return {
          accessToken: access.token,
          accessTokenExpiresAt: access.expiresAt,
          refreshToken: successor,
          refreshTokenExpiresAt: child.expiresAt,
          activeTenantId: tenantId,
        };
      }
    }
    const revoked = await this.revokeFamily(row.familyId, 'REUSE_DETECTED');
    await writeAudit(this.db, {
      action: 'auth.refresh.reuse_detected',
      tenantId: await this.existingTenant(row.activeTenantId),
      actorUserId: row.userId,
      targetType: 'refreshTokenFamily',
      targetId: row.familyId,
      // Key names avoid the word "token": the log redaction would hide them.
      metadata: { spentRecord: row.id, spentAt: usedAt.toISOString(), revokedCount: revoked },
      ip: meta.ip ?? null,
    });
    this.config.logger?.warn({ userId: row.userId, familyId: row.familyId }, 'refresh token reuse: family revoked');
    throw new AppError('REFRESH_TOKEN_REUSED', 'refresh token was already used; the session has been ended', { status: 401 });
  }

  /**
   * The tenant a refreshed session continues in, re-checked live. A disabled user, or one left with no
   * usable tenant, ends the family here: refresh is where a disabled account stops getting tokens.
   */
  private async usableTenantFor(row: { userId: string; familyId: string; activeTenantId: string | null }): Promise<string | null> {
    const user = await this.liveUser(row.userId);
    if (user?.status !== 'ACTIVE') {
      await this.revokeFamily(row.familyId, 'USER_DISABLED');
      throw invalidRefresh();
    }
    const tenantId = this.pickTenant(user, row.activeTenantId);
    if (tenantId === undefined) {
      await this.revokeFamily(row.familyId, 'TENANT_DISABLED');
      throw invalidRefresh();
    }
    return tenantId;
  }

  private async existingTenant(tenantId: string | null): Promise<string | null> {
    if (!tenantId) return null;
    const tenant = await this.db.tenant.findUnique({ where: { id: tenantId }, select: { id: true } });
    return tenant?.id ?? null;
  }

  // ───────────── logout and revocation ─────────────

  /** Ends the login the token belongs to. Unknown tokens are ignored, so logout never reveals anything. */
  async logout(refreshToken: string, meta: RequestMeta): Promise<void> {
    const row = await this.db.refreshToken.findUnique({ where: { tokenHash: sha256(refreshToken) } });
    if (!row || row.revokedAt) return;
    await this.revokeFamily(row.familyId, 'LOGOUT');
    await writeAudit(this.db, {
      action: 'auth.logout',
      tenantId: await this.existingTenant(row.activeTenantId),
      actorUserId: row.userId,
      targetType: 'refreshTokenFamily',
      targetId: row.familyId,
      ip: meta.ip ?? null,
    });
  }

  async revokeFamily(familyId: string, reason: RefreshRevocation): Promise<number> {
    const { count } = await this.db.refreshToken.updateMany({
      where: { familyId, revokedAt: null },
      data: { revokedAt: new Date(), revokedReason: reason },
    });
    return count;
  }

  /** Every login of a user (password change, account disabled). */
  async revokeUserSessions(userId: string, reason: RefreshRevocation): Promise<number> {
    const { count } = await this.db.refreshToken.updateMany({
      where: { userId, revokedAt: null },
      data: { revokedAt: new Date(), revokedReason: reason },
    });
    return count;
  }

  /** Logins currently working in a tenant (tenant disabled), or one member's logins there (removed). */
  async revokeTenantSessions(tenantId: string, reason: RefreshRevocation, userId?: string): Promise<number> {
    const { count } = await this.db.refreshToken.updateMany({
      where: { activeTenantId: tenantId, revokedAt: null, ...(userId ? { userId } : {}) },
      data: { revokedAt: new Date(), revokedReason: reason },
    });
    return count;
  }

  // ───────────── access tokens ─────────────

  /**
   * Verifies an access token and re-checks it against the database on every request: the user is active
   * and has not changed password since the token was issued, its login has not been revoked, and the
   * active tenant is active with a live membership. A disabled user or tenant therefore stops working at
   * once, well inside one access-token lifetime.
   */
  async authenticate(accessToken: string): Promise<Session> {
    let claims: Awaited<ReturnType<AccessTokens['verify']>>;
    try {
      claims = await this.config.tokens.verify(accessToken);
    } catch (error) {
      if (error instanceof AccessTokenError) throw this.rejectAccess(error.reason);
      throw error;
    }
    const user = await this.db.$unguarded('the principal joins user, membership and tenant').user.findUnique({
      where: { id: claims.userId },
      select: {
        status: true,
        isPlatformAdmin: true,
        passwordChangedAt: true,
        memberships: {
          where: claims.tenantId ? { tenantId: claims.tenantId } : { id: { in: [] } },
          select: { role: true, tenant: { select: { status: true } } },
        },
        refreshTokens: { where: { familyId: claims.familyId, revokedAt: null }, select: { id: true }, take: 1 },
      },
    });
    if (user?.status !== 'ACTIVE') throw this.rejectAccess('user missing or disabled', claims.userId);
    if (user.refreshTokens.length === 0) throw this.rejectAccess('login ended', claims.userId);
    // JWT times have whole seconds; a token from the second of the change is covered by the family check.
    if (claims.issuedAt.getTime() < Math.floor(user.passwordChangedAt.getTime() / 1000) * 1000) {
      throw this.rejectAccess('issued before the last password change', claims.userId);
    }
    if (claims.tenantId === null) {
      return { userId: claims.userId, familyId: claims.familyId, isPlatformAdmin: user.isPlatformAdmin, tenantId: null, role: null };
    }
    const membership = user.memberships[0];
    if (membership?.tenant.status !== 'ACTIVE') throw this.rejectAccess('membership or tenant no longer active', claims.userId);
    return {
      userId: claims.userId,
      familyId: claims.familyId,
      isPlatformAdmin: user.isPlatformAdmin,
      tenantId: claims.tenantId,
      role: membership.role,
    };
  }

  private rejectAccess(reason: string, userId?: string): AppError {
    this.config.logger?.debug({ reason, ...(userId ? { userId } : {}) }, 'access token rejected');
    return invalidAccess();
  }

  /** Moves a login to another tenant the user is an active member of; a new access token says so. */
  async switchTenant(
    session: Session,
    tenantId: string,
    meta: RequestMeta,
  ): Promise<{ accessToken: string; accessTokenExpiresAt: Date; activeTenantId: string }> {
    const membership = await this.db.membership.findFirst({
      where: { tenantId, userId: session.userId },
      select: { tenant: { select: { status: true } } },
    });
    // Not a member and not active look the same: a tenant one cannot enter is one that does not exist.
    if (membership?.tenant.status !== 'ACTIVE') throw new AppError('NOT_FOUND', 'tenant not found');
    await this.db.refreshToken.updateMany({
      where: { familyId: session.familyId, usedAt: null, revokedAt: null },
      data: { activeTenantId: tenantId },
    });
    const access = await this.config.tokens.sign({ userId: session.userId, tenantId, familyId: session.familyId });
    await writeAudit(this.db, {
      action: 'auth.tenant.switched',
      tenantId,
      actorUserId: session.userId,
      targetType: 'tenant',
      targetId: tenantId,
      metadata: { from: session.tenantId },
      ip: meta.ip ?? null,
    });
    return { accessToken: access.token, accessTokenExpiresAt: access.expiresAt, activeTenantId: tenantId };
  }

  // ───────────── passwords ─────────────

  /** Changes the caller's password, ends every login of the user and starts a new one for this caller. */
  async changePassword(session: Session, input: { currentPassword: string; newPassword: string }, meta: RequestMeta): Promise<TokenPair> {
    const user = await this.db.user.findUnique({ where: { id: session.userId }, select: { passwordHash: true } });
    if (!user || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
      throw new AppError('WRONG_PASSWORD', 'the current password is incorrect', { status: 400 });
    }
    await this.setPassword(session.userId, input.newPassword);
    await writeAudit(this.db, {
      action: 'auth.password.changed',
      tenantId: session.tenantId,
      actorUserId: session.userId,
      targetType: 'user',
      targetId: session.userId,
      ip: meta.ip ?? null,
    });
    return this.startFamily(session.userId, session.tenantId, meta);
  }

  /** Sets a password and ends every login of the user (their access tokens stop at once). */
  async setPassword(userId: string, newPassword: string): Promise<void> {
    await this.db.user.update({
      where: { id: userId },
      data: { passwordHash: await hashPassword(newPassword), passwordChangedAt: new Date() },
    });
    await this.revokeUserSessions(userId, 'PASSWORD_CHANGED');
  }
}
