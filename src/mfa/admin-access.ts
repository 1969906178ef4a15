import type { Types } from 'mongoose';
import { Role, type UserModel, type UserRecord } from '../accounts/user.model.js';
import type { SessionViewer, Viewer } from '../auth/viewer.js';
import { AppError, badInput, forbidden, notFound, stepUpRequired } from '../errors.js';
import type { FactorsService } from './factors.service.js';
import { assertRecentSecondFactor } from './step-up.js';

/**
 * Who may do admin work on other accounts. Privileged accounts use
 * multi-factor authentication (NIST SP 800-53 IA-2(1)): an admin's API key,
 * an admin without an ACTIVE factor, or a session that never passed one,
 * reads and changes only its own account.
 */
export class AdminAccess {
  constructor(private readonly deps: { models: { users: UserModel }; factors: FactorsService; clock: () => Date }) {}

  /**
   * Throws unless `viewer` is an admin using MFA in an interactive session that
   * passed a second factor; with `fresh`, at most five minutes ago (changes:
   * the step-up rule). MFA policy is managed only by admins who use MFA themselves.
   */
  async assertMfaAdmin(viewer: Viewer, options: { fresh?: boolean } = {}): Promise<SessionViewer> {
    if (viewer.user.role !== Role.ADMIN) throw forbidden('Only an admin may do this.');
    if (viewer.kind !== 'session')
      throw forbidden('Admin work needs an interactive session that passed MFA: API keys cannot do it.');
    if (!(await this.deps.factors.hasActiveFactor(viewer.user._id)))
      throw forbidden('Admins must use MFA themselves: enroll a factor first.');
    if (options.fresh) assertRecentSecondFactor(viewer.session, this.deps.clock());
    else if (!viewer.session.mfaVerifiedAt) throw stepUpRequired();
    return viewer;
  }

  /** Whether `viewer` passes `assertMfaAdmin` (not fresh): for a read whose default is everyone's for such an admin, the viewer's own for anyone else. */
  async isMfaAdmin(viewer: Viewer): Promise<boolean> {
    try {
      await this.assertMfaAdmin(viewer);
      return true;
    } catch (error) {
      if (error instanceof AppError) return false;
      throw error;
    }
  }

  /** Whose records a read returns: the viewer's own when `userId` is unset or theirs; anyone else's for an admin with MFA. */
  async whose(viewer: Viewer, userId: Types.ObjectId | undefined): Promise<Types.ObjectId> {
    if (userId === undefined || userId.equals(viewer.user._id)) return viewer.user._id;
    await this.assertMfaAdmin(viewer);
    return userId;
  }

  /**
   * The user an admin change is aimed at, for an admin who passes
   * `assertMfaAdmin` (with `fresh`, a second factor at most five minutes old):
   * NOT_FOUND for an unknown user; FORBIDDEN for another admin, since each
   * admin manages their own factors, sessions and keys (and no admin shuts,
   * deletes or unlocks another: see UserAdminService). With `active`, also
   * BAD_USER_INPUT for a deactivated account: for changes that give it
   * something (a factor, with its code mail). Changes that take access away,
   * clean up or open it again (ending sessions, removing factors, unlocking,
   * reactivating, deleting) stay open on a deactivated account.
   */
  async targetFor(
    viewer: Viewer,
    userId: Types.ObjectId,
    options: { fresh?: boolean; active?: boolean } = {},
  ): Promise<UserRecord> {
    await this.assertMfaAdmin(viewer, options);
    const target = await this.deps.models.users.findById(userId).lean<UserRecord>();
    if (!target) throw notFound('User');
    if (target.role === Role.ADMIN && !target._id.equals(viewer.user._id))
      throw forbidden("An admin cannot change another admin's MFA, sessions, API keys or account status.");
    if (options.active && target.deactivatedAt)
      throw badInput('userId', 'This account is deactivated: reactivate it first.');
    return target;
  }
}
