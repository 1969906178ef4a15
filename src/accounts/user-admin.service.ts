import type { Types } from 'mongoose';
import type { ApiKeyModel } from '../api-keys/api-key.model.js';
import { AuditEventType, type AuditEventModel } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Viewer } from '../auth/viewer.js';
import type { Page } from '../db/pagination.js';
import { badInput, forbidden, notFound } from '../errors.js';
import type { AdminAccess } from '../mfa/admin-access.js';
import { FactorStatus, type FactorModel } from '../mfa/factor.model.js';
import type { SecondFactorAttempts } from '../mfa/second-factor-attempts.js';
import type { SecurityNotices } from '../mfa/security-notices.js';
import type { SignInChallengeModel } from '../mfa/sign-in-challenge.model.js';
import type { TrustedDeviceModel } from '../mfa/trusted-device.model.js';
import type { TrustedDevicesService } from '../mfa/trusted-devices.service.js';
import type { SessionModel } from '../sessions/session.model.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { AccountTokenModel } from './account-token.model.js';
import type { CredentialChange } from './credential-change.js';
import type { LastAdminGuard } from './last-admin-guard.js';
import type { LoginThrottle } from './login-throttle.js';
import { MfaPolicyStatus, Role, UserStatus, usernameKey, type UserModel, type UserRecord } from './user.model.js';

/** Longest `text` the users search takes: usernames are at most 64 characters, and a longer needle finds nothing anyway. */
export const MAX_USER_SEARCH_CHARS = 64;
/** Longest `username` the user lookup takes (usernames are 3 to 64 characters). */
export const MAX_USERNAME_CHARS = 64;

export interface UserFilter {
  /** A substring of the username (compared as sign-in compares names) or of the e-mail address (case-insensitive). */
  text?: string;
  role?: Role;
  status?: UserStatus;
  /** Whether a second-factor lockout is in force now. */
  locked?: boolean;
  mfaPolicyStatus?: MfaPolicyStatus;
}

/**
 * What the audit trail keeps of a deleted account's name: its events stay
 * (the trail must not lose history), still under the account's id, but the
 * username in their details becomes this.
 */
export function deletedUserPseudonym(userId: Types.ObjectId): string {
  return `deleted-user-${userId.toHexString()}`;
}

/**
 * Admin user management (Keycloak's and Zitadel's user consoles): finding
 * users, unlocking, deactivating, reactivating, deleting and changing roles.
 * Every change needs an admin who uses MFA and proved it at most 5 minutes ago
 * (AdminAccess), is audited with the admin as actor, and tells the owner by a
 * security notice. No admin deactivates, deletes or unlocks another admin (nor
 * deactivates or deletes themself): an admin is first demoted, and demotion
 * keeps at least one admin (LastAdminGuard).
 */
export class UserAdminService {
  constructor(
    private readonly deps: {
      models: {
        users: UserModel;
        sessions: SessionModel;
        apiKeys: ApiKeyModel;
        factors: FactorModel;
        signInChallenges: SignInChallengeModel;
        auditEvents: AuditEventModel;
        accountTokens: AccountTokenModel;
        trustedDevices: TrustedDeviceModel;
      };
      admins: AdminAccess;
      sessions: SessionsService;
      credentialChange: CredentialChange;
      trustedDevices: TrustedDevicesService;
      attempts: SecondFactorAttempts;
      throttle: LoginThrottle;
      lastAdmin: LastAdminGuard;
      audit: AuditService;
      notices: SecurityNotices;
      clock: () => Date;
    },
  ) {}

  /** One user by id or by name (exactly one of them), the name matched as sign-in matches it; null when there is none. */
  async find(by: { id?: Types.ObjectId; username?: string | null }): Promise<UserRecord | null> {
    const hasName = by.username !== undefined && by.username !== null;
    if ((by.id !== undefined) === hasName) throw badInput('id', 'Give exactly one of id and username.');
    if (by.id) return this.deps.models.users.findById(by.id).lean<UserRecord>();
    if (by.username!.length > MAX_USERNAME_CHARS)
      throw badInput('username', `username is at most ${MAX_USERNAME_CHARS} characters.`);
    return this.deps.models.users.findOne({ usernameKey: usernameKey(by.username!) }).lean<UserRecord>();
  }

