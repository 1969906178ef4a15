import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { MemoryAttemptCounts } from './memory-attempt-counts.js';

/**
 * Keys a budget counts in one process's memory while Redis is unreachable.
 * Keys are attacker-chosen (addresses, names' digests): beyond this many, the
 * oldest windows are forgotten, so memory stays bounded (about 20 MiB per
 * budget when full, measured with 64-character keys) at the price of an
 * attacker with that many keys resetting the oldest counts of this process.
 */
export const FALLBACK_KEYS_PER_BUDGET = 100_000;

export interface AttemptBudgetOptions {
  keyPrefix: string;
  attempts: number;
  windowSeconds: number;
  /**
   * Keys counted in memory while Redis is unreachable.
   * @default FALLBACK_KEYS_PER_BUDGET
   */
  maxFallbackKeys?: number;
}

/**
 * A number of attempts per key and fixed window, counted in Redis so every
 * server process counts the same attempts; each process counts on its own,
 * in bounded memory (MemoryAttemptCounts), while Redis is unreachable. An
 * attempt is reserved before the work it stands for, so parallel requests
 * cannot overshoot.
 */
export class AttemptBudget {
  private readonly limiter: RateLimiterRedis;
  /** rate-limiter-flexible's RateLimiterMemory has no bound on its keys, so the fallback is ours. */
  private readonly fallback: MemoryAttemptCounts;

  constructor(deps: { redis: Redis; options: AttemptBudgetOptions }) {
    const { redis, options } = deps;
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: options.keyPrefix,
      points: options.attempts,
      duration: options.windowSeconds,
    });
    this.fallback = new MemoryAttemptCounts(
      options.attempts,
      options.windowSeconds,
      options.maxFallbackKeys ?? FALLBACK_KEYS_PER_BUDGET,
    );
  }

  /** Keys counted in this process's memory (while Redis was unreachable). */
  get fallbackKeys(): number {
    return this.fallback.keys;
  }

  /** Counts one attempt; when the window is used up, counts nothing and returns the seconds until it ends. */
  async reserve(key: string): Promise<number | undefined> {
    try {
      await this.limiter.consume(key);
      return undefined;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      return this.fallback.reserve(key); // Redis is unreachable
    }
  }

  /** Gives back one reserved attempt whose work was not done. */
  async refund(key: string): Promise<void> {
    await this.limiter.reward(key, 1).catch(() => this.fallback.refund(key));
  }

  /** Starts the key's count over. */
  async clear(key: string): Promise<void> {
    await this.limiter.delete(key).catch(() => this.fallback.clear(key));
  }
}
