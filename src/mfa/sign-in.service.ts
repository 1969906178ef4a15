import { Types } from 'mongoose';
import { leanDocument } from '../db/lean-document.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import { findOneWithOwner, findOneWithOwnerAndOwned } from '../db/with-owner.js';
import { MfaPolicyStatus, Role, type UserModel, type UserRecord } from '../accounts/user.model.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditRecorder, AuditService } from '../audit/audit.service.js';
import { AppError, ErrorCode, badInput, forbidden, tokenExpired } from '../errors.js';
import type { SessionViewer } from '../auth/viewer.js';
import { SecondFactorWaiver, SessionScope, type SessionModel } from '../sessions/session.model.js';
import type { SessionOrigin, SessionsService } from '../sessions/sessions.service.js';
import { hashToken, newOpaqueToken, opaqueTokenHash } from '../crypto/opaque-token.js';
import { FactorStatus, type FactorModel, type FactorRecord } from './factor.model.js';
import type { FactorsService } from './factors.service.js';
import type { SecondFactorProof, SecondFactorService } from './second-factor.service.js';
import type { SignInChallengeModel, SignInChallengeRecord } from './sign-in-challenge.model.js';
import type { TrustedDevicesService } from './trusted-devices.service.js';
import type { EnrollmentGrace } from './enrollment-grace.js';

/** An mfaToken lives this long and serves one sign-in: time to open an app or a mail, but a leaked token soon dies. */
export const MFA_TOKEN_TTL_MS = 5 * 60_000;
export const MFA_TOKEN_PREFIX = 'mfa_mt_';

/**
 * A session a sign-in issued, as it is handed out: its token and when it ends at the latest (how long a cookie
 * carrying it may live). `cookie` when verifyMfa finished a sign-in that asked for the session cookie.
 */
export type SignedIn = {
  kind: 'signedIn';
  user: UserRecord;
  accessToken: string;
  absoluteExpiresAt: Date;
  /** verifyMfa with rememberDevice, when the policy remembers this user's devices: the token and its end. */
  device?: { deviceToken: string; expiresAt: Date };
  enrollmentDeadline?: Date;
  cookie?: boolean;
};

/** How a sign-in ends: signed in, a second factor due, or enrollment due. */
export type SignInOutcome =
  | SignedIn
  | {
      kind: 'mfaRequired';
      user: UserRecord;
      mfaToken: string;
      factors: FactorRecord[];
      /** A deviceToken was given and did not stand in for the second factor (unknown, another user's, expired, revoked). */
      deviceRefused: boolean;
    }
  | {
      kind: 'enrollmentRequired';
      user: UserRecord;
      accessToken: string;
      absoluteExpiresAt: Date;
      enrollmentDeadline?: Date;
    };

/**
 * Password first, then the policy decides: DISABLED signs in; ENABLED asks
 * for a second factor (mfaToken) or, with no ACTIVE factor, gives a session
 * that may only enroll one. With MFA on, login never returns a full session.
 */
export class SignInService {
  constructor(
    private readonly deps: {
      accounts: AccountsService;
      models: {
        users: UserModel;
        signInChallenges: SignInChallengeModel;
        sessions: SessionModel;
        factors: FactorModel;
      };
      sessions: SessionsService;
      factors: FactorsService;
      secondFactor: SecondFactorService;
      trustedDevices: TrustedDevicesService;
      grace: EnrollmentGrace;
      audit: AuditService;
      clock: () => Date;
    },
  ) {}

