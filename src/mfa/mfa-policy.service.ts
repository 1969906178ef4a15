import type { Types } from 'mongoose';
import { MfaPolicyStatus, Role, type UserModel, type UserRecord } from '../accounts/user.model.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import type { SessionViewer } from '../auth/viewer.js';
import { AppError, ErrorCode, badInput, forbidden, notFound } from '../errors.js';
import type { AdminAccess } from './admin-access.js';
import type { FactorAssurance } from './factor-plugin.js';
import type { FactorRegistry } from './factor-registry.js';
import type { MfaPolicyModel } from './mfa-policy.model.js';
import { MAX_POLICY_DAYS, MFA_POLICY_ID, type MfaPolicySettings } from './mfa-policy-settings.js';
import { SecondFactorWaiver } from '../sessions/session.model.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { SecurityNotices } from './security-notices.js';
import type { TrustedDevicesService } from './trusted-devices.service.js';

/** A registered factor type, and whether the policy lets users enroll it. */
export interface FactorTypeListing {
  type: string;
  displayName: string;
  /** What proving it shows: "possession" or "phishing-resistant" (the plugin's declaration). */
  assurance: FactorAssurance;
  allowed: boolean;
}

/** The deployment-wide policy as clients read it. */
export interface MfaPolicy {
  allowedFactorTypes: string[];
  /** Recovery codes issued with a first factor, a replacement, or a regeneration. */
  recoveryCodeCount: number;
  trustedDeviceDays: number;
  passkeySignIn: boolean;
  enrollmentGraceDays: number;
}

/** setMfaPolicy's changes: each field left out stays as it is. */
export interface MfaPolicyChange {
  allowedFactorTypes?: string[] | null;
  trustedDeviceDays?: number | null;
  passkeySignIn?: boolean | null;
  enrollmentGraceDays?: number | null;
}

/** Who must use MFA (per user) and which factor types may be enrolled (deployment-wide). */
export class MfaPolicyService {
  constructor(
    private readonly deps: {
      models: { policies: MfaPolicyModel; users: UserModel };
      settings: MfaPolicySettings;
      trustedDevices: TrustedDevicesService;
      admins: AdminAccess;
      sessions: SessionsService;
      registry: FactorRegistry;
      audit: AuditService;
      notices: SecurityNotices;
      recoveryCodeCount: number;
      clock: () => Date;
    },
  ) {}

  /** Every registered factor type, in registration order, each with whether the policy allows it (factorTypes). */
  async factorTypes(): Promise<FactorTypeListing[]> {
    const allowed = await this.allowedFactorTypes();
    return this.deps.registry.all().map((plugin) => ({
      type: plugin.type,
      displayName: plugin.displayName,
      assurance: plugin.assurance,
      allowed: allowed.includes(plugin.type),
    }));
  }

  async policy(): Promise<MfaPolicy> {
    const settings = await this.deps.settings.read();
    return {
      allowedFactorTypes: this.allowedOf(settings.allowedFactorTypes),
      recoveryCodeCount: this.deps.recoveryCodeCount,
      trustedDeviceDays: settings.trustedDeviceDays,
      passkeySignIn: settings.passkeySignIn,
      enrollmentGraceDays: settings.enrollmentGraceDays,
    };
  }

  /** Registered types the policy allows, in registration order. */
  async allowedFactorTypes(): Promise<string[]> {
    return this.allowedOf((await this.deps.settings.read()).allowedFactorTypes);
  }

  private allowedOf(stored: string[] | undefined): string[] {
    const registered = this.deps.registry.types();
    return stored ? registered.filter((type) => stored.includes(type)) : registered;
  }

  /** The type, when it is registered and allowed; else BAD_USER_INPUT or FACTOR_TYPE_NOT_ALLOWED. */
  async assertAllowed(type: string): Promise<string> {
    if (!this.deps.registry.get(type))
      throw badInput('factorType', `Unknown factor type "${type.slice(0, 40)}". See factorTypes.`);
    if (!(await this.allowedFactorTypes()).includes(type))
      throw new AppError(ErrorCode.FACTOR_TYPE_NOT_ALLOWED, `The ${type} factor type is not allowed here.`);
    return type;
  }

  /** Returns the policy as it now stands. */
  async setAllowedFactorTypes(viewer: SessionViewer, types: string[], ip?: string): Promise<MfaPolicy> {
    await this.deps.admins.assertMfaAdmin(viewer, { fresh: true });
    this.assertFactorTypes(types, 'types');
    await this.deps.models.policies.updateOne(
      { _id: MFA_POLICY_ID },
      { $set: { allowedFactorTypes: [...new Set(types)], updatedAt: new Date() } },
      { upsert: true },
    );
    await this.deps.audit.record({
      type: AuditEventType.ALLOWED_FACTOR_TYPES_CHANGED,
      actorId: viewer.user._id,
      ip,
      details: { allowedFactorTypes: types },
    });
    return this.policy();
  }

