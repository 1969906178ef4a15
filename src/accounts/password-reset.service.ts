import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import { clientNetwork } from '../client-network.js';
import { AppError, ErrorCode, tokenExpired } from '../errors.js';
import type { AccountsService } from './accounts.service.js';
import type { Logger } from '../logger.js';
import type { DeliveryCaps } from '../mfa/delivery-caps.js';
import type { AccountMail } from './account-mail.js';
import { AccountTokenPurpose } from './account-token.model.js';
import type { AccountTokens } from './account-tokens.js';
import type { LoginThrottle } from './login-throttle.js';
import { usernameKey, type UserModel, type UserRecord } from './user.model.js';

/** Accounts one address may name in a reset request (addresses are not unique): each gets its own mail, within the caps. */
const MAX_ACCOUNTS_PER_ADDRESS = 5;

/**
 * "Forgot your password": a single-use token (30 min) mailed to the account's
 * verified address, and the new password set with it. The request answers
 * the same, in the same time, whether or not the account exists (OWASP Forgot
 * Password Cheat Sheet: no user enumeration): after the per-client cap, which
 * counts every request alike, it answers at once and does the rest — the
 * look-up, the token, the mail — in the background, so no path waits on the
 * database or the mail queue while another does not. A reset never bypasses
 * MFA: it sets the password and ends the sessions, and the next sign-in
 * still asks for the second factor; it cannot add, remove or replace one.
 */
export class PasswordResetService {
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      models: { users: UserModel };
      tokens: AccountTokens;
      accountMail: AccountMail;
      caps: DeliveryCaps;
      /** Whether the request comes from a network the account signed in from (its reset mails are counted apart). */
      throttle: Pick<LoginThrottle, 'knowsNetwork'>;
      /** The new-password rules and AccountsService.setPassword, the one place a password is set. */
      accounts: Pick<AccountsService, 'assertNewPassword' | 'setPassword'>;
      audit: AuditService;
      logger: Logger;
      clock: () => Date;
    },
  ) {}

  async request(input: { username?: string | null; email?: string | null }, ip: string): Promise<void> {
    const username = input.username ?? undefined;
    const email = input.email?.trim() || undefined;
    if ((username === undefined) === (email === undefined))
      throw new AppError(ErrorCode.BAD_USER_INPUT, 'Give exactly one of username and email.');
    // The same for every request, known account or not: it bounds the background work one client can cause.
    await this.deps.caps.reserveClientRequest(ip, this.deps.clock());
    const work = this.deliver({ username, email }, ip).catch((error: unknown) =>
      this.deps.logger.warn({ error: (error as Error).message }, 'a password reset request could not be handled'),
    );
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  /** Resolves once every request taken so far was handled (at shutdown, and for tests). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  /**
   * Sets the password with a reset token, spent once. The password rules are
   * checked before the token is spent, so a refused password leaves it
   * usable; then one `findOneAndDelete` spends it (of parallel resets exactly
   * one goes on), and AccountsService.setPassword sets the password (the
   * rules again, the hash, a forced reset cleared, every session ended, the
   * owner told). Nothing else changes: the factors stay as they are.
   */
  async reset(token: string, newPassword: string, ip?: string): Promise<void> {
    const now = this.deps.clock();
    const live = await this.deps.tokens.find(token, AccountTokenPurpose.RESET_PASSWORD, now);
    const owner = live && (await this.deps.models.users.findById(live.userId).lean<UserRecord>());
    if (!live || !owner || !stillResettable(owner, live.address)) throw tokenExpired('reset token');
    this.deps.accounts.assertNewPassword(newPassword, owner);
    const spent = await this.deps.tokens.consume(token, AccountTokenPurpose.RESET_PASSWORD, now);
    const user = spent && (await this.deps.models.users.findById(spent.userId).lean<UserRecord>());
    if (!spent || !user || !stillResettable(user, spent.address)) throw tokenExpired('reset token');
    await this.deps.accounts.setPassword(user, newPassword, {
      via: 'reset',
      ip,
      client: ip ? clientNetwork(ip) : undefined,
    });
  }

  private async deliver(input: { username?: string; email?: string }, ip: string): Promise<void> {
    const { users } = this.deps.models;
    const found = input.username
      ? await users
          .find({ usernameKey: usernameKey(input.username) })
          .limit(1)
          .lean<UserRecord[]>()
      : await users
          .find({ email: input.email, emailVerified: true })
          .limit(MAX_ACCOUNTS_PER_ADDRESS)
          .lean<UserRecord[]>();
    if (found.length === 0) {
      await this.deps.audit.recordRepeated({
        type: AuditEventType.PASSWORD_RESET_UNKNOWN,
        key: clientNetwork(ip),
        ip,
      });
      return;
    }
    for (const user of found) await this.deliverTo(user, ip);
  }

  /**
   * Only to a verified address (an unproven one may be a stranger's, who would get the key to the account), never
   * for a deactivated account; nothing while a reset token under 2 minutes old is live (AccountTokens.issue), and
   * within the reset mail caps (DeliveryCaps.reserveResetMail), where a network the account signed in from has its
   * own allowance that requests from elsewhere cannot use up.
   */
  private async deliverTo(user: UserRecord, ip: string): Promise<void> {
    let sent = false;
    const { email } = user;
    if (email && user.emailVerified === true && !user.deactivatedAt) {
      const ownerNetwork = await this.deps.throttle.knowsNetwork(user.usernameKey, ip);
      sent = await this.deps.accountMail
        .sendResetToken({ ...user, email }, { clientIp: ip, ownerNetwork })
        .catch((error: unknown) => {
          this.deps.logger.info(
            { userId: user._id.toHexString(), error: (error as Error).message },
            'a password reset mail was not sent',
          );
          return false;
        });
    }
    await this.deps.audit.record({
      type: AuditEventType.PASSWORD_RESET_REQUESTED,
      userId: user._id,
      ip,
      details: { sent },
    });
  }
}

/**
 * A reset token opens the account only while the address it was mailed to is
 * still the account's verified address (a changed address must not keep a
 * way in), and never a deactivated account, which stays shut until an admin
 * reopens it.
 */
function stillResettable(user: UserRecord, address: string): boolean {
  return user.email === address && user.emailVerified === true && !user.deactivatedAt;
}