  /** Users in creation order, narrowed by `filter`. */
  list(filter: UserFilter, page: Page): Promise<UserRecord[]> {
    const conditions: Record<string, unknown>[] = [];
    if (filter.text !== undefined && filter.text !== null) conditions.push(this.textCondition(filter.text));
    if (filter.role) conditions.push({ role: filter.role });
    if (filter.mfaPolicyStatus) conditions.push({ mfaPolicyStatus: filter.mfaPolicyStatus });
    if (filter.status) conditions.push({ deactivatedAt: { $exists: filter.status === UserStatus.DEACTIVATED } });
    if (filter.locked !== undefined && filter.locked !== null) {
      const inForce = { $gt: this.deps.clock() };
      conditions.push({ secondFactorLockedUntil: filter.locked ? inForce : { $not: inForce } });
    }
    if (page.after) conditions.push({ _id: { $gt: page.after } });
    return this.deps.models.users
      .find(conditions.length > 0 ? { $and: conditions } : {})
      .sort({ _id: 1 })
      .limit(page.first + 1)
      .lean<UserRecord[]>();
  }

  /** When the user's second-factor lockout ends, or undefined when none is in force. */
  lockedUntil(user: UserRecord): Date | undefined {
    const until = user.secondFactorLockedUntil;
    return until && until > this.deps.clock() ? until : undefined;
  }

  /**
   * Clears the user's second-factor lockout (failures, lockouts and their
   * back-off) and the password failures counted against their name from any
   * address; the per-address limits stay. Not another admin's: an admin who
   * could lift another admin's lockout could keep guessing that admin's codes.
   */
  async unlock(viewer: Viewer, userId: Types.ObjectId, ip?: string): Promise<UserRecord> {
    const target = await this.deps.admins.targetFor(viewer, userId, { fresh: true });
    const secondFactorLockoutCleared = await this.deps.attempts.clear(target._id, this.deps.clock());
    await this.deps.throttle.clearAccountFailures(target.usernameKey);
    await this.deps.audit.record({
      type: AuditEventType.USER_UNLOCKED,
      userId: target._id,
      actorId: viewer.user._id,
      ip,
      details: { secondFactorLockoutCleared },
    });
    await this.deps.notices.accountUnlocked(target);
    return this.current(target._id);
  }

  /**
   * Shuts an account: it cannot sign in (it answers as a wrong password does),
   * its sessions end, its API keys and any pending mfaToken or enrollment stop
   * at once. The owner is told first, while a session may still be open.
   * Again on a deactivated account, only the ending is done again (no notice).
   */
  async deactivate(viewer: Viewer, userId: Types.ObjectId, ip?: string): Promise<UserRecord> {
    const target = await this.deps.admins.targetFor(viewer, userId, { fresh: true });
    assertNotAdmin(target, 'deactivated');
    const now = this.deps.clock();
    // Conditional on the role too: a promotion racing this one must not leave a deactivated admin.
    const deactivated = await this.deps.models.users
      .findOneAndUpdate(
        { _id: target._id, role: Role.USER, deactivatedAt: { $exists: false } },
        { $set: { deactivatedAt: now } },
        { returnDocument: 'after' },
      )
      .lean<UserRecord>();
    const user = deactivated ?? (await this.current(target._id));
    assertNotAdmin(user, 'deactivated');
    if (deactivated) await this.deps.notices.accountDeactivated(deactivated);
    await this.endAccess(user._id, { actorId: viewer.user._id, ip });
    if (deactivated)
      await this.deps.audit.record({
        type: AuditEventType.USER_DEACTIVATED,
        userId: user._id,
        actorId: viewer.user._id,
        ip,
      });
    return user;
  }

