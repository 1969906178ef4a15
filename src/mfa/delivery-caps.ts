import { createHmac, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError, ErrorCode, serviceUnavailable } from '../errors.js';
import { clientNetwork } from '../client-network.js';
import type { Logger } from '../logger.js';
import type { SecretBox } from '../crypto/secret-box.js';

const HOUR_MS = 60 * 60_000;

/**
 * Reset mails per hour for one account asked for from one client network (an IPv4 address or an IPv6 /64): below
 * the per-account allowance (MAIL_CODES_PER_ADDRESS_PER_HOUR, 5 by default), so one network cannot use it all up.
 */
export const RESET_MAILS_PER_ACCOUNT_NETWORK_PER_HOUR = 3;

/** Destinations are counted under a keyed hash of this purpose (SecretBox.hmacKey): Redis never holds an address. */
const DESTINATION_HMAC_PURPOSE = 'delivery-destinations';

/**
 * Takes one send from every window named, or from none: for each key, drops
 * the sends that left the window, then adds `member` to all keys only if each
 * has room. Answers 0, or the milliseconds until the fullest window frees a
 * place. One script, so parallel requests and processes cannot overshoot.
 * KEYS: the windows; ARGV: now (ms), window (ms), member, then one cap per key.
 */
const RESERVE_SCRIPT = `
local now, window, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[3 + i]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
end
return 0`;

export interface DeliveryCapLimits {
  /**
   * Code mails per hour to one destination nobody has proven (enrollment), across
   * all users; and, apart from those, to one destination for one owner, proven or
   * not (MAIL_CODES_PER_ADDRESS_PER_HOUR). @default 5
   */
  perDestinationPerHour: number;
  /** Code mails asked for from one client address (an IPv6 /64) per hour (MAIL_CODES_PER_CLIENT_PER_HOUR). @default 20 */
  perClientPerHour: number;
  /** Security notices to one destination per hour, across all users (MAIL_NOTICES_PER_ADDRESS_PER_HOUR). @default 10 */
  noticesPerDestinationPerHour: number;
}

/** A code about to be sent. */
export interface CodeSend {
  /** Where it goes, normalised by the plugin (FactorPlugin.destination). */
  destination: string;
  /** The account whose factor it is (hex id). */
  ownerId: string;
  /**
   * The owner proved they read this destination: the factor is ACTIVE, so its
   * enrollment code, mailed there, came back. A PENDING factor's destination is
   * only what someone typed.
   */
  proven: boolean;
  /** Who asked, when known. */
  clientIp?: string;
}

/** A send counted in the caps; `release` gives it back when the send failed. */
export interface DeliveryReservation {
  release(): Promise<void>;
}

interface Window {
  key: string;
  max: number;
}

/**
 * Caps on delivered mail that no single account can lift. Codes: per
 * destination across users while nobody has proven it (so that fresh accounts
 * pointed at a stranger's address cannot flood it), per destination and owner
 * (so an owner's own codes are capped too, in a window other accounts cannot
 * fill), and per client address (so one client cannot spread over many
 * addresses). Account mails: verification mails per account, per unproven
 * mailbox across users and per client; reset mails, which go only to a proven
 * address, per owner and destination and per owner and client network, in
 * windows no one else's mail shares. Security notices: per destination across
 * users, since the address they go to is the account's unverified one.
 * Sliding one-hour windows in Redis, shared by every server process; keyed by
 * the service's clock, like the other MFA rules. Sent mail costs money and
 * reputation: OWASP API Security Top 10 2023, API4 (Unrestricted Resource
 * Consumption) names e-mail and SMS sends among the resources to cap.
 */
export class DeliveryCaps {
  constructor(
    private readonly deps: {
      redis: Redis;
      redisKeyPrefix: string;
      secrets: SecretBox;
      limits: DeliveryCapLimits;
      logger: Logger;
    },
  ) {}

