import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * A number of attempts per key and fixed window, counted in Redis so every
 * server process counts the same attempts; each process counts on its own
 * while Redis is unreachable. An attempt is reserved before the work it
 * stands for, so parallel requests cannot overshoot.
 */
export class AttemptBudget {
  private readonly limiter: RateLimiterRedis;

  constructor(redis: Redis, options: { keyPrefix: string; attempts: number; windowSeconds: number }) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: options.keyPrefix,
      points: options.attempts,
      duration: options.windowSeconds,
      insuranceLimiter: new RateLimiterMemory({ points: options.attempts, duration: options.windowSeconds }),
    });
  }

  /** Counts one attempt; when the window is used up, counts nothing and returns the seconds until it ends. */
  async reserve(key: string): Promise<number | undefined> {
    try {
      await this.limiter.consume(key);
      return undefined;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw rejection;
    }
  }

  /** Gives back one reserved attempt whose work was not done. */
  async refund(key: string): Promise<void> {
    await this.limiter.reward(key, 1).catch(() => undefined);
  }

  /** Starts the key's count over. */
  async clear(key: string): Promise<void> {
    await this.limiter.delete(key).catch(() => undefined);
  }
}
