import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { clientNetwork } from '../client-network.js';
import { AttemptBudget } from './attempt-budget.js';
import { KnownNetworks } from './known-networks.js';

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
 * who keeps failing can keep a name locked for new networks, as with any
 * per-account limit; the per-address budgets make that cost them addresses,
 * and the owner still signs in from the networks they used before.)
 */
export const ACCOUNT_FAILURE_WINDOW_SECONDS = 24 * 60 * 60;

/** Which limit refused a password check. */
export const PasswordLimit = { ADDRESS: 'address', NAME_AND_ADDRESS: 'name-and-address', ACCOUNT: 'account' } as const;
export type PasswordLimit = (typeof PasswordLimit)[keyof typeof PasswordLimit];

export interface PasswordRefusal {
  limit: PasswordLimit;
  /** What the limit counts: an address, a name's digest and an address, or a name's digest. */
  key: string;
  retryAfterSeconds: number;
}

/** An attempt the limits allowed, and what it counted against, for `refund` and `succeeded`. */
export interface PasswordAttempt {
  /** The normalised name's digest (see nameDigest). */
  account: string;
  network: string;
  /** False on a network the account signed in from before: the per-account cap does not count there. */
  countedForAccount: boolean;
}

export type PasswordReservation = { refused: PasswordRefusal } | { allowed: PasswordAttempt };

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
 *   says nothing about existence. Not counted on a network the name signed
 *   in from before (KnownNetworks; §5.2.2 allows exempting such addresses),
 *   so guessing from elsewhere cannot lock the owner out where they sign in;
 *   the two limits above still hold there.
 *
 * They are reserved in that order, before the password is checked, and only
 * when the one before allowed the attempt: a request refused per address
 * counts against no name. Names are attacker-chosen strings of any length:
 * the keys hold a fixed-size digest of them instead (nameDigest).
 */
export class LoginThrottle {
  private readonly perAddress: AttemptBudget;
  private readonly perNameAndAddress: AttemptBudget;
  private readonly perAccount: AttemptBudget;
  private readonly knownNetworks: KnownNetworks;

  constructor(deps: { redis: Redis; redisKeyPrefix: string; options: { checksPerAddressPerMinute: number } }) {
    const { redis, redisKeyPrefix } = deps;
    const keyPrefix = `${redisKeyPrefix}:throttle:password`;
    this.perAddress = new AttemptBudget({
      redis,
      options: {
        keyPrefix: `${keyPrefix}-address`,
        attempts: deps.options.checksPerAddressPerMinute,
        windowSeconds: ADDRESS_WINDOW_SECONDS,
      },
    });
    this.perNameAndAddress = new AttemptBudget({
      redis,
      options: {
        keyPrefix,
        attempts: PASSWORD_ATTEMPTS_PER_WINDOW,
        windowSeconds: PASSWORD_WINDOW_SECONDS,
      },
    });
    this.perAccount = new AttemptBudget({
      redis,
      options: {
        keyPrefix: `${keyPrefix}-account`,
        attempts: ACCOUNT_FAILURES_BEFORE_LOCK,
        windowSeconds: ACCOUNT_FAILURE_WINDOW_SECONDS,
      },
    });
    this.knownNetworks = new KnownNetworks({ redis, keyPrefix: `${redisKeyPrefix}:known-networks` });
  }

  /** Counts one attempt at `usernameKey` (the normalised name) against every limit that applies, or returns the limit that refuses it. */
  async reserve(usernameKey: string, ip: string): Promise<PasswordReservation> {
    const network = clientNetwork(ip);
    const account = nameDigest(usernameKey);
    const nameAndAddress = `${account}|${network}`;
    let retryAfterSeconds = await this.perAddress.reserve(network);
    if (retryAfterSeconds !== undefined)
      return { refused: { limit: PasswordLimit.ADDRESS, key: network, retryAfterSeconds } };
    retryAfterSeconds = await this.perNameAndAddress.reserve(nameAndAddress);
    if (retryAfterSeconds !== undefined)
      return { refused: { limit: PasswordLimit.NAME_AND_ADDRESS, key: nameAndAddress, retryAfterSeconds } };
    if (await this.knownNetworks.has(account, network))
      return { allowed: { account, network, countedForAccount: false } };
    retryAfterSeconds = await this.perAccount.reserve(account);
    if (retryAfterSeconds === undefined) return { allowed: { account, network, countedForAccount: true } };
    await this.perNameAndAddress.refund(nameAndAddress);
    return { refused: { limit: PasswordLimit.ACCOUNT, key: account, retryAfterSeconds } };
  }

  /** Whether the account named `usernameKey` signed in from `ip`'s network (KnownNetworks): false when Redis cannot tell. */
  async knowsNetwork(usernameKey: string, ip: string): Promise<boolean> {
    return this.knownNetworks.has(nameDigest(usernameKey), clientNetwork(ip));
  }

  /** The password was not checked after all (the server was too busy): the attempt does not count against the name. */
  async refund(attempt: PasswordAttempt): Promise<void> {
    await Promise.all([
      this.perNameAndAddress.refund(`${attempt.account}|${attempt.network}`),
      attempt.countedForAccount ? this.perAccount.refund(attempt.account) : undefined,
    ]);
  }

  /**
   * An admin's unlockUser: the name's consecutive failures from any address
   * start over. The per-address limits stay, and so do the per-name-and-address
   * counts (they hold back one guessing address, not the owner elsewhere).
   */
  async clearAccountFailures(usernameKey: string): Promise<void> {
    await this.perAccount.clear(nameDigest(usernameKey));
  }

  /** The name's account was deleted: its failures start over and its known networks are forgotten, so whoever takes the name next inherits neither. */
  async forgetName(usernameKey: string): Promise<void> {
    const account = nameDigest(usernameKey);
    await Promise.all([this.perAccount.clear(account), this.knownNetworks.forget(account)]);
  }

  /** The right password: the name's failures start over, and its network is known from now on. */
  async succeeded(attempt: PasswordAttempt): Promise<void> {
    await Promise.all([
      this.perNameAndAddress.clear(`${attempt.account}|${attempt.network}`),
      this.perAccount.clear(attempt.account),
      this.knownNetworks.remember(attempt.account, attempt.network),
    ]);
  }
}

/**
 * A fixed-size key for a normalised name (SHA-256, hex): the per-name counts
 * and remembered networks then take the same room in Redis, and in each
 * process's fallback, whatever the length of the names guessed.
 */
function nameDigest(usernameKey: string): string {
  return createHash('sha256').update(usernameKey).digest('hex');
}
