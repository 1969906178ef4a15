import type { Types } from 'mongoose';
import { MfaPolicyStatus, Role, type UserModel, type UserRecord } from '../accounts/user.model.js';
import { DAY_MS, type MfaPolicySettings } from './mfa-policy-settings.js';

/**
 * Enrollment grace (Zitadel's mfaInitSkipLifetime, as a deadline): a user whose MFA was turned on while they had no
 * factor may skip enrolling one at sign-in for the policy's enrollmentGraceDays, counted from `mfaRequiredAt`; after
 * that, enrollment is forced as before. The start is stamped when an admin turns MFA on (MfaPolicyService.setStatus,
 * from DISABLED); an account turned on before the stamp existed gets it at its first sign-in that finds enrollment
 * required. The policy is read at each sign-in, so lowering the days shortens every grace under way, and 0 ends them.
 * Never for admins (NIST SP 800-53 IA-2(1)).
 */
export class EnrollmentGrace {
  constructor(
    private readonly deps: {
      models: { users: UserModel };
      settings: MfaPolicySettings;
      clock: () => Date;
    },
  ) {}

  /** Until when `user` (MFA on, no ACTIVE factor) may still skip enrolling; undefined when they may not (now or ever). */
  async deadlineFor(user: UserRecord): Promise<Date | undefined> {
    if (user.role === Role.ADMIN || user.mfaPolicyStatus !== MfaPolicyStatus.ENABLED) return undefined;
    const { enrollmentGraceDays } = await this.deps.settings.read();
    if (enrollmentGraceDays <= 0) return undefined;
    const now = this.deps.clock();
    const start = user.mfaRequiredAt ?? (await this.stampStart(user._id, now));
    const deadline = new Date(start.getTime() + enrollmentGraceDays * DAY_MS);
    return deadline > now ? deadline : undefined;
  }

  /** The first sign-in of an account turned on before the stamp existed starts its grace; a parallel one agrees on it. */
  private async stampStart(userId: Types.ObjectId, now: Date): Promise<Date> {
    await this.deps.models.users.updateOne(
      { _id: userId, mfaRequiredAt: { $exists: false } },
      { $set: { mfaRequiredAt: now } },
    );
    const stamped = await this.deps.models.users
      .findById(userId, { mfaRequiredAt: 1 })
      .lean<Pick<UserRecord, 'mfaRequiredAt'>>();
    return stamped?.mfaRequiredAt ?? now;
  }
}