  /**
   * `userAgent` is kept with the session it issues, so the owner and admins can tell sessions apart. `deviceToken`
   * (from verifyMfa's rememberDevice) stands in for the second factor when it works for this user; when it does not,
   * the sign-in goes on as without it. `cookie` (the session is to come as the session cookie) is kept with the
   * mfaToken, so verifyMfa delivers the session the way the sign-in asked.
   */
  async login(
    username: string,
    password: string,
    ip: string,
    userAgent?: string,
    deviceToken?: string,
    cookie = false,
  ): Promise<SignInOutcome> {
    const user = await this.deps.accounts.checkPassword(username, password, ip);
    const now = this.deps.clock();
    // Read with the hash just checked: what this sign-in issues stands only while the password is still that one.
    const credentialsVersion = user.credentialsVersion ?? 0;
    if (user.mfaPolicyStatus === MfaPolicyStatus.DISABLED)
      return this.signedIn(user, { ip, userAgent, method: 'password', credentialsVersion });
    const factors = await this.deps.factors.activeFactors(user._id);
    if (factors.length === 0) {
      const { accessToken, session } = await this.deps.sessions.issue(user._id, SessionScope.ENROLLMENT, {
        ip,
        userAgent,
        method: 'password',
        credentialsVersion,
      });
      // Within the enrollment grace the answer says until when skipEnrollment may turn this into a full session.
      const enrollmentDeadline = await this.deps.grace.deadlineFor(user);
      await this.deps.audit.record({
        type: AuditEventType.SIGN_IN_ENROLLMENT_REQUIRED,
        userId: user._id,
        ip,
        ...(enrollmentDeadline ? { details: { enrollmentDeadline: enrollmentDeadline.toISOString() } } : {}),
      });
      return {
        kind: 'enrollmentRequired',
        user,
        accessToken,
        absoluteExpiresAt: session.absoluteExpiresAt,
        enrollmentDeadline,
      };
    }
    if (deviceToken) {
      const remembered = await this.rememberedDeviceSignIn(user, deviceToken, { ip, userAgent, credentialsVersion });
      if (remembered) return remembered;
    }
    const mfaToken = newOpaqueToken(MFA_TOKEN_PREFIX);
    // Through the driver, not a mongoose document (every sign-in with MFA writes one): each field has its schema type.
    await this.deps.models.signInChallenges.collection.insertOne(
      leanDocument<SignInChallengeRecord>({
        _id: new Types.ObjectId(),
        tokenHash: hashToken(mfaToken),
        userId: user._id,
        ip,
        createdAt: now,
        expiresAt: new Date(now.getTime() + MFA_TOKEN_TTL_MS),
        credentialsVersion,
        ...(cookie ? { cookie } : {}),
      }),
    );
    await this.deps.audit.record({ type: AuditEventType.SIGN_IN_MFA_REQUIRED, userId: user._id, ip });
    return { kind: 'mfaRequired', user, mfaToken, factors, deviceRefused: Boolean(deviceToken) };
  }

  /**
   * Finishes a sign-in with a second factor; the mfaToken is spent with it, so it serves once. With
   * `rememberDevice`, the outcome carries a device token when the policy remembers devices (none for admins).
   */
  async verify(
    mfaToken: string,
    proof: SecondFactorProof,
    ip: string,
    userAgent?: string,
    rememberDevice = false,
  ): Promise<SignedIn> {
    // The proof's events and the sign-in's are written together, with one write, before the answer.
    return this.deps.audit.together(async (audit) => {
      // Refused before the proof when the account is deactivated, so a code tried on a raced mfaToken is not spent.
      // The user's ACTIVE factors come with it, so the proof reads none.
      const { challenge, activeFactors } = await this.liveChallengeWithFactors(mfaToken);
      // The proof reads the user itself, as it reserves the attempt.
      const { user, factor } = await this.deps.secondFactor.prove(challenge.userId, proof, {
        ip,
        purpose: 'sign-in',
        binding: { signInChallengeId: challenge._id },
        activeFactors,
        audit,
      });
      // Deactivation and a password change spend the account's mfaTokens, but either may land during the proof: checked again.
      if (user.deactivatedAt || !ofCurrentCredentials(challenge, user)) throw tokenExpired('mfaToken');
      const spent = await this.deps.models.signInChallenges.updateOne(
        { _id: challenge._id, consumedAt: { $exists: false } },
        { $set: { consumedAt: this.deps.clock() } },
      );
      if (spent.modifiedCount === 0) throw tokenExpired('mfaToken');
      // The password's version, not the user's now: a change landing after the proof still ends this session.
      const credentialsVersion = challenge.credentialsVersion ?? 0;
      const outcome = await this.signedIn(
        user,
        {
          ip,
          userAgent,
          method: factor ? factor.type : 'recovery_code',
          mfaVerifiedAt: this.deps.clock(),
          credentialsVersion,
        },
        audit,
      );
      const delivered = { ...outcome, cookie: challenge.cookie === true };
      if (!rememberDevice) return delivered;
      const device = await this.deps.trustedDevices.issue(user, { credentialsVersion, ip, userAgent });
      return { ...delivered, device };
    });
  }

