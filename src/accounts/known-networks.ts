import type { Redis } from 'ioredis';

/** How long a network an account signed in from stays known after the last sign-in from it. */
export const KNOWN_NETWORK_TTL_SECONDS = 30 * 24 * 60 * 60;
/** Networks remembered per account: the most recent ones. */
export const KNOWN_NETWORKS_PER_ACCOUNT = 10;

/**
 * The client networks (see clientNetwork) each account recently signed in
 * from with the right password, in Redis: one sorted set per account,
 * network → time of the last sign-in, at most KNOWN_NETWORKS_PER_ACCOUNT
 * members, the key expiring KNOWN_NETWORK_TTL_SECONDS after the last one.
 * NIST SP 800-63B §5.2.2 lets the per-account limit exempt addresses the
 * subscriber has successfully authenticated from before.
 */
export class KnownNetworks {
  constructor(private readonly deps: { redis: Redis; keyPrefix: string }) {}

  /** Whether `account` signed in from `network` within the TTL. False while Redis is unreachable: the per-account limit then applies everywhere. */
  async has(account: string, network: string): Promise<boolean> {
    const lastSignInMs = await this.deps.redis.zscore(this.key(account), network).catch(() => null);
    return lastSignInMs !== null && Date.now() - Number(lastSignInMs) < KNOWN_NETWORK_TTL_SECONDS * 1000;
  }

  /** Remembers `network` for `account`, forgetting its oldest beyond the bound. Best effort: a sign-in does not fail for it. */
  async remember(account: string, network: string): Promise<void> {
    const key = this.key(account);
    await this.deps.redis
      .multi()
      .zadd(key, Date.now(), network)
      .zremrangebyrank(key, 0, -(KNOWN_NETWORKS_PER_ACCOUNT + 1))
      .expire(key, KNOWN_NETWORK_TTL_SECONDS)
      .exec()
      .catch(() => undefined);
  }

  /** Forgets every network of `account` (its account was deleted: a new owner of the name must not inherit them). */
  async forget(account: string): Promise<void> {
    await this.deps.redis.del(this.key(account)).catch(() => undefined);
  }

  private key(account: string): string {
    return `${this.deps.keyPrefix}:${account}`;
  }
}
