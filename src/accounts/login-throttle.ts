import type { Redis } from 'ioredis';
import { clientNetwork } from '../client-network.js';
import { AttemptBudget } from './attempt-budget.js';

/** Password attempts per username and IP before a pause (OWASP Authentication Cheat Sheet: throttle per account). */
export const PASSWORD_ATTEMPTS_PER_WINDOW = 10;
export const PASSWORD_WINDOW_SECONDS = 15 * 60;
/** The window of the per-address budget of password checks (LOGIN_RATE_PER_ADDRESS counts per this). */
export const ADDRESS_WINDOW_SECONDS = 60;
/** Consecutive failed password checks per account, from any addresses (NIST SP 800-63B §5.2.2: no more than 100). */
export const ACCOUNT_FAILURES_BEFORE_LOCK = 100;
/**
 * How long the count of an account's failures lasts, from the first of them:
 * once full, the name is refused until this window ends. A lock thus ends at
 * most a day after the failures that filled it, and guessing spread over any
 * number of addresses gets at most 100 tries per account and day. (Someone
 * who keeps failing can keep a name locked, as with any per-account limit;
 * the per-address budgets make that cost them addresses.)
 */
export const ACCOUNT_FAILURE_WINDOW_SECONDS = 24 * 60 * 60;

/** Which limit refused a password check. */
export const PasswordLimit = { ADDRESS: 'address', NAME_AND_ADDRESS: 'name-and-address', ACCOUNT: 'account' } as const;
export type PasswordLimit = (typeof PasswordLimit)[keyof typeof PasswordLimit];

export interface PasswordRefusal {
  limit: PasswordLimit;
  /** What the limit counts: an address, a name and an address, or a name. */
  key: string;
  retryAfterSeconds: number;
}

/**
 * The limits on password checks, all shared through Redis so every server
 * process counts the same attempts:
 *
 * - per client address, whatever the names (LOGIN_RATE_PER_ADDRESS a minute),
 *   so one address cannot exhaust the password hashing of everyone;
 * - per name and address (10 per 15 min), cleared by the right password;
 * - per name, from any address: at most 100 consecutive failures
 *   (NIST SP 800-63B §5.2.2), cleared by the right password. Counted by the
 *   normalised name whether or not such an account exists, so being refused
 *   says nothing about existence.
 *
 * They are reserved in that order, before the password is checked, and only
 * when the one before allowed the attempt: a request refused per address
 * counts against no name.
 */
export class LoginThrottle {
  private readonly perAddress: AttemptBudget;
  private readonly perNameAndAddress: AttemptBudget;
  private readonly perAccount: AttemptBudget;

  constructor(redis: Redis, redisKeyPrefix: string, options: { checksPerAddressPerMinute: number }) {
    const keyPrefix = `${redisKeyPrefix}:throttle:password`;
    this.perAddress = new AttemptBudget(redis, { keyPrefix: `${keyPrefix}-address`, attempts: options.checksPerAddressPerMinute, windowSeconds: ADDRESS_WINDOW_SECONDS });
    this.perNameAndAddress = new AttemptBudget(redis, { keyPrefix, attempts: PASSWORD_ATTEMPTS_PER_WINDOW, windowSeconds: PASSWORD_WINDOW_SECONDS });
    this.perAccount = new AttemptBudget(redis, { keyPrefix: `${keyPrefix}-account`, attempts: ACCOUNT_FAILURES_BEFORE_LOCK, windowSeconds: ACCOUNT_FAILURE_WINDOW_SECONDS });
  }

  /** Counts one attempt against every limit, or returns the limit that refuses it. */
  async reserve(usernameKey: string, ip: string): Promise<PasswordRefusal | undefined> {
    const address = clientNetwork(ip);
    const nameAndAddress = `${usernameKey}|${address}`;
    let retryAfterSeconds = await this.perAddress.reserve(address);
    if (retryAfterSeconds !== undefined) return { limit: PasswordLimit.ADDRESS, key: address, retryAfterSeconds };
    retryAfterSeconds = await this.perNameAndAddress.reserve(nameAndAddress);
    if (retryAfterSeconds !== undefined) return { limit: PasswordLimit.NAME_AND_ADDRESS, key: nameAndAddress, retryAfterSeconds };
    retryAfterSeconds = await this.perAccount.reserve(usernameKey);
    if (retryAfterSeconds === undefined) return undefined;
    await this.perNameAndAddress.refund(nameAndAddress);
    return { limit: PasswordLimit.ACCOUNT, key: usernameKey, retryAfterSeconds };
  }

  /** The password was not checked after all (the server was too busy): the attempt does not count against the name. */
  async refund(usernameKey: string, ip: string): Promise<void> {
    await Promise.all([this.perNameAndAddress.refund(`${usernameKey}|${clientNetwork(ip)}`), this.perAccount.refund(usernameKey)]);
  }

  /** The right password: the name's failures start over. */
  async clear(usernameKey: string, ip: string): Promise<void> {
    await Promise.all([this.perNameAndAddress.clear(`${usernameKey}|${clientNetwork(ip)}`), this.perAccount.clear(usernameKey)]);
  }
}