  /**
   * Opens a deactivated account again; sessions ended by the deactivation stay
   * ended. API keys work again. A sign-in already past its password when the
   * deactivation landed may have issued a session or an mfaToken afterwards,
   * which only the deactivated state held back: those end here, so that
   * nothing issued before the reactivation works after it.
   */
  async reactivate(viewer: Viewer, userId: Types.ObjectId, ip?: string): Promise<UserRecord> {
    const target = await this.deps.admins.targetFor(viewer, userId, { fresh: true });
    const reactivated = await this.deps.models.users
      .findOneAndUpdate(
        { _id: target._id, deactivatedAt: { $exists: true } },
        { $unset: { deactivatedAt: 1 } },
        { returnDocument: 'after' },
      )
      .lean<UserRecord>();
    if (!reactivated) return this.current(target._id); // already active
    await this.deps.credentialChange.credentialsChanged(reactivated._id, {
      reason: 'issued_while_deactivated',
      actorId: viewer.user._id,
      ip,
      auditNone: false,
    });
    await this.deps.audit.record({
      type: AuditEventType.USER_REACTIVATED,
      userId: reactivated._id,
      actorId: viewer.user._id,
      ip,
    });
    await this.deps.notices.accountReactivated(reactivated);
    return reactivated;
  }

  /**
   * Deletes an account: factors, sessions, API keys, recovery codes (kept on
   * the account) and pending sign-ins go with it, and the username is free
   * again. The audit trail keeps its events under the account's id, with the
   * name and address replaced by `deleted-user-<id>`. The account is
   * deactivated first, so an interrupted deletion leaves it shut, and deleting
   * it again finishes the work. Never an admin (an admin is demoted first, and
   * the last admin cannot be), so never the last admin, nor the caller.
   */
  async delete(viewer: Viewer, userId: Types.ObjectId, ip?: string): Promise<boolean> {
    const target = await this.deps.admins.targetFor(viewer, userId, { fresh: true });
    assertNotAdmin(target, 'deleted');
    const now = this.deps.clock();
    await this.deps.models.users.updateOne(
      { _id: target._id, role: Role.USER, deactivatedAt: { $exists: false } },
      { $set: { deactivatedAt: now } },
    );
    const shut = await this.current(target._id);
    assertNotAdmin(shut, 'deleted'); // promoted before the deactivation landed
    const owned = { userId: shut._id };
    await Promise.all([
      this.deps.models.sessions.deleteMany(owned),
      this.deps.models.apiKeys.deleteMany(owned),
      this.deps.models.factors.deleteMany(owned),
      this.deps.models.signInChallenges.deleteMany(owned),
      this.deps.models.accountTokens.deleteMany(owned), // e-mail verification and password-reset tokens
      this.deps.models.trustedDevices.deleteMany(owned),
    ]);
    const pseudonym = deletedUserPseudonym(shut._id);
    // Before the deletion, so that an interrupted one, deleted again, still does it; and after, for the sign-ins
    // refused in between.
    await this.pseudonymiseEvents(shut, pseudonym);
    await this.deps.throttle.forgetName(shut.usernameKey);
    const deleted = await this.deps.models.users
      .findOneAndDelete({ _id: shut._id, role: Role.USER })
      .lean<UserRecord>();
    if (!deleted) throw notFound('User'); // deleted by a parallel request, which audits and notifies
    await this.pseudonymiseEvents(deleted, pseudonym);
    await this.deps.audit.record({
      type: AuditEventType.USER_DELETED,
      userId: deleted._id,
      actorId: viewer.user._id,
      ip,
      details: { username: pseudonym },
    });
    await this.deps.notices.accountDeleted(deleted);
    return true;
  }

