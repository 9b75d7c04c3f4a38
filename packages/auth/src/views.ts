// What the API shows of users, tenants and memberships. Picking fields explicitly (never spreading a
// row) is what keeps `passwordHash` and token hashes out of every response.
import type { Role } from './permissions.ts';

export interface UserView {
  id: string;
  email: string;
  name: string;
  locale: string;
  isPlatformAdmin: boolean;
  status: 'ACTIVE' | 'DISABLED';
  lastLoginAt: Date | null;
  createdAt: Date;
}

export interface TenantView {
  id: string;
  name: string;
  slug: string;
  status: 'ACTIVE' | 'DISABLED';
  createdAt: Date;
}

export interface MembershipView {
  tenantId: string;
  tenantName: string;
  tenantSlug: string;
  tenantStatus: 'ACTIVE' | 'DISABLED';
  role: Role;
}

export const userViewSelect = {
  id: true,
  email: true,
  name: true,
  locale: true,
  isPlatformAdmin: true,
  status: true,
  lastLoginAt: true,
  createdAt: true,
} as const;

export const tenantViewSelect = { id: true, name: true, slug: true, status: true, createdAt: true } as const;

export function toUserView(user: UserView): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    locale: user.locale,
    isPlatformAdmin: user.isPlatformAdmin,
    status: user.status,
    lastLoginAt: user.lastLoginAt,
    createdAt: user.createdAt,
  };
}

export function toTenantView(tenant: TenantView): TenantView {
  return { id: tenant.id, name: tenant.name, slug: tenant.slug, status: tenant.status, createdAt: tenant.createdAt };
}

export function toMembershipView(m: {
  role: Role;
  tenant: { id: string; name: string; slug: string; status: 'ACTIVE' | 'DISABLED' };
}): MembershipView {
  return { tenantId: m.tenant.id, tenantName: m.tenant.name, tenantSlug: m.tenant.slug, tenantStatus: m.tenant.status, role: m.role };
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
