import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import type { SessionViewer } from '../auth/viewer.js';
import { AppError, ErrorCode, badInput, tokenExpired } from '../errors.js';
import type { FactorsService } from '../mfa/factors.service.js';
import type { SecurityNotices } from '../mfa/security-notices.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { AccountMail } from './account-mail.js';
import { AccountTokenPurpose } from './account-token.model.js';
import type { AccountTokens } from './account-tokens.js';
import type { UserModel, UserRecord } from './user.model.js';

/**
 * Proving an account's address, and changing it. An address counts as the
 * account's only once proven: changeEmail keeps the new one aside
 * (`pendingEmail`) until the token mailed to it comes back (verifyEmail), and
 * a token proves only the address it was mailed to, so one mailed to an
 * address the account has since given up proves nothing.
 */
export class EmailVerificationService {
  constructor(
    private readonly deps: {
      models: { users: UserModel };
      tokens: AccountTokens;
      accountMail: AccountMail;
      factors: FactorsService;
      /** Whether the session that asked for a pending address has ended. */
      sessions: Pick<SessionsService, 'standsFor'>;
      notices: SecurityNotices;
      audit: AuditService;
      clock: () => Date;
    },
  ) {}

  /** Mails a verification token to the address waiting for one: the pending new address, else the unverified current one. */
  async sendVerification(viewer: SessionViewer, ip?: string): Promise<void> {
    const user = await this.current(viewer);
    const address = user.pendingEmail ?? (user.email && user.emailVerified !== true ? user.email : undefined);
    if (!address)
      throw new AppError(
        ErrorCode.BAD_USER_INPUT,
        user.email ? 'Your address is already verified.' : 'Your account has no address: set one with changeEmail.',
      );
    await this.deps.accountMail.sendToken(user, AccountTokenPurpose.VERIFY_EMAIL, address, ip);
    await this.deps.audit.record({ type: AuditEventType.EMAIL_VERIFICATION_SENT, userId: user._id, ip });
  }

  /**
   * Spends a verification token: the address it was mailed to becomes the
   * account's verified address (the current one, or the pending new one, which
   * then replaces it, and the old verified address hears of it). The token is
   * the proof, so no session is needed. Fails when the token is unknown, used,
   * expired, its address is neither the account's nor the pending one, the
   * account is deactivated, or the session that asked for the pending address
   * has ended (revoked, signed out, expired: a change asked for by a stolen
   * session dies when its owner ends it, e.g. by resetting the password).
   */
  async verify(token: string, ip?: string): Promise<void> {
    const now = this.deps.clock();
    const spent = await this.deps.tokens.consume(token, AccountTokenPurpose.VERIFY_EMAIL, now);
    if (!spent) throw tokenExpired('verification token');
    const { userId, address } = spent;
    const { users } = this.deps.models;
    const owner = await users.findById(userId).lean<UserRecord>();
    // A deactivated account stays as it is until an admin reopens it.
    if (!owner || owner.deactivatedAt) throw tokenExpired('verification token');
    const active = { deactivatedAt: { $exists: false } };
    const current = await users.updateOne(
      { _id: userId, email: address, ...active },
      { $set: { emailVerified: true } },
    );
    if (current.matchedCount === 1) {
      await this.deps.audit.record({ type: AuditEventType.EMAIL_VERIFIED, userId, ip, details: { via: 'token' } });
      return;
    }
    const asker = owner.pendingEmail === address ? owner.pendingEmailSessionId : undefined;
    if (asker && !(await this.deps.sessions.standsFor(asker, owner)))
      throw new AppError(
        ErrorCode.TOKEN_EXPIRED,
        'The session that asked for this address has ended. Sign in and ask for the change again.',
      );
    // The pending address becomes the account's in one conditional update (on the same request, so a newer one
    // is not taken for it); `before` is the account as it was, for the notice.
    const before = await users
      .findOneAndUpdate(
        { _id: userId, pendingEmail: address, pendingEmailSessionId: asker ?? null, ...active },
        { $set: { email: address, emailVerified: true }, $unset: { pendingEmail: 1, pendingEmailSessionId: 1 } },
        { returnDocument: 'before' },
      )
      .lean<UserRecord>();
    if (!before)
      throw new AppError(
        ErrorCode.TOKEN_EXPIRED,
        'This token was sent to an address the account no longer uses. Ask for a new one.',
      );
    // A reset token mailed to the old address must not outlive it.
    await this.deps.tokens.revoke(userId, AccountTokenPurpose.RESET_PASSWORD);
    await this.deps.audit.record({ type: AuditEventType.EMAIL_VERIFIED, userId, ip, details: { via: 'token' } });
    await this.deps.audit.record({ type: AuditEventType.EMAIL_CHANGED, userId, ip });
    await this.deps.notices.emailChanged(before, address);
  }

