import type { Types } from 'mongoose';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import type { SessionViewer, Viewer } from '../auth/viewer.js';
import { clientNetwork } from '../client-network.js';
import { AppError, ErrorCode, forbidden, notFound } from '../errors.js';
import type { AdminAccess } from '../mfa/admin-access.js';
import type { FactorsService } from '../mfa/factors.service.js';
import type { SecurityNotices } from '../mfa/security-notices.js';
import type { AccountsService } from './accounts.service.js';
import type { CredentialChange } from './credential-change.js';
import { normalizePassword } from './password-rules.js';
import type { UserModel, UserRecord } from './user.model.js';

export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
}

/**
 * A user changing their own password, and an admin demanding a new one. The new password itself is set in one
 * place, AccountsService.setPassword (rules, hash, sessions, audit, notice), which resetPassword uses too.
 */
export class PasswordsService {
  constructor(
    private readonly deps: {
      models: { users: UserModel };
      accounts: AccountsService;
      factors: FactorsService;
      admins: AdminAccess;
      credentialChange: CredentialChange;
      audit: AuditService;
      notices: SecurityNotices;
    },
  ) {}

  /**
   * The owner, in an interactive session, with the current password (checked by sign-in's own path: the same
   * throttle, so a wrong one counts against the name like a failed sign-in) and, when they have an ACTIVE factor,
   * a second-factor proof at most 5 minutes old in this session: a session left open, or stolen, is not enough
   * to lock its owner out. The new password is checked first, so a refused one costs no attempt. A new password
   * equal to the current one is refused (SAME_AS_CURRENT): the owner asked for a change and would not get one,
   * and the other sessions would end for nothing. Other sessions end; this one stays.
   */
  async change(viewer: SessionViewer, input: ChangePasswordInput, ip: string): Promise<void> {
    await this.deps.factors.assertRecentProofIfEnrolled(viewer);
    this.deps.accounts.assertNewPassword(input.newPassword, viewer.user);
    if (normalizePassword(input.newPassword) === normalizePassword(input.currentPassword))
      throw new AppError(ErrorCode.BAD_USER_INPUT, 'The new password is the current one. Choose another.', {
        field: 'newPassword',
        rule: 'SAME_AS_CURRENT',
      });
    const user = await this.deps.accounts.checkPassword(viewer.user.username, input.currentPassword, ip);
    if (!user._id.equals(viewer.user._id)) throw notFound('User');
    // Conditional on the hash just verified: of two changes proving the same current password, one lands.
    await this.deps.accounts.setPassword(
      user,
      input.newPassword,
      { via: 'change', currentSessionId: viewer.session._id, ip, client: clientNetwork(ip) },
      user.passwordHash,
    );
  }

  /**
   * An admin with a fresh second factor makes a user choose a new password (Keycloak's "Update Password"
   * required action): the user is told, their sessions, pending sign-ins, reset tokens and pending e-mail change
   * end (credentialsVersion is bumped too, so a sign-in racing this keeps nothing), and the right password then
   * answers PASSWORD_RESET_REQUIRED until a reset sets a new one. Never for another admin (AdminAccess), nor for
   * the admin themself, who would be locked out of their own console: they use changePassword. API keys keep
   * working: they are not a way to sign in, and each is revoked on its own (or every one with deactivateUser).
   */
  async requireReset(viewer: Viewer, userId: Types.ObjectId, ip?: string): Promise<UserRecord> {
    const target = await this.deps.admins.targetFor(viewer, userId, { fresh: true });
    if (target._id.equals(viewer.user._id))
      throw forbidden('An admin cannot require a reset of their own password: use changePassword.');
    const user = await this.deps.models.users
      .findOneAndUpdate(
        { _id: target._id },
        {
          $set: { passwordResetRequired: true },
          $unset: { pendingEmail: 1, pendingEmailSessionId: 1 },
          $inc: { credentialsVersion: 1 },
        },
        { new: true },
      )
      .lean<UserRecord>();
    if (!user) throw notFound('User');
    await this.deps.audit.record({
      type: AuditEventType.PASSWORD_RESET_REQUIRED,
      userId: user._id,
      actorId: viewer.user._id,
      ip,
    });
    await this.deps.notices.passwordResetRequired(user);
    await this.deps.credentialChange.credentialsChanged(user._id, {
      reason: 'password_reset_required',
      actorId: viewer.user._id,
      ip,
    });
    return user;
  }
}
