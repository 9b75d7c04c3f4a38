import { describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS, can, isPermission, PERMISSIONS, permissionsOf, ROLES } from '../src/permissions.ts';

describe('permission map', () => {
  it('gives viewers read access only', () => {
    expect(permissionsOf('VIEWER', false)).toEqual([
      'me',
      'instances:read',
      'lanes:read',
      'executions:read',
      'chatwoot:read',
      'providers:read',
    ]);
  });

  it('lets operators act on instances and queues but not change settings', () => {
    expect(can('OPERATOR', false, 'instances:operate')).toBe(true);
    expect(can('OPERATOR', false, 'lanes:operate')).toBe(true);
    expect(can('OPERATOR', false, 'instances:write')).toBe(false);
    expect(can('OPERATOR', false, 'chatwoot:write')).toBe(false);
    expect(can('OPERATOR', false, 'users:read')).toBe(false);
  });

  it('lets admins manage settings, links and users but not owners', () => {
    for (const p of ['instances:write', 'chatwoot:write', 'providers:write', 'users:read', 'users:write', 'audit:read'] as const) {
      expect(can('ADMIN', false, p)).toBe(true);
    }
    expect(can('ADMIN', false, 'users:owners')).toBe(false);
    expect(can('ADMIN', false, 'tenants:admin')).toBe(false);
  });

  it('gives owners every tenant permission and nothing on the platform', () => {
    const tenantPermissions = ALL_PERMISSIONS.filter((p) => PERMISSIONS[p].scope === 'tenant');
    expect(tenantPermissions.every((p) => can('OWNER', false, p))).toBe(true);
    expect(can('OWNER', false, 'tenants:admin')).toBe(false);
  });

  it('roles are strictly nested: each holds everything the one below holds', () => {
    const order = [...ROLES].reverse();
    for (let i = 1; i < order.length; i++) {
      const lower = permissionsOf(order[i - 1], false);
      const higher = permissionsOf(order[i], false);
      expect(lower.every((p) => higher.includes(p))).toBe(true);
      expect(higher.length).toBeGreaterThan(lower.length);
    }
  });

  it('platform admins manage tenants but get nothing inside a tenant from that flag', () => {
    expect(permissionsOf(null, true)).toEqual(['me', 'tenants:admin']);
    expect(can(null, true, 'instances:read')).toBe(false);
    expect(can('VIEWER', true, 'instances:write')).toBe(false);
    expect(can('VIEWER', true, 'instances:read')).toBe(true);
  });

  it('a session without a tenant may only use its own profile', () => {
    expect(permissionsOf(null, false)).toEqual(['me']);
  });

  it('recognises only declared permissions', () => {
    expect(isPermission('instances:read')).toBe(true);
    expect(isPermission('instances:*')).toBe(false);
    expect(isPermission('toString')).toBe(false);
    expect(isPermission(undefined)).toBe(false);
  });
});
