import type { Types } from 'mongoose';
import { MfaPolicyStatus, Role, type UserModel, type UserRecord } from '../accounts/user.model.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import type { SessionViewer } from '../auth/viewer.js';
import { AppError, ErrorCode } from '../errors.js';
import { assertFactorDescription } from './factor-description.js';
import { FactorStatus, type FactorModel, type FactorRecord } from './factor.model.js';
import type { SecurityNotices } from './security-notices.js';
import type { TrustedDevicesService } from './trusted-devices.service.js';
import { assertRecentSecondFactor } from './step-up.js';

/** A user's factors as they stand: which exist, whether MFA is in use, and removing them. */
export class FactorsService {
  constructor(
    private readonly deps: {
      models: { users: UserModel; factors: FactorModel };
      audit: AuditService;
      notices: SecurityNotices;
      trustedDevices: TrustedDevicesService;
      clock: () => Date;
    },
  ) {}

  activeFactors(userId: Types.ObjectId): Promise<FactorRecord[]> {
    return this.deps.models.factors
      .find({ userId, status: FactorStatus.ACTIVE })
      .sort({ _id: 1 })
      .lean<FactorRecord[]>();
  }

  /** Every factor of a user, PENDING ones included, oldest first. */
  factorsOf(userId: Types.ObjectId): Promise<FactorRecord[]> {
    return this.deps.models.factors.find({ userId }).sort({ _id: 1 }).lean<FactorRecord[]>();
  }

  /** Whether `factorId` is one of the user's factors (ACTIVE or PENDING). */
  async isFactorOf(userId: Types.ObjectId, factorId: Types.ObjectId): Promise<boolean> {
    return (await this.deps.models.factors.exists({ _id: factorId, userId })) !== null;
  }

  /** Whether the user has an ACTIVE factor (besides `except`, e.g. one being accepted right now). */
  async hasActiveFactor(userId: Types.ObjectId, options: { except?: Types.ObjectId } = {}): Promise<boolean> {
    const filter = options.except
      ? { userId, status: FactorStatus.ACTIVE, _id: { $ne: options.except } }
      : { userId, status: FactorStatus.ACTIVE };
    return (await this.deps.models.factors.exists(filter)) !== null;
  }

  /**
   * Throws STEP_UP_REQUIRED when the viewer has an ACTIVE factor (other than
   * `except`) but passed none in this session within five minutes (so a hijacked session alone cannot change them).
   */
  async assertRecentProofIfEnrolled(viewer: SessionViewer, options: { except?: Types.ObjectId } = {}): Promise<void> {
    if (await this.hasActiveFactor(viewer.user._id, options))
      assertRecentSecondFactor(viewer.session, this.deps.clock());
  }

  /**
   * Relabels one of the viewer's own factors (ACTIVE or PENDING). Another user's factor id, an admin's included, is
   * NOT_FOUND like a missing one, so ids cannot be probed. No step-up: a label changes no security property (which
   * codes are accepted, by which factor, for whom), so a session that may see the factors may name them. One `$set`
   * on one document: two renames racing leave one of the two labels, whole (last write wins).
   */
  async rename(
    viewer: SessionViewer,
    factorId: Types.ObjectId,
    description: string,
    context: { ip?: string },
  ): Promise<FactorRecord> {
    assertFactorDescription(description);
    const renamed = await this.deps.models.factors
      .findOneAndUpdate(
        { _id: factorId, userId: viewer.user._id },
        { $set: { description } },
        { returnDocument: 'after' },
      )
      .lean<FactorRecord>();
    if (!renamed) throw new AppError(ErrorCode.NOT_FOUND, 'No such factor.', { field: 'factorId' });
    await this.deps.audit.record({
      type: AuditEventType.MFA_FACTOR_RENAMED,
      userId: viewer.user._id,
      ip: context.ip,
      details: { factorId: renamed._id.toHexString(), factorType: renamed.type },
    });
    return renamed;
  }

  /** Removes one factor or all; removing the last turns MFA off (never an admin's) and drops the recovery codes. */
  async remove(
    owner: UserRecord,
    factorId: Types.ObjectId | undefined,
    context: { ip?: string; actorId?: Types.ObjectId },
  ): Promise<UserRecord> {
    const filter = factorId ? { _id: factorId, userId: owner._id } : { userId: owner._id };
    const removed = await this.deps.models.factors.find(filter, { _id: 1, type: 1, status: 1 }).lean<FactorRecord[]>();
    if (factorId && removed.length === 0)
      throw new AppError(ErrorCode.NOT_FOUND, 'No such factor.', { field: 'factorId' });
    await this.deps.models.factors.deleteMany({ _id: { $in: removed.map((factor) => factor._id) } });
    // A remembered device vouched for the factors the user had: whoever removed one (an admin, or the owner who lost
    // a phone) means to stop what it let in.
    if (removed.length > 0)
      await this.deps.trustedDevices.revokeAllOf(owner._id, {
        reason: 'factors_removed',
        actorId: context.actorId,
        ip: context.ip,
      });
    for (const factor of removed) {
      await this.deps.audit.record({
        type: AuditEventType.MFA_FACTOR_REMOVED,
        userId: owner._id,
        actorId: context.actorId,
        ip: context.ip,
        details: { factorId: factor._id.toHexString(), factorType: factor.type },
      });
      if (factor.status === FactorStatus.ACTIVE) await this.deps.notices.factorRemoved(owner, factor.type);
    }
    if (context.actorId && removed.length > 0)
      await this.deps.notices.changedByAdmin(owner, 'an administrator removed your second factors');
    if (!(await this.hasActiveFactor(owner._id))) {
      // Removing the last factor turns MFA off; codes without a factor would be a password. An admin's MFA stays
      // ENABLED: their next sign-in enrolls a factor again. The role is part of the condition (as in
      // MfaPolicyService.setStatus), so a promotion racing this removal cannot leave an admin DISABLED.
      await this.deps.models.users.updateOne({ _id: owner._id }, { $unset: { recoveryCodes: 1 } });
      await this.deps.models.users.updateOne(
        { _id: owner._id, role: { $ne: Role.ADMIN } },
        { $set: { mfaPolicyStatus: MfaPolicyStatus.DISABLED } },
      );
    }
    return (await this.deps.models.users.findById(owner._id).lean<UserRecord>())!;
  }
}
