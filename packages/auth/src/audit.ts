// The audit log: who did what, in which tenant, when and from where. Metadata says which secret changed,
// never its value; anything under a secret-looking key is dropped before it is stored.
import type { Db, Prisma } from '@whatpro/db';
import { redact } from '@whatpro/platform';

export const AUDIT_ACTIONS = [
  'auth.login.succeeded',
  'auth.login.failed',
  'auth.refresh.reuse_detected',
  'auth.logout',
  'auth.password.changed',
  'auth.tenant.switched',
  'tenant.created',
  'tenant.updated',
  'tenant.disabled',
  'tenant.enabled',
  'user.created',
  'user.disabled',
  'user.enabled',
  'membership.created',
  'membership.role_changed',
  'membership.removed',
  'secret.changed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  action: AuditAction;
  /** Null for platform-level events (tenant creation, a failed login for an unknown e-mail). */
  tenantId: string | null;
  actorUserId: string | null;
  targetType?: string;
  targetId?: string;
  metadata?: Record<string, unknown>;
  ip?: string | null;
}

type AuditWriter = Pick<Db, 'auditLog'> | Pick<Prisma.TransactionClient, 'auditLog'>;

export async function writeAudit(db: AuditWriter, entry: AuditEntry): Promise<void> {
  await (db as Pick<Db, 'auditLog'>).auditLog.create({
    data: {
      tenantId: entry.tenantId,
      actorUserId: entry.actorUserId,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      metadata: redact(entry.metadata ?? {}) as Prisma.InputJsonValue,
      ip: entry.ip ?? null,
    },
  });
}

/**
 * For the areas that store secrets (provider tokens, Chatwoot tokens, webhook secrets): records that
 * `secret` (e.g. `Instance.tokenEnc`) of a record changed. The value is not a parameter on purpose.
 */
export async function auditSecretChange(
  db: AuditWriter,
  entry: { tenantId: string; actorUserId: string | null; secret: string; targetType: string; targetId: string; ip?: string | null },
): Promise<void> {
  await writeAudit(db, {
    action: 'secret.changed',
    tenantId: entry.tenantId,
    actorUserId: entry.actorUserId,
    targetType: entry.targetType,
    targetId: entry.targetId,
    metadata: { field: entry.secret },
    ip: entry.ip ?? null,
  });
}

export interface AuditRecord {
  id: string;
  tenantId: string | null;
  actorUserId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  metadata: unknown;
  ip: string | null;
  createdAt: Date;
}

/** A tenant's audit log, newest first; `before` is the id of the last entry of the previous page. */
export async function listAudit(
  db: Db,
  tenantId: string,
  query: { limit: number; before?: string | undefined; action?: string | undefined; actorUserId?: string | undefined },
): Promise<{ items: AuditRecord[]; nextBefore: string | null }> {
  const rows = await db.auditLog.findMany({
    where: {
      tenantId,
      ...(query.before ? { id: { lt: query.before } } : {}),
      ...(query.action ? { action: query.action } : {}),
      ...(query.actorUserId ? { actorUserId: query.actorUserId } : {}),
    },
    // uuid v7 ids grow with time, so ordering by id is ordering by creation and gives a stable cursor.
    orderBy: { id: 'desc' },
    take: query.limit + 1,
  });
  const items = rows.slice(0, query.limit).map((r) => ({
    id: r.id,
    tenantId: r.tenantId,
    actorUserId: r.actorUserId,
    action: r.action,
    targetType: r.targetType,
    targetId: r.targetId,
    metadata: r.metadata,
    ip: r.ip,
    createdAt: r.createdAt,
  }));
  return { items, nextBefore: rows.length > query.limit ? (items[items.length - 1]?.id ?? null) : null };
}