  /**
   * A full session with no second-factor proof, when `deviceToken` names a device this user had remembered and the
   * policy still honours; undefined otherwise. The device is re-read once the session exists: a revocation that
   * landed meanwhile (revokeTrustedDevice, revokeOtherSessions) wins, and this session ends before it is handed out.
   */
  private async rememberedDeviceSignIn(
    user: UserRecord,
    deviceToken: string,
    origin: { ip: string; userAgent?: string; credentialsVersion: number },
  ): Promise<SignedIn | undefined> {
    const device = await this.deps.trustedDevices.use(user, deviceToken, origin);
    if (!device) return undefined;
    const { accessToken, session } = await this.deps.sessions.issue(user._id, SessionScope.FULL, {
      ...origin,
      method: SecondFactorWaiver.TRUSTED_DEVICE,
      secondFactorWaiver: SecondFactorWaiver.TRUSTED_DEVICE,
      trustedDeviceId: device._id,
    });
    if (!(await this.deps.trustedDevices.stillTrusted(device._id))) {
      await this.deps.sessions.revoke(session._id);
      return undefined;
    }
    await this.deps.audit.record({
      type: AuditEventType.SIGN_IN_SUCCEEDED,
      userId: user._id,
      ip: origin.ip,
      details: { method: SecondFactorWaiver.TRUSTED_DEVICE, deviceId: device._id.toHexString() },
    });
    return { kind: 'signedIn', user, accessToken, absoluteExpiresAt: session.absoluteExpiresAt };
  }

  /**
   * Trades an enrollment-scoped session for a full one, within the user's enrollment grace (EnrollmentGrace): a
   * normal session that passed no second factor (there is none yet), ending at the deadline at the latest. The
   * enrollment-scoped session is spent by one conditional update, so parallel calls open one session. Never for
   * admins; after the deadline, or with enrollmentGraceDays 0, FORBIDDEN: enrolling is the way in.
   */
  async skipEnrollment(viewer: SessionViewer, ip: string, userAgent?: string): Promise<SignedIn> {
    const { user, session } = viewer;
    if (session.scope !== SessionScope.ENROLLMENT)
      throw forbidden('Only a session waiting for a first factor (enrollmentRequired) can skip enrolling.');
    if (user.role === Role.ADMIN) throw forbidden('Admins always use MFA: enroll a factor (enableMfa, acceptMfa).');
    const enrollmentDeadline = await this.deps.grace.deadlineFor(user);
    if (!enrollmentDeadline || (await this.deps.factors.hasActiveFactor(user._id)))
      throw forbidden('Enrolling a second factor can no longer be skipped: enroll one (enableMfa, acceptMfa).');
    const spent = await this.deps.models.sessions.updateOne(
      { _id: session._id, scope: SessionScope.ENROLLMENT, revokedAt: { $exists: false } },
      { $set: { revokedAt: new Date() } },
    );
    if (spent.modifiedCount === 0) throw new AppError(ErrorCode.UNAUTHENTICATED, 'This session has ended.');
    const issued = await this.deps.sessions.issue(user._id, SessionScope.FULL, {
      ip,
      userAgent,
      method: 'password',
      secondFactorWaiver: SecondFactorWaiver.ENROLLMENT_GRACE,
      // The enrollment-scoped session's stamp: a password change since it was issued ends this one too.
      credentialsVersion: session.credentialsVersion ?? 0,
      // And its sign-in's time: no password is asked here, so this session's sign-in is no more recent than that one
      // (assertRecentSignIn), or a stolen enrollment session of any age would become a recent sign-in by skipping.
      signedInAt: session.signedInAt ?? session.createdAt,
      maxLifetimeMs: enrollmentDeadline.getTime() - this.deps.clock().getTime(),
    });
    await this.deps.audit.record({
      type: AuditEventType.ENROLLMENT_SKIPPED,
      userId: user._id,
      ip,
      details: { enrollmentDeadline: enrollmentDeadline.toISOString() },
    });
    return {
      kind: 'signedIn',
      user,
      accessToken: issued.accessToken,
      absoluteExpiresAt: issued.session.absoluteExpiresAt,
      enrollmentDeadline,
    };
  }

