// Failed-login counters in Redis, one per client IP and one per account, each a fixed window that starts
// at the first failure. A successful login clears the account's counter (not the IP's: one good password
// must not reset guessing against every other account from the same address).
import { AppError, type Logger, type Redis, sha256 } from '@whatpro/platform';

export interface LoginRateLimitConfig {
  /** Failed logins allowed per account inside the window. */
  limit: number;
  /** Failed logins allowed per client IP inside the window (offices share an address). */
  ipLimit: number;
  windowSeconds: number;
}

export class LoginRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly config: LoginRateLimitConfig,
    private readonly logger?: Logger,
  ) {}

  private keys(ip: string, email: string): { ip: string; account: string } {
    // The e-mail is hashed so that Redis never holds a list of the addresses people tried.
    return { ip: `auth:login-fail:ip:${ip}`, account: `auth:login-fail:acct:${sha256(email.trim().toLowerCase())}` };
  }

  /** Throws RATE_LIMITED (429, `details.retryAfterSeconds`) while either counter is at its limit. */
  async check(ip: string, email: string): Promise<void> {
    const keys = this.keys(ip, email);
    let counts: (string | null)[];
    try {
      counts = await this.redis.mget(keys.ip, keys.account);
    } catch (error) {
      // Redis is a helper, not the source of truth: while it is down, logins still work (argon2 keeps
      // each guess expensive) and the outage is logged.
      this.logger?.warn({ err: error }, 'login rate limit unavailable');
      return;
    }
    const blocked: string[] = [];
    if (Number(counts[0] ?? 0) >= this.config.ipLimit) blocked.push(keys.ip);
    if (Number(counts[1] ?? 0) >= this.config.limit) blocked.push(keys.account);
    if (blocked.length === 0) return;
    const ttls = await Promise.all(blocked.map((key) => this.redis.ttl(key).catch(() => this.config.windowSeconds)));
    const retryAfterSeconds = Math.max(1, ...ttls.map((t) => (t > 0 ? t : this.config.windowSeconds)));
    throw new AppError('RATE_LIMITED', 'too many failed logins; try again later', { details: { retryAfterSeconds }, retryable: true });
  }

  async recordFailure(ip: string, email: string): Promise<void> {
    const keys = this.keys(ip, email);
    try {
      await this.redis
        .multi()
        .incr(keys.ip)
        .expire(keys.ip, this.config.windowSeconds, 'NX')
        .incr(keys.account)
        .expire(keys.account, this.config.windowSeconds, 'NX')
        .exec();
    } catch (error) {
      this.logger?.warn({ err: error }, 'login rate limit unavailable');
    }
  }

  async recordSuccess(email: string): Promise<void> {
    try {
      await this.redis.del(this.keys('', email).account);
    } catch (error) {
      this.logger?.warn({ err: error }, 'login rate limit unavailable');
    }
  }
}
