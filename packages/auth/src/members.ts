// Tenant members: owners and admins invite existing users or create new ones, set roles, disable and
// remove members. Every query names the tenant, so a user of another tenant is simply not found.
import type { Db } from '@whatpro/db';
import { AppError, conflict, forbidden, notFound, validation } from '@whatpro/platform';
import { type AuditAction, writeAudit } from './audit.ts';
import { hashPassword } from './passwords.ts';
import { can, type Role } from './permissions.ts';
import type { AuthService, Principal, RequestMeta } from './sessions.ts';
import { normaliseEmail } from './views.ts';

export interface MemberView {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: 'ACTIVE' | 'DISABLED';
  lastLoginAt: Date | null;
  /** When the user joined this tenant. */
  joinedAt: Date;
}

export interface AddMemberInput {
  email: string;
  role: Role;
  name?: string;
  /** Required when no user with this e-mail exists yet. */
  password?: string;
}

export interface UpdateMemberInput {
  role?: Role;
  status?: 'ACTIVE' | 'DISABLED';
  name?: string;
}

const memberSelect = {
  role: true,
  createdAt: true,
  user: { select: { id: true, email: true, name: true, status: true, lastLoginAt: true } },
} as const;

type MemberRow = {
  role: Role;
  createdAt: Date;
  user: { id: string; email: string; name: string; status: 'ACTIVE' | 'DISABLED'; lastLoginAt: Date | null };
};

function toMemberView(row: MemberRow): MemberView {
  return {
    id: row.user.id,
    email: row.user.email,
    name: row.user.name,
    role: row.role,
    status: row.user.status,
    lastLoginAt: row.user.lastLoginAt,
    joinedAt: row.createdAt,
  };
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}

export class MemberService {
  constructor(
    private readonly db: Db,
    private readonly auth: AuthService,
  ) {}

  async list(tenantId: string): Promise<MemberView[]> {
    const rows = await this.db.membership.findMany({ where: { tenantId }, select: memberSelect, orderBy: { createdAt: 'asc' } });
    return rows.map(toMemberView);
  }

  async get(tenantId: string, userId: string): Promise<MemberView> {
    const row = await this.db.membership.findFirst({ where: { tenantId, userId }, select: memberSelect });
    if (!row) throw notFound('user');
    return toMemberView(row);
  }

  /** Adds a member as `actor` would: granting the owner role needs `users:owners`. */
  async add(actor: Principal, input: AddMemberInput, meta: RequestMeta): Promise<MemberView> {
    if (input.role === 'OWNER' && !can(actor.role, actor.isPlatformAdmin, 'users:owners'))
      throw forbidden('only owners can grant the owner role');
    return this.addUnchecked(actor.tenantId, actor.userId, input, meta);
  }

  /** Adds a member with no permission check (tenant creation by a platform admin). */
  async addUnchecked(tenantId: string, actorUserId: string, input: AddMemberInput, meta: RequestMeta): Promise<MemberView> {
    const email = normaliseEmail(input.email);
    let user = await this.db.user.findUnique({ where: { email }, select: { id: true } });
    if (!user) {
      if (!input.password) throw validation('a password is required to create a new user');
      try {
        user = await this.db.user.create({
          data: { email, name: input.name?.trim() || email.split('@')[0] || email, passwordHash: await hashPassword(input.password) },
          select: { id: true },
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict('a user with this e-mail was created at the same time; try again');
        throw error;
      }
      await this.audit('user.created', tenantId, actorUserId, user.id, meta);
    }
    try {
      await this.db.membership.create({ data: { tenantId, userId: user.id, role: input.role } });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('the user is already a member of this tenant');
      throw error;
    }
    await this.audit('membership.created', tenantId, actorUserId, user.id, meta, { role: input.role });
    return this.get(tenantId, user.id);
  }

  async update(actor: Principal, userId: string, input: UpdateMemberInput, meta: RequestMeta): Promise<MemberView> {
    const current = await this.get(actor.tenantId, userId);
    this.assertMayChange(actor, current, input.role);
    if (input.role && input.role !== current.role) {
      await this.db.membership.updateMany({ where: { tenantId: actor.tenantId, userId }, data: { role: input.role } });
      await this.audit('membership.role_changed', actor.tenantId, actor.userId, userId, meta, { from: current.role, to: input.role });
    }
    if (input.status && input.status !== current.status) {
      await this.setStatus(actor, userId, input.status, meta);
    }
    if (input.name !== undefined && input.name.trim() !== current.name) {
      await this.db.user.update({ where: { id: userId }, data: { name: input.name.trim() } });
    }
    return this.get(actor.tenantId, userId);
  }

  /**
   * A user's status is global, so a tenant may disable only a user that is wholly its own: one with no
   * other membership and no platform role. Anyone else is removed from the tenant instead.
   */
  private async setStatus(actor: Principal, userId: string, status: 'ACTIVE' | 'DISABLED', meta: RequestMeta): Promise<void> {
    const [user, elsewhere] = await Promise.all([
      this.db.user.findUnique({ where: { id: userId }, select: { isPlatformAdmin: true } }),
      this.db
        .$unguarded('whether the user belongs to any other tenant')
        .membership.count({ where: { userId, tenantId: { not: actor.tenantId } } }),
    ]);
    if (user?.isPlatformAdmin || elsewhere > 0) {
      throw new AppError('USER_SHARED', 'this user also belongs to other tenants; remove them from this tenant instead', { status: 409 });
    }
    await this.db.user.update({ where: { id: userId }, data: { status } });
    if (status === 'DISABLED') await this.auth.revokeUserSessions(userId, 'USER_DISABLED');
    await this.audit(status === 'DISABLED' ? 'user.disabled' : 'user.enabled', actor.tenantId, actor.userId, userId, meta);
  }

  async remove(actor: Principal, userId: string, meta: RequestMeta): Promise<void> {
    const current = await this.get(actor.tenantId, userId);
    this.assertMayChange(actor, current, undefined);
    await this.db.membership.deleteMany({ where: { tenantId: actor.tenantId, userId } });
    await this.auth.revokeTenantSessions(actor.tenantId, 'ADMIN', userId);
    await this.audit('membership.removed', actor.tenantId, actor.userId, userId, meta, { role: current.role });
  }

  private audit(
    action: AuditAction,
    tenantId: string,
    actorUserId: string,
    userId: string,
    meta: RequestMeta,
    metadata?: Record<string, unknown>,
  ) {
    return writeAudit(this.db, {
      action,
      tenantId,
      actorUserId,
      targetType: 'user',
      targetId: userId,
      ip: meta.ip ?? null,
      ...(metadata ? { metadata } : {}),
    });
  }

  // Members never change their own membership (no locking oneself out, no self-promotion), and only
  // holders of `users:owners` touch an owner or make one. Together these keep at least one owner.
  private assertMayChange(actor: Principal, target: MemberView, newRole: Role | undefined): void {
    if (target.id === actor.userId) throw new AppError('SELF_CHANGE', 'you cannot change or remove your own membership', { status: 409 });
    const touchesOwner = target.role === 'OWNER' || newRole === 'OWNER';
    if (touchesOwner && !can(actor.role, actor.isPlatformAdmin, 'users:owners')) throw forbidden('only owners can change owners');
  }
}
