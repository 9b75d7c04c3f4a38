import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, TenantGuardError } from '../src/index.ts';

const db = createDb({ url: process.env.DATABASE_URL as string, max: 2 });
let tenantA: string;
let tenantB: string;
let serverA: string;

async function makeTenant(label: string) {
  const t = await db.tenant.create({ data: { name: label, slug: `${label}-${randomUUID()}` } });
  return t.id;
}

beforeAll(async () => {
  tenantA = await makeTenant('guard-a');
  tenantB = await makeTenant('guard-b');
  const server = await db.providerServer.create({
    data: { tenantId: tenantA, provider: 'UAZAPI', name: 'srv', baseUrl: 'http://x', adminTokenEnc: 'enc' },
  });
  serverA = server.id;
});
afterAll(async () => {
  await db.$disconnect();
});

const guardError = (fn: () => Promise<unknown>) => expect(fn()).rejects.toBeInstanceOf(TenantGuardError);

describe('tenant guard', () => {
  it('refuses reads without a tenant condition and allows them with one', async () => {
    await guardError(() => db.providerServer.findMany());
    await guardError(() => db.providerServer.findFirst({ where: { name: 'srv' } }));
    await guardError(() => db.providerServer.findUnique({ where: { id: serverA } }));
    await guardError(() => db.providerServer.count());
    await guardError(() => db.providerServer.aggregate({ _count: true }));
    await guardError(() => db.providerServer.groupBy({ by: ['provider'] }));
    // A tenant condition hidden in an OR does not count: only AND narrows.
    await guardError(() => db.providerServer.findMany({ where: { OR: [{ tenantId: tenantA }, { name: 'srv' }] } }));

    expect(await db.providerServer.count({ where: { tenantId: tenantA } })).toBe(1);
    expect(await db.providerServer.count({ where: { tenantId: tenantB } })).toBe(0);
    expect(await db.providerServer.findUnique({ where: { id: serverA, tenantId: tenantB } })).toBeNull();
    expect((await db.providerServer.findFirst({ where: { AND: [{ tenantId: { equals: tenantA } }, { name: 'srv' }] } }))?.id).toBe(serverA);
    expect(await db.providerServer.count({ where: { tenantId: { in: [tenantA, tenantB] } } })).toBe(1);
  });

  it('refuses writes without a tenant', async () => {
    await guardError(() =>
      db.providerServer.create({
        data: { tenant: { create: { name: 'x', slug: randomUUID() } }, provider: 'EVOLUTION', name: 'n', baseUrl: 'u', adminTokenEnc: 'e' },
      }),
    );
    await guardError(() =>
      db.providerServer.createMany({
        data: [
          { tenantId: tenantA, provider: 'EVOLUTION', name: 'a', baseUrl: 'u', adminTokenEnc: 'e' },
          { provider: 'EVOLUTION', name: 'b', baseUrl: 'u', adminTokenEnc: 'e' } as never,
        ],
      }),
    );
    await guardError(() => db.providerServer.update({ where: { id: serverA }, data: { name: 'renamed' } }));
    await guardError(() => db.providerServer.updateMany({ where: { name: 'srv' }, data: { name: 'renamed' } }));
    await guardError(() => db.providerServer.delete({ where: { id: serverA } }));
    await guardError(() => db.providerServer.deleteMany({}));
    await guardError(() =>
      db.providerServer.upsert({
        where: { id: serverA },
        create: { tenantId: tenantA, provider: 'UAZAPI', name: 'x', baseUrl: 'u', adminTokenEnc: 'e' },
        update: {},
      }),
    );
    await guardError(() =>
      db.providerServer.upsert({
        where: { id: randomUUID(), tenantId: tenantA },
        create: { provider: 'UAZAPI', name: 'x', baseUrl: 'u', adminTokenEnc: 'e' } as never,
        update: {},
      }),
    );

    // Scoped to the wrong tenant, a write simply finds nothing.
    expect((await db.providerServer.updateMany({ where: { id: serverA, tenantId: tenantB }, data: { name: 'hijack' } })).count).toBe(0);
    const ok = await db.providerServer.update({ where: { id: serverA, tenantId: tenantA }, data: { baseUrl: 'http://y' } });
    expect(ok.baseUrl).toBe('http://y');
    const up = await db.providerServer.upsert({
      where: { tenantId_name: { tenantId: tenantA, name: 'second' }, tenantId: tenantA },
      create: { tenantId: tenantA, provider: 'EVOLUTION', name: 'second', baseUrl: 'u', adminTokenEnc: 'e' },
      update: {},
    });
    expect(up.provider).toBe('EVOLUTION');
    expect((await db.providerServer.deleteMany({ where: { tenantId: tenantA, name: 'second' } })).count).toBe(1);
  });

  it('checks nested writes into tenant-owned relations', async () => {
    const user = await db.user.create({ data: { email: `${randomUUID()}@x.test`, name: 'U', passwordHash: 'h' } });
    await guardError(() => db.user.update({ where: { id: user.id }, data: { memberships: { create: { role: 'VIEWER' } as never } } }));
    await guardError(() => db.user.update({ where: { id: user.id }, data: { memberships: { deleteMany: {} } } }));
    await guardError(() =>
      db.user.update({ where: { id: user.id }, data: { memberships: { updateMany: { where: {}, data: { role: 'ADMIN' } } } } }),
    );
    await guardError(() =>
      db.user.update({ where: { id: user.id }, data: { memberships: { createMany: { data: [{ role: 'VIEWER' } as never] } } } }),
    );

    const updated = await db.user.update({
      where: { id: user.id },
      data: { memberships: { create: { tenantId: tenantA, role: 'VIEWER' } } },
      include: { memberships: true },
    });
    expect(updated.memberships.map((m) => [m.tenantId, m.role])).toEqual([[tenantA, 'VIEWER']]);
    const cleared = await db.user.update({
      where: { id: user.id },
      data: { memberships: { deleteMany: { tenantId: tenantA } } },
      include: { memberships: true },
    });
    expect(cleared.memberships).toHaveLength(0);

    // Under the Tenant itself, the relation is the tenant condition.
    const withServer = await db.tenant.update({
      where: { id: tenantB },
      data: { providerServers: { create: { provider: 'UAZAPI', name: 'nested', baseUrl: 'u', adminTokenEnc: 'e' } } },
      include: { providerServers: true },
    });
    expect(withServer.providerServers.map((s) => s.name)).toEqual(['nested']);
  });

  it('has a greppable escape hatch for cross-tenant paths', async () => {
    const raw = db.$unguarded('test: platform-wide count');
    expect(await raw.providerServer.count({ where: { id: serverA } })).toBe(1);
    expect(await raw.providerServer.count()).toBeGreaterThanOrEqual(2);
  });

  it('leaves models without tenantId alone', async () => {
    expect(await db.user.count()).toBeGreaterThanOrEqual(1);
    expect(await db.tenant.count({ where: { id: tenantA } })).toBe(1);
  });
});
