// The one permission map (ARCHITECTURE §6). Every Hub route names one permission; nothing else decides
// who may call it. This module imports nothing, so the Manager can use it to hide what a role cannot do
// (`@whatpro/auth/permissions`).

export const ROLES = ['OWNER', 'ADMIN', 'OPERATOR', 'VIEWER'] as const;
/** A member's role inside one tenant (same values as the database enum). */
export type Role = (typeof ROLES)[number];

/**
 * `tenant`: needs an active tenant and a role in it that grants the permission.
 * `platform`: platform administrators only; never grants anything inside a tenant.
 * `authenticated`: any signed-in user, with or without an active tenant.
 */
export type PermissionScope = 'tenant' | 'platform' | 'authenticated';

export const PERMISSIONS = {
  me: { scope: 'authenticated', description: 'own profile, memberships, active tenant, own password' },
  'tenants:admin': { scope: 'platform', description: 'create, list, disable tenants' },
  'instances:read': { scope: 'tenant', description: 'list and view instances and their status' },
  'instances:write': { scope: 'tenant', description: 'create instances, change settings, delete' },
  'instances:operate': { scope: 'tenant', description: 'connect, QR / pair code, restart, disconnect' },
  'lanes:read': { scope: 'tenant', description: 'view lanes and queued items' },
  'lanes:operate': { scope: 'tenant', description: 'retry, skip, purge, pause lanes' },
  'executions:read': { scope: 'tenant', description: 'search the executions log' },
  'chatwoot:read': { scope: 'tenant', description: 'view Chatwoot connections and inbox links' },
  'chatwoot:write': { scope: 'tenant', description: 'manage Chatwoot connections and inbox links' },
  'providers:read': { scope: 'tenant', description: 'view provider servers' },
  'providers:write': { scope: 'tenant', description: 'manage provider servers' },
  'users:read': { scope: 'tenant', description: 'list the tenant members' },
  'users:write': { scope: 'tenant', description: 'invite or create members, set roles, disable members' },
  'users:owners': { scope: 'tenant', description: 'grant, change or remove the owner role' },
  'audit:read': { scope: 'tenant', description: "read the tenant's audit log" },
} as const satisfies Record<string, { scope: PermissionScope; description: string }>;

export type Permission = keyof typeof PERMISSIONS;
export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

const VIEWER: Permission[] = ['instances:read', 'lanes:read', 'executions:read', 'chatwoot:read', 'providers:read'];
const OPERATOR: Permission[] = [...VIEWER, 'instances:operate', 'lanes:operate'];
const ADMIN: Permission[] = [
  ...OPERATOR,
  'instances:write',
  'chatwoot:write',
  'providers:write',
  'users:read',
  'users:write',
  'audit:read',
];
const OWNER: Permission[] = ALL_PERMISSIONS.filter((p) => PERMISSIONS[p].scope === 'tenant');

/** Tenant-scoped permissions each role holds. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  OWNER: new Set(OWNER),
  ADMIN: new Set(ADMIN),
  OPERATOR: new Set(OPERATOR),
  VIEWER: new Set(VIEWER),
};

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && Object.hasOwn(PERMISSIONS, value);
}

export function scopeOf(permission: Permission): PermissionScope {
  return PERMISSIONS[permission].scope;
}

/**
 * Whether a principal may use a permission. `role` is the role in the active tenant (null without one).
 * Platform administrators get no tenant permission from that flag: inside a tenant they need a membership
 * like everybody else, so there is no global-access bypass.
 */
export function can(role: Role | null | undefined, isPlatformAdmin: boolean, permission: Permission): boolean {
  switch (scopeOf(permission)) {
    case 'authenticated':
      return true;
    case 'platform':
      return isPlatformAdmin;
    case 'tenant':
      return role != null && ROLE_PERMISSIONS[role].has(permission);
  }
}

/** Every permission a principal holds, for `GET /me` and the Manager's menus. */
export function permissionsOf(role: Role | null | undefined, isPlatformAdmin: boolean): Permission[] {
  return ALL_PERMISSIONS.filter((p) => can(role, isPlatformAdmin, p));
}
