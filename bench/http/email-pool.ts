/** The e-mail plugin's limits (plugins/email-otp/README.md), enforced by the server in MongoDB. */
export const EMAIL_COOLDOWN_MS = 30_000;
const USER_SENDS_PER_HOUR = 10;
/** The service's cap per mailbox (MAIL_CODES_PER_ADDRESS_PER_HOUR's default); each bench user has an address of its own. */
const MAILBOX_SENDS_PER_HOUR = 5;
export const EMAIL_SENDS_PER_HOUR = Math.min(USER_SENDS_PER_HOUR, MAILBOX_SENDS_PER_HOUR);
const HOUR_MS = 60 * 60_000;
/** Slack on top of the cooldown: our timestamps are taken in this process, the server's in its own. */
const MARGIN_MS = 500;

export interface EmailUser {
  username: string;
  /** A full session's access token: sendMfaCode for an ACTIVE factor of one's own (as before a step-up). */
  token: string;
  factorId: string;
  /**
   * When each send the server counted for this user happened, as an upper
   * bound: the enrollment's (enableMfa sends the first code) and every
   * sendMfaCode, stamped when its response arrived.
   */
  sentAt: number[];
}

/**
 * Hands out e-mail users so every sendMfaCode is one the server lets
 * through: the factor's last send at least 30 s ago and fewer than
 * EMAIL_SENDS_PER_HOUR sends by the user in the last hour. A 10 s run can
 * use each user once, so the run needs as many users as requests. When none qualifies it still returns
 * one — the request then fails with TOO_MANY_ATTEMPTS and the miss is
 * counted — so the run reports it instead of stalling.
 */
export class EmailPool {
  private cursor = 0;
  private misses = 0;

  constructor(readonly users: EmailUser[]) {}

  get exhausted(): number {
    return this.misses;
  }

  /** A user whose send the server will accept now, marked as sending now (`sent` restamps it when the response arrives). */
  take(): EmailUser {
    const now = Date.now();
    let user: EmailUser | undefined;
    for (let scanned = 0; scanned < this.users.length && !user; scanned++) {
      const candidate = this.users[this.cursor];
      this.cursor = (this.cursor + 1) % this.users.length;
      if (eligible(candidate, now)) user = candidate;
    }
    if (!user) {
      this.misses++;
      user = this.users[(this.cursor = (this.cursor + 1) % this.users.length)];
    }
    user.sentAt.push(now);
    return user;
  }

  /** The response came: the server's timestamp of that send is no later than now. */
  sent(user: EmailUser): void {
    user.sentAt[user.sentAt.length - 1] = Date.now();
  }

  /** Users the server would let send right now. */
  eligibleNow(): number {
    const now = Date.now();
    return this.users.filter((user) => eligible(user, now)).length;
  }

  /** Milliseconds until every user's cooldown is over (the hourly cap aside). */
  msUntilAllCooledDown(): number {
    const newest = Math.max(...this.users.map((user) => user.sentAt.at(-1) ?? 0));
    return Math.max(0, newest + EMAIL_COOLDOWN_MS + MARGIN_MS - Date.now());
  }
}

function eligible(user: EmailUser, now: number): boolean {
  const last = user.sentAt.at(-1) ?? 0;
  if (now - last < EMAIL_COOLDOWN_MS + MARGIN_MS) return false;
  return user.sentAt.filter((at) => now - at < HOUR_MS).length < EMAIL_SENDS_PER_HOUR;
}