  /**
   * Changes the deployment-wide sign-in settings given (setMfaPolicy), all or none: an admin who uses MFA and proved
   * it within five minutes, as for setAllowedFactorTypes. Audited with what was set. Returns the policy as it now stands.
   */
  async setPolicy(viewer: SessionViewer, change: MfaPolicyChange, ip?: string): Promise<MfaPolicy> {
    await this.deps.admins.assertMfaAdmin(viewer, { fresh: true });
    const set: Record<string, unknown> = {};
    if (change.allowedFactorTypes !== undefined && change.allowedFactorTypes !== null) {
      this.assertFactorTypes(change.allowedFactorTypes, 'allowedFactorTypes');
      set.allowedFactorTypes = [...new Set(change.allowedFactorTypes)];
    }
    if (change.trustedDeviceDays !== undefined && change.trustedDeviceDays !== null)
      set.trustedDeviceDays = assertDays(change.trustedDeviceDays, 'trustedDeviceDays');
    if (change.passkeySignIn !== undefined && change.passkeySignIn !== null) set.passkeySignIn = change.passkeySignIn;
    if (change.enrollmentGraceDays !== undefined && change.enrollmentGraceDays !== null)
      set.enrollmentGraceDays = assertDays(change.enrollmentGraceDays, 'enrollmentGraceDays');
    if (Object.keys(set).length === 0) throw badInput('input', 'Give at least one setting to change.');
    const before = await this.deps.settings.read();
    await this.deps.models.policies.updateOne(
      { _id: MFA_POLICY_ID },
      { $set: { ...set, updatedAt: new Date() } },
      { upsert: true },
    );
    await this.deps.audit.record({
      type: AuditEventType.MFA_POLICY_CHANGED,
      actorId: viewer.user._id,
      ip,
      details: set,
    });
    // At use the policy is read again, so 0 already stops every device; forgetting them keeps them stopped should
    // the feature be turned on again.
    if (set.trustedDeviceDays === 0) await this.deps.trustedDevices.revokeEveryone({ actorId: viewer.user._id, ip });
    // A shorter grace holds for the sessions it already gave too: they end, and a sign-in within the new grace skips again.
    if (typeof set.enrollmentGraceDays === 'number' && set.enrollmentGraceDays < before.enrollmentGraceDays)
      await this.deps.sessions.endAllWaived(SecondFactorWaiver.ENROLLMENT_GRACE, { actorId: viewer.user._id, ip });
    return this.policy();
  }

  private assertFactorTypes(types: string[], field: string): void {
    const unknown = types.filter((type) => !this.deps.registry.get(type));
    if (unknown.length > 0) throw badInput(field, `Unknown factor types: ${unknown.join(', ').slice(0, 100)}.`);
    if (types.length === 0) throw badInput(field, 'Allow at least one factor type.');
  }

  /**
   * ENABLED: the user must pass (or enroll) a second factor at the next sign-in;
   * their sessions made by the password alone end.
   * DISABLED: the password suffices; their factors stay, dormant.
   * An admin's is always ENABLED, so it is not an admin's to set, not even their own.
   */
  async setStatus(
    viewer: SessionViewer,
    userId: Types.ObjectId,
    status: MfaPolicyStatus,
    ip?: string,
  ): Promise<UserRecord> {
    await this.deps.admins.assertMfaAdmin(viewer, { fresh: true });
    // The role is part of the condition, so a promotion racing this update cannot leave an admin DISABLED.
    const before = await this.deps.models.users
      .findOneAndUpdate(
        { _id: userId, role: { $ne: Role.ADMIN } },
        status === MfaPolicyStatus.ENABLED
          ? { $set: { mfaPolicyStatus: status } }
          : { $set: { mfaPolicyStatus: status }, $unset: { mfaRequiredAt: 1 } },
        { returnDocument: 'before' },
      )
      .lean<UserRecord>();
    if (!before) {
      if (await this.deps.models.users.exists({ _id: userId }))
        throw forbidden("An admin's MFA policy is always ENABLED.");
      throw notFound('User');
    }
    // MFA becomes required now: the enrollment grace (EnrollmentGrace) of a user with no factor starts here. Setting
    // ENABLED again while it is on changes nothing, so an admin cannot lengthen a grace by repeating it.
    if (status === MfaPolicyStatus.ENABLED && before.mfaPolicyStatus !== MfaPolicyStatus.ENABLED)
      await this.deps.models.users.updateOne(
        { _id: userId, mfaPolicyStatus: MfaPolicyStatus.ENABLED },
        { $set: { mfaRequiredAt: this.deps.clock() } },
      );
    const user = (await this.deps.models.users.findById(userId).lean<UserRecord>()) ?? {
      ...before,
      mfaPolicyStatus: status,
    };
    if (status === MfaPolicyStatus.ENABLED)
      await this.deps.sessions.endPasswordOnlySessions(userId, { actorId: viewer.user._id, ip });
    await this.deps.audit.record({
      type: AuditEventType.MFA_POLICY_STATUS_CHANGED,
      userId,
      actorId: viewer.user._id,
      ip,
      details: { status },
    });
    await this.deps.notices.changedByAdmin(
      user,
      status === MfaPolicyStatus.ENABLED
        ? 'an administrator turned MFA on for your account'
        : 'an administrator turned MFA off for your account',
    );
    return user;
  }
}

/** A whole number of days from 0 to MAX_POLICY_DAYS, else BAD_USER_INPUT on `field`. */
function assertDays(days: number, field: string): number {
  if (!Number.isInteger(days) || days < 0 || days > MAX_POLICY_DAYS)
    throw badInput(field, `${field} is a whole number of days from 0 to ${MAX_POLICY_DAYS}.`);
  return days;
}
