import { isDuplicateKey } from '../db/duplicate-key.js';
import { Types } from 'mongoose';
import { MfaPolicyStatus, type UserModel, type UserRecord } from '../accounts/user.model.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import type { SessionViewer } from '../auth/viewer.js';
import { AppError, ErrorCode, badInput, forbidden, invalidCode, tokenExpired } from '../errors.js';
import { SessionScope } from '../sessions/session.model.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import { hashToken, newOpaqueToken } from '../crypto/opaque-token.js';
import type { AdminAccess } from './admin-access.js';
import type { ChallengeService } from './challenge.service.js';
import { FactorStatus, type FactorModel, type FactorRecord } from './factor.model.js';
import type { FactorResponse, FactorRuntime } from './factor-runtime.js';
import { assertFactorDescription } from './factor-description.js';
import type { FactorsService } from './factors.service.js';
import type { MfaPolicyService } from './mfa-policy.service.js';
import type { RecoveryCodesService } from './recovery-codes.service.js';
import type { SecurityNotices } from './security-notices.js';
import { assertRecentSecondFactor, assertRecentSignIn } from './step-up.js';

/** enableMfa's token lives this long, and dies after this many wrong codes, so an unfinished enrollment cannot be guessed through. */
export const ENROLLMENT_TTL_MS = 10 * 60_000;
export const ENROLLMENT_MAX_FAILURES = 5;
export const ENROLLMENT_TOKEN_PREFIX = 'mfa_et_';

export interface EnableMfaRequest {
  factorType: string;
  recreate: boolean;
  description?: string | null;
  email?: string | null;
  /** The plugin's own enrollment input (enableMfa's JSON `options`), checked by the plugin. */
  options?: unknown;
  /** ADMIN only: enroll for someone else. */
  userId?: Types.ObjectId;
}

export interface StartedEnrollment {
  owner: UserRecord;
  factor: FactorRecord;
  token: string;
  scratchCodes?: string[];
  details: object;
  expiresAt: Date;
}

/** Factor lifecycle: PENDING (enableMfa) → ACTIVE (acceptMfa) → removed (disableMfa), and recovery codes with it. */
export class EnrollmentService {
  constructor(
    private readonly deps: {
      models: { users: UserModel; factors: FactorModel };
      factors: FactorsService;
      recoveryCodes: RecoveryCodesService;
      runtime: FactorRuntime;
      mfaPolicy: MfaPolicyService;
      admins: AdminAccess;
      sessions: SessionsService;
      audit: AuditService;
      challenges: ChallengeService;
      notices: SecurityNotices;
      clock: () => Date;
    },
  ) {}

  async enable(viewer: SessionViewer, request: EnableMfaRequest, ip?: string): Promise<StartedEnrollment> {
    if (request.description != null) assertFactorDescription(request.description);
    const now = this.deps.clock();
    const forOther = request.userId !== undefined && !request.userId.equals(viewer.user._id);
    const owner = forOther
      ? await this.deps.admins.targetFor(viewer, request.userId!, { fresh: true, active: true })
      : viewer.user;
    const { runtime } = this.deps;
    const plugin = runtime.plugin(await this.deps.mfaPolicy.assertAllowed(request.factorType));
    // A passkey is created on the device that answers the creation options: enrolled by an admin for someone else,
    // it would be the admin's own key to that account, and it signs in without the account's password.
    if (forOther && plugin.discoverable)
      throw forbidden(`${plugin.displayName} factors are created on the user's own device: only they can add one.`);
    const input = runtime.enrollmentInput(plugin, { email: request.email ?? undefined, options: request.options });
    if (plugin.multiplePerUser && request.recreate)
      throw badInput(
        'recreate',
        `${plugin.displayName} factors are added one per device: remove the lost one instead.`,
      );

    const active = await this.deps.factors.activeFactors(owner._id);
    // A type a user holds several of (passkeys) is added to, never replaced.
    const sameType = plugin.multiplePerUser ? undefined : active.find((factor) => factor.type === plugin.type);
    if (sameType && !request.recreate)
      throw new AppError(
        ErrorCode.ALREADY_ENABLED,
        `A ${plugin.displayName} factor is already active; pass recreate: true to replace it.`,
      );
    if (active.length > 0 && !forOther) assertRecentSecondFactor(viewer.session, now);
    // A first factor that also signs in alone (a passkey) is a new way into the account, which a password change
    // would not close: a stolen session may not add one, so the password must have been proven minutes ago.
    else if (plugin.discoverable && !forOther) assertRecentSignIn(viewer.session);

    // Recovery codes come with a user's first factor and with a replacement (lost device); they take effect on acceptance.
    const recoveryCodes = active.length === 0 || sameType ? this.deps.recoveryCodes.issue(owner._id) : undefined;
    const factorId = new Types.ObjectId();
    const existing = active.filter((factor) => factor.type === plugin.type);
    const enrollment = await runtime.enroll(plugin, owner, input, factorId, existing);
    const token = newOpaqueToken(ENROLLMENT_TOKEN_PREFIX);
    const expiresAt = new Date(now.getTime() + ENROLLMENT_TTL_MS);
    // One enrollment of a type at a time: starting again abandons the previous PENDING one.
    await this.deps.models.factors.deleteMany({ userId: owner._id, type: plugin.type, status: FactorStatus.PENDING });
    const [created] = await this.deps.models.factors.create([
      {
        _id: factorId,
        userId: owner._id,
        type: plugin.type,
        status: FactorStatus.PENDING,
        description: request.description ?? undefined,
        secret: enrollment.secret,
        state: enrollment.state,
        pending: {
          tokenHash: hashToken(token),
          expiresAt,
          failures: 0,
          startedBy: viewer.user._id,
          replaces: sameType?._id,
          recoveryCodes: recoveryCodes?.set,
          attemptState: enrollment.attemptState,
        },
        pendingExpiresAt: expiresAt,
        createdAt: now,
      },
    ]);
    if (plugin.delivery) {
      // Factors that deliver codes send the first one now; without it the enrollment cannot be accepted.
      await this.deps.challenges.sendForEnrollment(owner, created.toObject(), ip).catch(async (error: unknown) => {
        await this.deps.models.factors.deleteOne({ _id: factorId });
        throw error;
      });
    }
    await this.deps.audit.record({
      type: AuditEventType.MFA_ENROLLMENT_STARTED,
      userId: owner._id,
      actorId: forOther ? viewer.user._id : undefined,
      ip,
      details: { factorId: factorId.toHexString(), factorType: plugin.type, recreate: Boolean(sameType) },
    });
    return {
      owner,
      factor: created.toObject(),
      token,
      scratchCodes: recoveryCodes?.codes,
      details: enrollment.details,
      expiresAt,
    };
  }