  /**
   * Changes a user's role. This may concern another admin (demoting one is how
   * an admin is removed), but never leaves no admin (LastAdminGuard). A new
   * admin is held to admin rules at once: MFA ENABLED, so their password-only
   * sessions end and their next sign-in needs a second factor (or enrolls
   * one). A deactivated account cannot become an admin.
   */
  async setRole(viewer: Viewer, userId: Types.ObjectId, role: Role, ip?: string): Promise<UserRecord> {
    await this.deps.admins.assertMfaAdmin(viewer, { fresh: true });
    const target = await this.current(userId);
    if (target.role === role) return target;
    let changed: UserRecord | null;
    if (role === Role.ADMIN) {
      if (target.deactivatedAt)
        throw badInput('userId', 'A deactivated account cannot become an admin: reactivate it first.');
      changed = await this.deps.models.users
        .findOneAndUpdate(
          { _id: userId, role: Role.USER, deactivatedAt: { $exists: false } },
          { $set: { role: Role.ADMIN, mfaPolicyStatus: MfaPolicyStatus.ENABLED } },
          { returnDocument: 'after' },
        )
        .lean<UserRecord>();
      if (!changed) {
        // Deactivated or promoted by a parallel request: say which.
        const now = await this.current(userId);
        if (now.role === Role.ADMIN) return now;
        throw badInput('userId', 'A deactivated account cannot become an admin: reactivate it first.');
      }
      await this.deps.sessions.endPasswordOnlySessions(userId, { actorId: viewer.user._id, ip });
      // Never honoured for an admin, and forgotten so that a later demotion does not bring them back.
      await this.deps.trustedDevices.revokeAllOf(userId, { reason: 'became_admin', actorId: viewer.user._id, ip });
      await this.deps.sessions.endWaivedSessions(userId, { actorId: viewer.user._id, ip });
    } else {
      const demotion = await this.deps.lastAdmin.demote(userId);
      if (!demotion.changed) return demotion.user; // a parallel demotion did it, and audits and tells it
      changed = demotion.user;
    }
    await this.deps.audit.record({
      type: AuditEventType.USER_ROLE_CHANGED,
      userId,
      actorId: viewer.user._id,
      ip,
      details: { from: target.role, to: role },
    });
    await this.deps.notices.roleChanged(changed, role);
    return changed;
  }

  /**
   * The events about a deleted account's name (failed, throttled and locked-out
   * sign-ins; some, for a name nobody had yet, carry no userId) keep
   * `pseudonym` instead of the name. A throttled or locked-out sign-in's
   * `bucket` (the key that gathers its repeats) holds an unsalted digest of
   * the name, which anyone can find again by trying names: it goes too (later
   * repeats of that refusal start a new event).
   */
  private async pseudonymiseEvents(user: UserRecord, pseudonym: string): Promise<void> {
    await this.deps.models.auditEvents.updateMany(
      { 'details.username': { $in: [...new Set([user.usernameKey, user.username])] } },
      { $set: { 'details.username': pseudonym }, $unset: { bucket: 1 } },
    );
  }

  /** The account as stored now; NOT_FOUND once gone. */
  private async current(userId: Types.ObjectId): Promise<UserRecord> {
    const user = await this.deps.models.users.findById(userId).lean<UserRecord>();
    if (!user) throw notFound('User');
    return user;
  }

  /**
   * Ends every way into a shut account: what a credential change ends (sessions, pending mfaTokens, reset tokens, a
   * pending e-mail change), and pending enrollments (API keys are refused while it is shut).
   */
  private async endAccess(userId: Types.ObjectId, context: { actorId: Types.ObjectId; ip?: string }): Promise<void> {
    await this.deps.credentialChange.credentialsChanged(userId, { reason: 'deactivated', ...context });
    await this.deps.models.factors.deleteMany({ userId, status: FactorStatus.PENDING });
  }

  /** The username or address substring, escaped (no pattern of the caller's), the name compared as sign-in compares names. */
  private textCondition(text: string): Record<string, unknown> {
    if (text.length === 0 || text.length > MAX_USER_SEARCH_CHARS)
      throw badInput('text', `text is 1 to ${MAX_USER_SEARCH_CHARS} characters.`);
    return {
      $or: [
        { usernameKey: { $regex: escapeRegExp(usernameKey(text)) } },
        { email: { $regex: escapeRegExp(text), $options: 'i' } },
      ],
    };
  }
}

/** Admins are not deactivated or deleted (another admin's account is refused earlier, by AdminAccess): demote first. */
function assertNotAdmin(user: UserRecord, what: 'deactivated' | 'deleted'): void {
  if (user.role === Role.ADMIN)
    throw forbidden(`An admin account cannot be ${what}: change its role to USER first (setUserRole).`);
}

/** `text` as a pattern that matches exactly it. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
