import type { Types } from 'mongoose';
import type { SignInChallengeModel } from '../mfa/sign-in-challenge.model.js';
import type { TrustedDevicesService } from '../mfa/trusted-devices.service.js';
import type { EndedBecause, SessionsService } from '../sessions/sessions.service.js';
import { AccountTokenPurpose, type AccountTokenModel } from './account-token.model.js';
import type { UserModel, UserRecord } from './user.model.js';

/** Which sessions a credential change ends, and how the audit trail names it (see SessionsService.endSessionsOf). */
export interface EndedSessions {
  reason: EndedBecause;
  /** The session that made the change and stays (a password changed by its owner). */
  except?: Types.ObjectId;
  actorId?: Types.ObjectId;
  ip?: string;
  /** Whether an audit event is written when no session was live (see SessionsService.endSessionsOf). */
  auditNone?: boolean;
}

/**
 * What a change of who may act for an account must end, in one place: a new password (changed or reset), an
 * admin's demand for a reset, a deactivation, and a reactivation (which ends what a sign-in racing the
 * deactivation issued). Whatever was opened with the old state goes: sessions (all, or all
 * but the one that made the change), remembered devices, sign-ins waiting for their second factor (mfaTokens), password-reset tokens,
 * and an e-mail change still waiting for its verification, with the token mailed for it, so that a session that
 * was stolen cannot keep a way back in through an address of its choosing.
 */
export class CredentialChange {
  constructor(
    private readonly deps: {
      models: { users: UserModel; signInChallenges: SignInChallengeModel; accountTokens: AccountTokenModel };
      sessions: SessionsService;
      trustedDevices: TrustedDevicesService;
      clock: () => Date;
    },
  ) {}

  async credentialsChanged(userId: Types.ObjectId, sessions: EndedSessions): Promise<void> {
    const now = this.deps.clock();
    // Remembered devices too (a sign-in racing this one is held back by the credentialsVersion stamp on its device).
    // Their sessions are left to endSessionsOf below: it keeps the session that made the change (`except`), even one
    // a device opened, which ending every device session here would sign out of its own password change.
    await this.deps.trustedDevices.revokeAllOf(userId, {
      reason: 'credentials_changed',
      actorId: sessions.actorId,
      ip: sessions.ip,
      sessionsEndedByCaller: true,
    });
    await this.deps.sessions.endSessionsOf(userId, sessions);
    await this.deps.models.signInChallenges.updateMany(
      { userId, consumedAt: { $exists: false } },
      { $set: { consumedAt: now } },
    );
    const before = await this.deps.models.users
      .findOneAndUpdate(
        { _id: userId },
        { $unset: { pendingEmail: 1, pendingEmailSessionId: 1 } },
        { returnDocument: 'before', projection: { email: 1 } },
      )
      .lean<Pick<UserRecord, '_id' | 'email'>>();
    await this.deps.models.accountTokens.deleteMany({
      userId,
      $or: [
        { purpose: AccountTokenPurpose.RESET_PASSWORD },
        // A verification token for any address but the current one was for the pending change just dropped.
        { purpose: AccountTokenPurpose.VERIFY_EMAIL, address: { $ne: before?.email ?? null } },
      ],
    });
  }
}
