import type { UserRecord } from '../accounts/user.model.js';
import type { Logger } from '../logger.js';
import { mailboxKey } from '../mail/mailbox-key.js';
import type { MailMessage, MailSender } from '../mail/mail-sender.js';
import type { DeliveryCaps, DeliveryReservation } from './delivery-caps.js';
import type { FactorRegistry } from './factor-registry.js';

/**
 * Tells account owners about changes to their second factors, so a takeover
 * does not go unnoticed (NIST SP 800-63B §6.1.2.1: notify the subscriber when
 * authenticators are bound or removed). Sent through the mail queue; a notice
 * that cannot be queued is logged, and never fails the change itself.
 * Notices go only to a verified address (User.emailVerified): an address
 * typed at signUp and never proven may be a stranger's, who must not learn of
 * the account nor be flooded by it. A user with no verified address gets no
 * notice, and the change goes ahead. Notices to one mailbox are capped across
 * users all the same (DeliveryCaps). Over the cap a notice is dropped (and
 * logged); the change is in the audit trail all the same.
 */
export class SecurityNotices {
  constructor(
    private readonly deps: {
      mail: MailSender;
      caps: DeliveryCaps;
      logger: Logger;
      issuer: string;
      registry: FactorRegistry;
      clock: () => Date;
    },
  ) {}

  factorAdded(user: UserRecord, factorType: string): Promise<void> {
    return this.notify(user, 'factor-added', { factor: this.nameOf(factorType) });
  }

  factorRemoved(user: UserRecord, factorType: string): Promise<void> {
    return this.notify(user, 'factor-removed', { factor: this.nameOf(factorType) });
  }

  recoveryCodeUsed(user: UserRecord, remaining: number): Promise<void> {
    return this.notify(user, 'recovery-code-used', { remaining });
  }

  recoveryCodesRegenerated(user: UserRecord): Promise<void> {
    return this.notify(user, 'recovery-codes-regenerated', {});
  }

  changedByAdmin(user: UserRecord, what: string): Promise<void> {
    return this.notify(user, 'mfa-changed-by-admin', { what });
  }

  /** To the current (old) address, when verified: `newAddress` was asked for and waits for its own verification. */
  emailChangeRequested(user: UserRecord, newAddress: string): Promise<void> {
    return this.notify(user, 'email-change-requested', { newAddress: maskAddress(newAddress) });
  }

  /** To the previous address (`before`, the user as they were), when it was verified: the address is now `newAddress`. */
  emailChanged(before: UserRecord, newAddress: string): Promise<void> {
    return this.notify(before, 'email-changed', { newAddress: maskAddress(newAddress) });
  }

  /** Sent before the sessions end, so the owner hears of it even while a session is open. */
  accountDeactivated(user: UserRecord): Promise<void> {
    return this.notify(user, 'account-deactivated', {});
  }

  accountReactivated(user: UserRecord): Promise<void> {
    return this.notify(user, 'account-reactivated', {});
  }

  /** `user` is the record as it was before deletion: the address is not stored anywhere afterwards. */
  accountDeleted(user: UserRecord): Promise<void> {
    return this.notify(user, 'account-deleted', {});
  }

  accountUnlocked(user: UserRecord): Promise<void> {
    return this.notify(user, 'account-unlocked', {});
  }

  roleChanged(user: UserRecord, role: string): Promise<void> {
    return this.notify(user, 'account-role-changed', { role });
  }

  /** `via`: "change" (the owner's other sessions ended) or "reset" (every session ended). */
  passwordChanged(user: UserRecord, via: 'change' | 'reset'): Promise<void> {
    return this.notify(user, 'password-changed', { via });
  }

  /** Sent before the sessions end, like accountDeactivated. */
  passwordResetRequired(user: UserRecord): Promise<void> {
    return this.notify(user, 'password-reset-required', {});
  }

  /** What users call a factor type ("Authentication app"), not its id. */
  private nameOf(factorType: string): string {
    return this.deps.registry.get(factorType)?.displayName ?? factorType;
  }

  private async notify(
    user: UserRecord,
    template: MailMessage['template'],
    params: MailMessage['params'],
  ): Promise<void> {
    if (!user.email || user.emailVerified !== true) return;
    const userId = user._id.toHexString();
    let reserved: DeliveryReservation | undefined;
    try {
      reserved = await this.deps.caps.reserveNotice(mailboxKey(user.email), this.deps.clock());
      if (!reserved) {
        this.deps.logger.info(
          { template, userId },
          'a security notice was dropped: its mailbox had all the notices it may get this hour',
        );
        return;
      }
      await this.deps.mail.send({ template, to: user.email, params: { ...params, issuer: this.deps.issuer } });
    } catch (error) {
      await reserved?.release();
      this.deps.logger.warn(
        { template, userId, error: (error as Error).message },
        'a security notice could not be queued',
      );
    }
  }
}

/** "n***a@example.com": enough for the owner to recognise an address, not enough to hand it to a reader of the old mailbox. */
function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const visible = local.length <= 2 ? `${local.slice(0, 1)}***` : `${local[0]}***${local[local.length - 1]}`;
  return `${visible}${address.slice(at)}`;
}
