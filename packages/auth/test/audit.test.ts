import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditSecretChange, listAudit, writeAudit } from '../src/audit.ts';
import { makeTenant, type TestContext, testContext } from './helpers.ts';

describe('audit log', () => {
  let ctx: TestContext;
  beforeAll(() => {
    ctx = testContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('records which secret changed, never a value, even when a caller passes one in metadata', async () => {
    const tenant = await makeTenant(ctx.db);
    await auditSecretChange(ctx.db, {
      tenantId: tenant.id,
      actorUserId: null,
      secret: 'Instance.tokenEnc',
      targetType: 'instance',
      targetId: 'inst-1',
      ip: '192.0.2.5',
    });
    await writeAudit(ctx.db, {
      action: 'secret.changed',
      tenantId: tenant.id,
      actorUserId: null,
      metadata: { field: 'ChatwootConnection.userTokenEnc', userToken: 'tok_live_123', nested: { webhookSecret: 'whsec_456', kept: 1 } },
    });
    const rows = await ctx.db.auditLog.findMany({ where: { tenantId: tenant.id }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.action, r.targetType, r.targetId, r.ip, r.metadata])).toEqual([
      ['secret.changed', 'instance', 'inst-1', '192.0.2.5', { field: 'Instance.tokenEnc' }],
      [
        'secret.changed',
        null,
        null,
        null,
        { field: 'ChatwootConnection.userTokenEnc', userToken: '[redacted]', nested: { webhookSecret: '[redacted]', kept: 1 } },
      ],
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/tok_live_123|whsec_456/);
  });

  it("lists one tenant's entries newest first, filtered and paged by cursor", async () => {
    const tenant = await makeTenant(ctx.db);
    const other = await makeTenant(ctx.db);
    const actor = '0190f1f0-0000-7000-8000-0000000000aa';
    for (let i = 0; i < 5; i++) {
      await writeAudit(ctx.db, {
        action: i % 2 ? 'user.created' : 'membership.created',
        tenantId: tenant.id,
        actorUserId: i === 4 ? actor : null,
        targetId: `t${i}`,
      });
    }
    await writeAudit(ctx.db, { action: 'user.created', tenantId: other.id, actorUserId: null, targetId: 'elsewhere' });

    const first = await listAudit(ctx.db, tenant.id, { limit: 3 });
    expect(first.items.map((e) => e.targetId)).toEqual(['t4', 't3', 't2']);
    const second = await listAudit(ctx.db, tenant.id, { limit: 3, before: first.nextBefore ?? undefined });
    expect(second.items.map((e) => e.targetId)).toEqual(['t1', 't0']);
    expect(second.nextBefore).toBeNull();
    expect((await listAudit(ctx.db, tenant.id, { limit: 10, action: 'user.created' })).items.map((e) => e.targetId)).toEqual(['t3', 't1']);
    expect((await listAudit(ctx.db, tenant.id, { limit: 10, actorUserId: actor })).items.map((e) => e.targetId)).toEqual(['t4']);
  });
});
