// Builds the auth services from the Hub's environment, so every process wires them the same way.
import type { Db } from '@whatpro/db';
import type { HubEnv, Logger, Redis } from '@whatpro/platform';
import { AccessTokens } from './access-tokens.ts';
import { MemberService } from './members.ts';
import { AuthService } from './sessions.ts';
import { TenantService } from './tenants.ts';

export type AuthEnv = Pick<
  HubEnv,
  | 'JWT_KEYS'
  | 'JWT_ISSUER'
  | 'JWT_AUDIENCE'
  | 'ACCESS_TOKEN_TTL_SECONDS'
  | 'REFRESH_TOKEN_TTL_SECONDS'
  | 'REFRESH_REUSE_GRACE_SECONDS'
  | 'LOGIN_RATE_LIMIT'
  | 'LOGIN_IP_RATE_LIMIT'
  | 'LOGIN_RATE_WINDOW_SECONDS'
>;

export interface Auth {
  tokens: AccessTokens;
  sessions: AuthService;
  members: MemberService;
  tenants: TenantService;
}

export function createAuth(deps: { env: AuthEnv; db: Db; redis: Redis; logger?: Logger }): Auth {
  const { env } = deps;
  const tokens = new AccessTokens({
    keys: env.JWT_KEYS,
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
  });
  const sessions = new AuthService({
    db: deps.db,
    redis: deps.redis,
    tokens,
    refreshTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
    reuseGraceSeconds: env.REFRESH_REUSE_GRACE_SECONDS,
    rateLimit: {
      limit: env.LOGIN_RATE_LIMIT,
      // Many people can share one address (an office, a carrier's NAT), so the IP gets more room.
      ipLimit: env.LOGIN_IP_RATE_LIMIT ?? env.LOGIN_RATE_LIMIT * 5,
      windowSeconds: env.LOGIN_RATE_WINDOW_SECONDS,
    },
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const members = new MemberService(deps.db, sessions);
  const tenants = new TenantService(deps.db, sessions, members);
  return { tokens, sessions, members, tenants };
}