  /**
   * Counts one code send, or throws TOO_MANY_ATTEMPTS with retryAfterSeconds,
   * or SERVICE_UNAVAILABLE when Redis cannot be asked (then the mail queue, on
   * the same Redis, could not take the mail either).
   */
  async reserveCode(send: CodeSend, now: Date): Promise<DeliveryReservation> {
    const { redisKeyPrefix, limits } = this.deps;
    const max = limits.perDestinationPerHour;
    const windows: Window[] = [
      {
        key: `${redisKeyPrefix}:delivery:owner-destination:${this.destinationKey(`${send.ownerId}/${send.destination}`)}`,
        max,
      },
    ];
    // A destination its owner proved is theirs: other accounts' sends to it must not use up its codes (and cannot, not being able to prove it).
    if (!send.proven)
      windows.push({ key: `${redisKeyPrefix}:delivery:destination:${this.destinationKey(send.destination)}`, max });
    if (send.clientIp)
      windows.push({
        key: `${redisKeyPrefix}:delivery:client:${clientNetwork(send.clientIp)}`,
        max: limits.perClientPerHour,
      });
    const { waitMs, reservation } = await this.take(windows, now).catch(() => {
      throw serviceUnavailable(
        'Codes cannot be sent right now. Try again shortly, or use another factor or a recovery code.',
      );
    });
    if (waitMs > 0) {
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new AppError(
        ErrorCode.TOO_MANY_ATTEMPTS,
        `Too many codes were sent. Try again in ${retryAfterSeconds} s.`,
        { retryAfterSeconds },
      );
    }
    return reservation;
  }

  /**
   * Counts one e-mail verification mail for `ownerId` to `destination`
   * (normalised, as mailboxKey does), an address nobody has proven yet (it may be
   * a stranger's, typed at sign-up or changeEmail): per account and kind, per
   * mailbox across all accounts (mails to unproven destinations only), and per
   * client address when given, each MAIL_CODES_PER_ADDRESS_PER_HOUR /
   * MAIL_CODES_PER_CLIENT_PER_HOUR an hour as for code mails. Throws
   * TOO_MANY_ATTEMPTS or SERVICE_UNAVAILABLE as reserveCode does. The mailbox
   * window counts nothing else: its refusals are seen by whoever typed the
   * address, so what fills it must be theirs to know.
   */
  async reserveAccountMail(
    send: { kind: string; ownerId: string; destination: string; clientIp?: string },
    now: Date,
  ): Promise<DeliveryReservation> {
    const { redisKeyPrefix, limits } = this.deps;
    const windows: Window[] = [
      {
        key: `${redisKeyPrefix}:delivery:account-mail:${send.kind}:${send.ownerId}`,
        max: limits.perDestinationPerHour,
      },
      {
        key: `${redisKeyPrefix}:delivery:account-mail-destination:${this.destinationKey(send.destination)}`,
        max: limits.perDestinationPerHour,
      },
    ];
    if (send.clientIp) windows.push(this.clientWindow(send.clientIp));
    return this.reserveOrThrow(windows, now, 'E-mail cannot be sent right now. Try again shortly.', 'mails');
  }

  /**
   * Counts one password-reset mail for `ownerId` to `destination`, the
   * account's verified (proven) address, asked for from `clientIp`:
   * - per owner and destination (MAIL_CODES_PER_ADDRESS_PER_HOUR), as
   *   reserveCode counts proven destinations: accounts that merely typed the
   *   same address cannot fill it, and its count is seen by no one, so it cannot
   *   tell whether an address belongs to an account. Not counted when
   *   `ownerNetwork` (the account signed in from that network before, as
   *   LoginThrottle exempts it from the per-account limit): requests from
   *   elsewhere cannot use up the owner's resets where they sign in;
   * - per owner and client network (RESET_MAILS_PER_ACCOUNT_NETWORK_PER_HOUR,
   *   below the one above), so one network cannot use up the owner's allowance.
   * Throws TOO_MANY_ATTEMPTS or SERVICE_UNAVAILABLE as reserveCode does (the
   * reset flow handles it in the background: the caller learns nothing).
   */
  async reserveResetMail(
    send: { ownerId: string; destination: string; clientIp: string; ownerNetwork: boolean },
    now: Date,
  ): Promise<DeliveryReservation> {
    const { redisKeyPrefix, limits } = this.deps;
    const windows: Window[] = [
      {
        key: `${redisKeyPrefix}:delivery:reset-network:${send.ownerId}:${clientNetwork(send.clientIp)}`,
        max: Math.min(RESET_MAILS_PER_ACCOUNT_NETWORK_PER_HOUR, limits.perDestinationPerHour),
      },
    ];
    if (!send.ownerNetwork)
      windows.push({
        key: `${redisKeyPrefix}:delivery:reset-owner-destination:${this.destinationKey(`${send.ownerId}/${send.destination}`)}`,
        max: limits.perDestinationPerHour,
      });
    return this.reserveOrThrow(windows, now, 'E-mail cannot be sent right now. Try again shortly.', 'mails');
  }

