import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyAttempts } from '../errors.js';

/** Password attempts per username and IP before a pause (OWASP Authentication Cheat Sheet: throttle per account). */
export const PASSWORD_ATTEMPTS_PER_WINDOW = 10;
export const PASSWORD_WINDOW_SECONDS = 15 * 60;

/**
 * Throttles password guessing per username-and-IP, shared through Redis so
 * every server process counts the same attempts. Each attempt is reserved
 * before the password is checked, so parallel requests cannot overshoot;
 * a correct password clears the count. If Redis is unreachable each process
 * falls back to counting on its own.
 */
export class LoginThrottle {
  private readonly limiter: RateLimiterRedis;

  constructor(redis: Redis, redisKeyPrefix: string) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${redisKeyPrefix}:throttle:password`,
      points: PASSWORD_ATTEMPTS_PER_WINDOW,
      duration: PASSWORD_WINDOW_SECONDS,
      insuranceLimiter: new RateLimiterMemory({ points: PASSWORD_ATTEMPTS_PER_WINDOW, duration: PASSWORD_WINDOW_SECONDS }),
    });
  }

  /** Counts one attempt, or throws TOO_MANY_ATTEMPTS when the window is used up. */
  async reserve(usernameKey: string, ip: string): Promise<void> {
    try {
      await this.limiter.consume(this.key(usernameKey, ip));
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw tooManyAttempts(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      throw rejection;
    }
  }

  async clear(usernameKey: string, ip: string): Promise<void> {
    await this.limiter.delete(this.key(usernameKey, ip)).catch(() => undefined);
  }

  private key(usernameKey: string, ip: string): string {
    return `${usernameKey}|${ip}`;
  }
}