  /**
   * Asks for a new address: kept as pending, and a verification token mailed
   * to it; the current address stays the account's (and gets the notices)
   * until then, and hears of the request when it is verified. A user with an
   * ACTIVE factor needs a fresh second-factor proof (step-up), as for other
   * changes that could hand the account to someone else. The request is tied
   * to the calling session: it can be verified only while that session lasts.
   * Asking for the current, verified address takes back a pending change.
   */
  async changeEmail(viewer: SessionViewer, email: string, ip?: string): Promise<void> {
    await this.deps.factors.assertRecentProofIfEnrolled(viewer);
    const user = await this.current(viewer);
    const address = email.trim();
    if (user.email === address) {
      if (user.emailVerified === true) {
        if (user.pendingEmail === undefined) throw badInput('email', 'That is already your address.');
        await this.cancelPendingChange(user, ip);
        return;
      }
      // The current, unverified address: nothing to keep aside, only to prove.
      await this.deps.accountMail.sendToken(user, AccountTokenPurpose.VERIFY_EMAIL, address, ip);
      await this.deps.audit.record({ type: AuditEventType.EMAIL_VERIFICATION_SENT, userId: user._id, ip });
      return;
    }
    await this.deps.models.users.updateOne(
      { _id: user._id },
      { $set: { pendingEmail: address, pendingEmailSessionId: viewer.session._id } },
    );
    try {
      await this.deps.accountMail.sendToken(user, AccountTokenPurpose.VERIFY_EMAIL, address, ip);
    } catch (error) {
      // Nothing half-done: without its token, the pending address is taken back (unless another request replaced it).
      await this.deps.models.users.updateOne(
        { _id: user._id, pendingEmail: address },
        user.pendingEmail
          ? { $set: { pendingEmail: user.pendingEmail, pendingEmailSessionId: user.pendingEmailSessionId } }
          : { $unset: { pendingEmail: 1, pendingEmailSessionId: 1 } },
      );
      throw error;
    }
    await this.deps.audit.record({ type: AuditEventType.EMAIL_CHANGE_REQUESTED, userId: user._id, ip });
    await this.deps.notices.emailChangeRequested(user, address);
  }

  /** The owner keeps their verified address: the pending one is dropped, and the token mailed to it dies with it. */
  private async cancelPendingChange(user: UserRecord, ip?: string): Promise<void> {
    const pending = user.pendingEmail!;
    const { modifiedCount } = await this.deps.models.users.updateOne(
      { _id: user._id, pendingEmail: pending },
      { $unset: { pendingEmail: 1, pendingEmailSessionId: 1 } },
    );
    await this.deps.tokens.revoke(user._id, AccountTokenPurpose.VERIFY_EMAIL);
    if (modifiedCount === 1)
      await this.deps.audit.record({
        type: AuditEventType.EMAIL_CHANGE_REQUESTED,
        userId: user._id,
        ip,
        details: { cancelled: true },
      });
  }

  private async current(viewer: SessionViewer): Promise<UserRecord> {
    return (await this.deps.models.users.findById(viewer.user._id).lean<UserRecord>()) ?? viewer.user;
  }
}