  /**
   * Counts one anonymous request that may send mail (requestPasswordReset) against its client address, whatever it
   * then sends, in a window of its own (MAIL_CODES_PER_CLIENT_PER_HOUR): reset requests do not use up the client's
   * code mails, nor those the reset requests.
   */
  async reserveClientRequest(clientIp: string, now: Date): Promise<DeliveryReservation> {
    const window = {
      key: `${this.deps.redisKeyPrefix}:delivery:reset-client:${clientNetwork(clientIp)}`,
      max: this.deps.limits.perClientPerHour,
    };
    return this.reserveOrThrow([window], now, 'Try again shortly.', 'requests');
  }

  private clientWindow(clientIp: string): Window {
    return {
      key: `${this.deps.redisKeyPrefix}:delivery:client:${clientNetwork(clientIp)}`,
      max: this.deps.limits.perClientPerHour,
    };
  }

  private async reserveOrThrow(
    windows: Window[],
    now: Date,
    unavailable: string,
    what: string,
  ): Promise<DeliveryReservation> {
    const { waitMs, reservation } = await this.take(windows, now).catch(() => {
      throw serviceUnavailable(unavailable);
    });
    if (waitMs > 0) {
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new AppError(ErrorCode.TOO_MANY_ATTEMPTS, `Too many ${what}. Try again in ${retryAfterSeconds} s.`, {
        retryAfterSeconds,
      });
    }
    return reservation;
  }

  /**
   * Counts one security notice to `destination` (normalised, as mailboxKey
   * does): the reservation, or undefined when the destination has had its
   * notices for this hour. Throws Redis's error when it cannot be asked.
   */
  async reserveNotice(destination: string, now: Date): Promise<DeliveryReservation | undefined> {
    const { redisKeyPrefix, limits } = this.deps;
    const { waitMs, reservation } = await this.take(
      [
        {
          key: `${redisKeyPrefix}:delivery:notice-destination:${this.destinationKey(destination)}`,
          max: limits.noticesPerDestinationPerHour,
        },
      ],
      now,
    );
    return waitMs > 0 ? undefined : reservation;
  }

  /**
   * Takes one place in every window or in none (RESERVE_SCRIPT): how long until
   * a place frees (0: taken), and how to give it back. Logs and rethrows when
   * Redis cannot be asked.
   */
  private async take(windows: Window[], now: Date): Promise<{ waitMs: number; reservation: DeliveryReservation }> {
    const { redis, logger } = this.deps;
    const keys = windows.map((window) => window.key);
    const member = randomUUID();
    let waitMs: number;
    try {
      waitMs = Number(
        await redis.eval(
          RESERVE_SCRIPT,
          keys.length,
          ...keys,
          now.getTime(),
          HOUR_MS,
          member,
          ...windows.map((window) => window.max),
        ),
      );
    } catch (error) {
      logger.warn({ error: (error as Error).message }, 'delivery caps cannot be counted: Redis is unavailable');
      throw error;
    }
    const reservation = {
      release: async () => {
        await Promise.all(keys.map((key) => redis.zrem(key, member))).catch((error: Error) =>
          logger.warn({ error: error.message }, 'a failed send could not be given back to the delivery caps'),
        );
      },
    };
    return { waitMs, reservation };
  }

  /** HMAC-SHA256 of the destination under a server key, so the counter names no address (and cannot be reversed by guessing addresses). */
  private destinationKey(destination: string): string {
    const { key } = this.deps.secrets.hmacKey(DESTINATION_HMAC_PURPOSE);
    return createHmac('sha256', key).update(destination).digest('base64url');
  }
}
