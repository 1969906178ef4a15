import type { UserRecord } from './user.model.js';
import { mailboxKey } from '../mail/mailbox-key.js';
import type { MailSender } from '../mail/mail-sender.js';
import type { DeliveryCaps, DeliveryReservation } from '../mfa/delivery-caps.js';
import { AccountTokenPurpose } from './account-token.model.js';
import { ACCOUNT_TOKEN_TTL_MS, type AccountTokens } from './account-tokens.js';

/**
 * Mails a fresh single-use account token to one address: counts it in the
 * delivery caps first (verification mails per account and purpose, per
 * mailbox, per client; reset mails per owner and destination, per owner and
 * client network: DeliveryCaps), then issues the token (killing the previous
 * one of that purpose) and enqueues the mail. A mail that cannot be queued
 * takes its token and its place in the caps back, and throws.
 */
export class AccountMail {
  constructor(
    private readonly deps: {
      tokens: AccountTokens;
      caps: DeliveryCaps;
      mail: MailSender;
      issuer: string;
      clock: () => Date;
    },
  ) {}

  /** A verification token to `address`, which may not be proven yet (reset tokens go through sendResetToken). */
  async sendToken(
    user: UserRecord,
    purpose: typeof AccountTokenPurpose.VERIFY_EMAIL,
    address: string,
    clientIp: string | undefined,
  ): Promise<void> {
    const now = this.deps.clock();
    const reserved = await this.deps.caps.reserveAccountMail(
      { kind: purpose, ownerId: user._id.toHexString(), destination: mailboxKey(address), clientIp },
      now,
    );
    await this.issueAndSend(user, purpose, address, reserved, now);
  }

  /**
   * A reset token to the account's verified address, asked for from `clientIp`
   * (`ownerNetwork`: a network the account signed in from). False when nothing
   * was sent because a reset token younger than RESET_TOKEN_REISSUE_AFTER_MS is
   * still live (it stays, and so does the mail that carried it).
   */
  async sendResetToken(
    user: UserRecord & { email: string },
    request: { clientIp: string; ownerNetwork: boolean },
  ): Promise<boolean> {
    const now = this.deps.clock();
    const reserved = await this.deps.caps.reserveResetMail(
      { ownerId: user._id.toHexString(), destination: mailboxKey(user.email), ...request },
      now,
    );
    return this.issueAndSend(user, AccountTokenPurpose.RESET_PASSWORD, user.email, reserved, now);
  }

  private async issueAndSend(
    user: UserRecord,
    purpose: AccountTokenPurpose,
    address: string,
    reserved: DeliveryReservation,
    now: Date,
  ): Promise<boolean> {
    let token: string | undefined;
    try {
      const issued = await this.deps.tokens.issue(user._id, purpose, address, now);
      if (!issued) {
        await reserved.release();
        return false;
      }
      ({ token } = issued);
      const ttlMinutes = ACCOUNT_TOKEN_TTL_MS[purpose] / 60_000;
      const { issuer } = this.deps;
      await this.deps.mail.send(
        purpose === AccountTokenPurpose.VERIFY_EMAIL
          ? { template: 'email-verification', to: address, params: { token, hours: ttlMinutes / 60, issuer } }
          : {
              template: 'password-reset',
              to: address,
              params: { token, minutes: ttlMinutes, username: user.username, issuer },
            },
      );
      return true;
    } catch (error) {
      if (token) await this.deps.tokens.withdraw(user._id, purpose, token);
      await reserved.release();
      throw error;
    }
  }
}