  /**
   * Confirms a PENDING factor with a response from it (a code, a WebAuthn attestation); a code's replay key is
   * spent, so it cannot sign in afterwards.
   */
  async accept(viewer: SessionViewer, token: string, response: FactorResponse, ip?: string): Promise<FactorRecord> {
    const now = this.deps.clock();
    const pending = token.startsWith(ENROLLMENT_TOKEN_PREFIX)
      ? await this.deps.models.factors
          .findOne({ 'pending.tokenHash': hashToken(token), status: FactorStatus.PENDING })
          .lean<FactorRecord>()
      : null;
    const own = pending?.userId.equals(viewer.user._id) ?? false;
    const mayAccept = pending && (own || pending.pending!.startedBy.equals(viewer.user._id));
    if (!pending || !mayAccept || pending.pending!.expiresAt <= now) throw tokenExpired('enrollment token');
    // An admin's acceptance for someone else is the policy change itself: the same freshly proven admin as at enableMfa,
    // and the same target rule (the user may have become an admin since).
    const owner = own
      ? viewer.user
      : await this.deps.admins.targetFor(viewer, pending.userId, { fresh: true, active: true });
    // Started as a first factor (no step-up asked), but another is ACTIVE now: adding this one needs the proof enableMfa would ask for today.
    const startedAsFirst = pending.pending!.recoveryCodes !== undefined && pending.pending!.replaces === undefined;
    if (own && startedAsFirst) await this.deps.factors.assertRecentProofIfEnrolled(viewer, { except: pending._id });
    const { runtime } = this.deps;
    // Checked before a try is reserved: a response too large for the type, or a secret this server cannot open
    // (SERVICE_UNAVAILABLE), costs none.
    runtime.assertFits([pending.type], response);
    const stored = runtime.storedFactor(pending, owner);
    // Reserve the try first, so parallel wrong codes cannot exceed the allowance.
    const reserved = await this.deps.models.factors.updateOne(
      { _id: pending._id, status: FactorStatus.PENDING, 'pending.failures': { $lt: ENROLLMENT_MAX_FAILURES } },
      { $inc: { 'pending.failures': 1 } },
    );
    if (reserved.modifiedCount === 0) throw tokenExpired('enrollment token');
    const { verdict } = await runtime.check(pending, stored, response, {});
    if (!verdict.accepted) {
      await this.deps.audit.record({
        type: AuditEventType.MFA_ENROLLMENT_CODE_FAILED,
        userId: pending.userId,
        ip,
        details: { factorId: pending._id.toHexString() },
      });
      throw invalidCode(await this.triesLeft(pending._id));
    }
    // A credential registered already (to this account or another) is refused, as WebAuthn §7.1 step 22 asks.
    const registeredAlready = () =>
      badInput('response', `That ${runtime.plugin(pending.type).displayName} is registered already.`);
    if (verdict.lookupKey !== undefined && (await runtime.lookupKeyTaken(pending.type, verdict.lookupKey)))
      throw registeredAlready();
    const activated = await this.deps.models.factors
      .findOneAndUpdate(
        { _id: pending._id, status: FactorStatus.PENDING },
        {
          $set: runtime.activation(verdict, now),
          $unset: { pending: 1, pendingExpiresAt: 1 },
        },
        { returnDocument: 'after' },
      )
      .lean<FactorRecord>()
      .catch((error: unknown) => {
        // A parallel acceptance activated the same lookup key first (the check above cannot see it coming).
        if (isDuplicateKey(error)) throw registeredAlready();
        throw error;
      });
    if (!activated) throw tokenExpired('enrollment token');
    // Only the owner's own acceptance proves they read the address; an admin enrolling for them typed a code they were given.
    const proven = own ? runtime.provenEmail(pending, owner) : undefined;
    await this.completeActivation(await this.addressProven(owner, proven, ip), pending, activated, viewer, ip, now);
    return activated;
  }

