import type { UserRecord } from './user.model.js';
import { mailboxKey } from '../mail/mailbox-key.js';
import type { MailSender } from '../mail/mail-sender.js';
import type { DeliveryCaps, DeliveryReservation } from '../mfa/delivery-caps.js';
import { AccountTokenPurpose } from './account-token.model.js';
import { ACCOUNT_TOKEN_TTL_MS, type AccountTokens } from './account-tokens.js';

/**
 * Mails a fresh single-use account token to one address: counts it in the
 * delivery caps first (per account and purpose, per mailbox, per client),
 * then issues the token (killing the previous one of that purpose) and
 * enqueues the mail. A mail that cannot be queued takes its token and its
 * place in the caps back, and throws.
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

  async sendToken(
    user: UserRecord,
    purpose: AccountTokenPurpose,
    address: string,
    clientIp: string | undefined,
  ): Promise<void> {
    const now = this.deps.clock();
    const reserved: DeliveryReservation = await this.deps.caps.reserveAccountMail(
      { kind: purpose, ownerId: user._id.toHexString(), destination: mailboxKey(address), clientIp },
      now,
    );
    let token: string | undefined;
    try {
      ({ token } = await this.deps.tokens.issue(user._id, purpose, address, now));
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
    } catch (error) {
      if (token) await this.deps.tokens.withdraw(user._id, purpose, token);
      await reserved.release();
      throw error;
    }
  }
}