  /** A fresh second-factor proof for this session, for the changes that need one. */
  async stepUp(user: UserRecord, sessionId: Types.ObjectId, proof: SecondFactorProof, ip: string): Promise<Date> {
    return this.deps.audit.together(async (audit) => {
      await this.deps.secondFactor.prove(user._id, proof, { ip, purpose: 'step-up', binding: { sessionId }, audit });
      const at = this.deps.clock();
      await this.deps.sessions.recordSecondFactor(sessionId, at);
      await audit.record({ type: AuditEventType.STEPPED_UP, userId: user._id, ip });
      return at;
    });
  }

  /**
   * A live mfaToken and its user, read together. Deactivation spends the
   * account's mfaTokens, as does a password change; the owner's state also
   * refuses one issued by a sign-in that was already past its password when
   * either landed. (beginMfa and sendMfaCode need it too.)
   */
  async liveChallenge(mfaToken: string): Promise<{ challenge: SignInChallengeRecord; owner: UserRecord }> {
    const found = await findOneWithOwner(this.deps.models.signInChallenges, this.deps.models.users, {
      tokenHash: mfaTokenHash(mfaToken),
    });
    return this.live(found);
  }

  /** As liveChallenge, with the owner's ACTIVE factors read in the same round trip (verifyMfa, beginMfa, sendMfaCode). */
  async liveChallengeWithFactors(
    mfaToken: string,
  ): Promise<{ challenge: SignInChallengeRecord; owner: UserRecord; activeFactors: FactorRecord[] }> {
    const found = await findOneWithOwnerAndOwned(
      this.deps.models.signInChallenges,
      this.deps.models.users,
      { model: this.deps.models.factors, match: { status: FactorStatus.ACTIVE } },
      { tokenHash: mfaTokenHash(mfaToken) },
    );
    return { ...this.live(found), activeFactors: found?.owned ?? [] };
  }

  private live(found: { record: SignInChallengeRecord; owner: UserRecord | undefined } | undefined): {
    challenge: SignInChallengeRecord;
    owner: UserRecord;
  } {
    if (!found?.owner || found.owner.deactivatedAt || !ofCurrentCredentials(found.record, found.owner))
      throw tokenExpired('mfaToken');
    this.assertLive(found.record);
    return { challenge: found.record, owner: found.owner };
  }

  /** An mfaToken serves one sign-in, for five minutes. */
  private assertLive(challenge: SignInChallengeRecord): void {
    if (challenge.consumedAt || challenge.expiresAt <= this.deps.clock()) throw tokenExpired('mfaToken');
  }

  private async signedIn(
    user: UserRecord,
    origin: SessionOrigin,
    audit: AuditRecorder = this.deps.audit,
  ): Promise<SignedIn> {
    const { accessToken, session } = await this.deps.sessions.issue(user._id, SessionScope.FULL, origin);
    await audit.record({
      type: AuditEventType.SIGN_IN_SUCCEEDED,
      userId: user._id,
      ip: origin.ip,
      details: { method: origin.method },
    });
    return { kind: 'signedIn', user, accessToken, absoluteExpiresAt: session.absoluteExpiresAt };
  }
}

/** Whether an mfaToken was issued for the user's current password (a missing stamp or field reads as 0). */
function ofCurrentCredentials(challenge: SignInChallengeRecord, user: UserRecord): boolean {
  return (challenge.credentialsVersion ?? 0) === (user.credentialsVersion ?? 0);
}

/** What the database keeps of an mfaToken; anything not shaped like one is refused before any lookup. */
function mfaTokenHash(mfaToken: string): string {
  const hash = opaqueTokenHash(mfaToken, MFA_TOKEN_PREFIX);
  if (!hash) throw badInput('mfaToken', 'That is not an mfaToken.');
  return hash;
}