  /**
   * The enrollment code came back from `address`: when that is the account's
   * address, it is verified now (one conditional update, so an address changed
   * meanwhile is not). Returns the owner as they now stand.
   */
  private async addressProven(owner: UserRecord, address: string | undefined, ip?: string): Promise<UserRecord> {
    if (!address || owner.email !== address || owner.emailVerified === true) return owner;
    const verified = await this.deps.models.users.updateOne(
      { _id: owner._id, email: address, emailVerified: { $ne: true } },
      { $set: { emailVerified: true } },
    );
    if (verified.modifiedCount === 0) return owner;
    await this.deps.audit.record({
      type: AuditEventType.EMAIL_VERIFIED,
      userId: owner._id,
      ip,
      details: { via: 'factor' },
    });
    return { ...owner, emailVerified: true };
  }

  /** Wrong codes the enrollment token still survives, read after this one was counted (so parallel ones are in it). */
  private async triesLeft(factorId: Types.ObjectId): Promise<number> {
    const factor = await this.deps.models.factors
      .findOne({ _id: factorId, status: FactorStatus.PENDING }, { 'pending.failures': 1 })
      .lean<Pick<FactorRecord, 'pending'>>();
    return Math.max(0, ENROLLMENT_MAX_FAILURES - (factor?.pending?.failures ?? ENROLLMENT_MAX_FAILURES));
  }

  private async completeActivation(
    owner: UserRecord,
    pending: FactorRecord,
    activated: FactorRecord,
    viewer: SessionViewer,
    ip: string | undefined,
    now: Date,
  ) {
    const { replaces, recoveryCodes } = pending.pending!;
    if (replaces) {
      await this.deps.models.factors.deleteOne({ _id: replaces, userId: owner._id });
      await this.deps.audit.record({
        type: AuditEventType.MFA_FACTOR_REMOVED,
        userId: owner._id,
        ip,
        details: { factorId: replaces.toHexString(), replacedBy: activated._id.toHexString() },
      });
    }
    const firstFactor = !(await this.deps.factors.hasActiveFactor(owner._id, { except: activated._id }));
    const set: Record<string, unknown> = {};
    // Codes come with the first factor or a replacement; a stale first enrollment must not overwrite the codes saved since.
    const issueCodes = recoveryCodes !== undefined && (replaces !== undefined || firstFactor);
    if (issueCodes) set.recoveryCodes = recoveryCodes;
    // Accepting the first factor turns MFA on for the account (as in Veeam Service Provider Console's mfaPolicyStatus).
    if (firstFactor) set.mfaPolicyStatus = MfaPolicyStatus.ENABLED;
    const ownSession = owner._id.equals(viewer.user._id) ? viewer.session._id : undefined;
    if (ownSession) {
      // Proving the new factor is a second-factor proof; an enrollment-scoped session becomes a full one. Recorded
      // before MFA is ENABLED, so the session never looks password-only to its own parallel requests.
      await this.deps.sessions.recordSecondFactor(ownSession, now, SessionScope.FULL);
    }
    if (Object.keys(set).length > 0) await this.deps.models.users.updateOne({ _id: owner._id }, { $set: set });
    if (firstFactor) {
      // The owner's other sessions rest on the password alone (or on a factor since removed); with MFA on they
      // end, as other sessions do after a credential change (OWASP ASVS 4.0 V3.3.3). The one that proved the
      // factor stays. API keys stay: scripts keep working once MFA is on.
      await this.deps.sessions.endSessionsOf(owner._id, {
        reason: 'first_factor',
        except: ownSession,
        actorId: ownSession ? undefined : viewer.user._id,
        ip,
      });
    }
    await this.deps.audit.record({
      type: AuditEventType.MFA_FACTOR_ACTIVATED,
      userId: owner._id,
      actorId: owner._id.equals(viewer.user._id) ? undefined : viewer.user._id,
      ip,
      details: { factorId: activated._id.toHexString(), factorType: activated.type, recoveryCodesIssued: issueCodes },
    });
    await this.deps.notices.factorAdded(owner, activated.type);
    if (!owner._id.equals(viewer.user._id))
      await this.deps.notices.changedByAdmin(owner, `an administrator added a ${activated.type} factor`);
  }
}
