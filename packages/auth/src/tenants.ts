// Tenants, managed by platform administrators. Disabling a tenant ends every login working in it; its
// members' access tokens stop at their next request because the principal is re-checked live.
import type { Db } from '@whatpro/db';
import { conflict, notFound } from '@whatpro/platform';
import { writeAudit } from './audit.ts';
import type { AddMemberInput, MemberService, MemberView } from './members.ts';
import type { AuthService, RequestMeta } from './sessions.ts';
import { type TenantView, tenantViewSelect, toTenantView } from './views.ts';

export interface TenantWithCounts extends TenantView {
  memberCount: number;
}

export class TenantService {
  constructor(
    private readonly db: Db,
    private readonly auth: AuthService,
    private readonly members: MemberService,
  ) {}

  async list(): Promise<TenantWithCounts[]> {
    const rows = await this.db.tenant.findMany({
      select: { ...tenantViewSelect, _count: { select: { memberships: true } } },
      orderBy: { createdAt: 'asc' },
    });
    return rows.map((row) => ({ ...toTenantView(row), memberCount: row._count.memberships }));
  }

  async get(id: string): Promise<TenantWithCounts> {
    const row = await this.db.tenant.findUnique({
      where: { id },
      select: { ...tenantViewSelect, _count: { select: { memberships: true } } },
    });
    if (!row) throw notFound('tenant');
    return { ...toTenantView(row), memberCount: row._count.memberships };
  }

  /** Creates a tenant, and its first owner when given (an existing user by e-mail, or a new one). */
  async create(
    input: { name: string; slug: string; owner?: Omit<AddMemberInput, 'role'> },
    actorUserId: string,
    meta: RequestMeta,
  ): Promise<{ tenant: TenantWithCounts; owner: MemberView | null }> {
    const existing = await this.db.tenant.findUnique({ where: { slug: input.slug }, select: { id: true } });
    if (existing) throw conflict('a tenant with this slug already exists');
    const tenant = await this.db.tenant.create({ data: { name: input.name.trim(), slug: input.slug }, select: { id: true } });
    await writeAudit(this.db, {
      action: 'tenant.created',
      tenantId: tenant.id,
      actorUserId,
      targetType: 'tenant',
      targetId: tenant.id,
      metadata: { slug: input.slug },
      ip: meta.ip ?? null,
    });
    const owner = input.owner ? await this.members.addUnchecked(tenant.id, actorUserId, { ...input.owner, role: 'OWNER' }, meta) : null;
    return { tenant: await this.get(tenant.id), owner };
  }

  async update(
    id: string,
    input: { name?: string; status?: 'ACTIVE' | 'DISABLED' },
    actorUserId: string,
    meta: RequestMeta,
  ): Promise<TenantWithCounts> {
    const current = await this.get(id);
    if (input.name !== undefined && input.name.trim() !== current.name) {
      await this.db.tenant.update({ where: { id }, data: { name: input.name.trim() } });
      await writeAudit(this.db, {
        action: 'tenant.updated',
        tenantId: id,
        actorUserId,
        targetType: 'tenant',
        targetId: id,
        metadata: { name: input.name.trim() },
        ip: meta.ip ?? null,
      });
    }
    if (input.status && input.status !== current.status) {
      await this.db.tenant.update({ where: { id }, data: { status: input.status } });
      const revokedSessions = input.status === 'DISABLED' ? await this.auth.revokeTenantSessions(id, 'TENANT_DISABLED') : 0;
      await writeAudit(this.db, {
        action: input.status === 'DISABLED' ? 'tenant.disabled' : 'tenant.enabled',
        tenantId: id,
        actorUserId,
        targetType: 'tenant',
        targetId: id,
        metadata: { revokedSessions },
        ip: meta.ip ?? null,
      });
    }
    return this.get(id);
  }
}
