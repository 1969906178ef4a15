import { Types } from 'mongoose';
import { MfaPolicyStatus, Role, type UserModel, type UserRecord } from '../accounts/user.model.js';
import { leanDocument } from '../db/lean-document.js';
import { findOneWithOwner } from '../db/with-owner.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import type { SessionViewer, Viewer } from '../auth/viewer.js';
import type { Config } from '../config/config.js';
import { AppError, ErrorCode } from '../errors.js';
import type { AdminAccess } from '../mfa/admin-access.js';
import type { TrustedDevicesService } from '../mfa/trusted-devices.service.js';
import { SessionScope, type SecondFactorWaiver, type SessionModel, type SessionRecord } from './session.model.js';
import { LAST_USED_RESOLUTION_MS, hashToken, newOpaqueToken } from '../crypto/opaque-token.js';
import type { CredentialCache } from './credential-cache.js';

export const ACCESS_TOKEN_PREFIX = 'mfa_at_';

/** Most sessions `sessions` lists, newest first; a user signing in again and again must not make the answer unbounded. */
export const MAX_LISTED_SESSIONS = 100;

/** Why sessions were ended in bulk, as the audit trail records it. */
export type EndedBecause =
  | 'first_factor'
  | 'factors_removed_by_admin'
  | 'revoked_by_admin'
  | 'revoked_by_owner'
  | 'others_revoked_by_owner'
  | 'deactivated'
  | 'issued_while_deactivated'
  | 'mfa_required'
  | 'became_admin'
  | 'password_changed'
  | 'password_reset'
  | 'password_reset_required'
  | 'policy_narrowed';

/**
 * revokeSession's one answer for an id that names no live session of the
 * caller's: another user's, a malformed one, one already ended or expired
 * are refused alike, so the answer tells nothing about other users' sessions.
 */
const noSuchSession = () =>
  new AppError(ErrorCode.NOT_FOUND, 'You have no live session with that id.', { field: 'id' });

export interface IssuedSession {
  accessToken: string;
  session: SessionRecord;
}

/** Where a sign-in came from and how it was proven, kept with the session it issues. */
export interface SessionOrigin {
  ip?: string;
  userAgent?: string;
  /** "password", a factor type, or "recovery_code". */
  method: string;
  mfaVerifiedAt?: Date;
  /** When the password was checked, if not now: the session this one replaces was opened then (see SessionRecord). */
  signedInAt?: Date;
  /** The user's credentialsVersion read with the password the sign-in checked (see UserRecord.credentialsVersion). */
  credentialsVersion: number;
  /** What stood in for the second factor (see SecondFactorWaiver), and the remembered device when it was one. */
  secondFactorWaiver?: SecondFactorWaiver;
  trustedDeviceId?: Types.ObjectId;
  /**
   * The session lasts at most this long, whatever SESSION_TTL_MINUTES allows (what is left of an enrollment grace).
   * A duration rather than a date: the grace is counted on the MFA clock, sessions on the server's own.
   */
  maxLifetimeMs?: number;
}

export class SessionsService {
  constructor(
    private readonly deps: {
      models: { sessions: SessionModel; users: UserModel };
      audit: AuditService;
      admins: AdminAccess;
      trustedDevices: TrustedDevicesService;
      /** Sessions this process has seen, so a warm request reads no database. */
      cache: CredentialCache;
      options: Config['sessions'];
    },
  ) {}

  async issue(userId: Types.ObjectId, scope: SessionScope, origin: SessionOrigin): Promise<IssuedSession> {
    const accessToken = newOpaqueToken(ACCESS_TOKEN_PREFIX);
    const now = new Date();
    const absoluteExpiresAt = new Date(
      now.getTime() + Math.min(this.deps.options.absoluteTtlMs, origin.maxLifetimeMs ?? Infinity),
    );
    // Through the driver, not a mongoose document (every sign-in issues one): each field already has its schema type.
    const session = leanDocument<SessionRecord>({
      _id: new Types.ObjectId(),
      tokenHash: hashToken(accessToken),
      userId,
      scope,
      mfaVerifiedAt: origin.mfaVerifiedAt,
      createdAt: now,
      signedInAt: origin.signedInAt,
      lastUsedAt: now,
      absoluteExpiresAt,
      expiresAt: this.expiryAfterUse(now, absoluteExpiresAt),
      ip: origin.ip,
      userAgent: origin.userAgent,
      method: origin.method,
      credentialsVersion: origin.credentialsVersion,
      secondFactorWaiver: origin.secondFactorWaiver,
      trustedDeviceId: origin.trustedDeviceId,
    });
    await this.deps.models.sessions.collection.insertOne(session);
    return { accessToken, session };
  }

  /**
   * The live session behind an access token and its user: from this process's CredentialCache when it holds them,
   * otherwise read together in one round trip (and cached). Refreshes the idle deadline at most every
   * LAST_USED_RESOLUTION_MS. Undefined when unknown, ended or expired. The records are the caller's own copies.
   */
  async authenticate(
    accessToken: string,
    now = new Date(),
  ): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
    const tokenHash = hashToken(accessToken);
    const key = `session:${tokenHash}`;
    const { cache } = this.deps;
    const found = await cache.lookup('session', key, {
      read: async () => {
        const read = await findOneWithOwner(this.deps.models.sessions, this.deps.models.users, { tokenHash });
        return read?.owner ? { session: read.record, user: read.owner } : undefined;
      },
      usable: ({ session, user }) => stands(session, user, now),
      owner: ({ session }) => ownerOf(session),
    });
    if (!found) return undefined;
    const { ticket, value: credential } = found;
    let { session } = credential;
    if (now.getTime() - session.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      session = { ...session, lastUsedAt: now, expiresAt: this.expiryAfterUse(now, session.absoluteExpiresAt) };
      // Cached at once, so parallel requests do not all write it; not an invalidation (refresh false), and written
      // through the driver rather than the model: a later deadline narrows nothing another process may have cached.
      cache.set(key, { session, user: credential.user }, ownerOf(session), ticket, false);
      await this.deps.models.sessions.collection.updateOne(
        { _id: session._id },
        { $set: { lastUsedAt: session.lastUsedAt, expiresAt: session.expiresAt } },
      );
    }
    return { session: { ...session }, user: { ...credential.user } };
  }

  /** The live sessions of the viewer, or, for an admin with MFA, of `userId`; newest first. */
  async list(viewer: Viewer, userId?: Types.ObjectId): Promise<SessionRecord[]> {
    const whose = await this.deps.admins.whose(viewer, userId);
    const owner = whose.equals(viewer.user._id)
      ? viewer.user
      : await this.deps.models.users.findById(whose).lean<UserRecord>();
    if (!owner) return []; // as for API keys and audit events: nothing stands for an unknown user
    const standing = standingFilter(owner, new Date());
    if (!standing) return [];
    return this.deps.models.sessions
      .find({ userId: whose, ...standing })
      .sort({ _id: -1 })
      .limit(MAX_LISTED_SESSIONS)
      .lean<SessionRecord[]>();
  }

  /** Records a second-factor proof in the session (step-up), widening an enrollment-scoped session when asked. */
  async recordSecondFactor(sessionId: Types.ObjectId, at: Date, scope?: SessionScope): Promise<void> {
    await this.deps.models.sessions.updateOne(
      { _id: sessionId, revokedAt: { $exists: false } },
      { $set: { mfaVerifiedAt: at, ...(scope ? { scope } : {}) } },
    );
  }

  /**
   * Whether a session of `user` still stands, as `authenticate` would find it: a pending e-mail change lives only as
   * long as the session that asked for it.
   */
  async standsFor(sessionId: Types.ObjectId, user: UserRecord): Promise<boolean> {
    // Sessions keep the server's own time (as `issue` and `authenticate` do).
    const standing = standingFilter(user, new Date());
    if (!standing) return false;
    return (await this.deps.models.sessions.exists({ _id: sessionId, userId: user._id, ...standing })) !== null;
  }

  /**
   * The session that changed its owner's password keeps standing: it is stamped with the new credentialsVersion.
   * Only while it is not revoked, so a session ended meanwhile stays ended.
   */
  async carryOver(sessionId: Types.ObjectId, credentialsVersion: number): Promise<void> {
    await this.deps.models.sessions.updateOne(
      { _id: sessionId, revokedAt: { $exists: false } },
      { $set: { credentialsVersion } },
    );
  }

  async revoke(sessionId: Types.ObjectId): Promise<void> {
    await this.deps.models.sessions.updateOne(
      { _id: sessionId, revokedAt: { $exists: false } },
      { $set: { revokedAt: new Date() } },
    );
  }

  /**
   * The owner ends one of their own sessions, the calling one included (then
   * it is a sign-out): any not yet ended, also one that does not stand now.
   * No step-up: ending a session only takes access away, as in Keycloak's and
   * Kratos' account consoles, and a user who lost their factor must still be
   * able to end a session they do not recognise.
   */
  async revokeOwn(viewer: SessionViewer, id: string, ip?: string): Promise<void> {
    if (!/^[0-9a-f]{24}$/i.test(id)) throw noSuchSession();
    const sessionId = new Types.ObjectId(id);
    const now = new Date();
    const { modifiedCount } = await this.deps.models.sessions.updateOne(
      { _id: sessionId, userId: viewer.user._id, ...unended(now) },
      { $set: { revokedAt: now } },
    );
    if (modifiedCount === 0) throw noSuchSession();
    await this.deps.audit.record({
      type: AuditEventType.SESSIONS_REVOKED,
      userId: viewer.user._id,
      ip,
      details: {
        count: 1,
        reason: 'revoked_by_owner',
        sessionId: sessionId.toHexString(),
        current: viewer.session._id.equals(sessionId),
      },
    });
  }

  /**
   * The owner ends every other session of theirs not yet ended and keeps the
   * calling one; how many ended (audited, even when none). Also those that do
   * not stand now (made by the password alone while MFA is ENABLED): they
   * would stand again were MFA turned off. Only sessions read by the call are
   * ended, so a sign-in finishing meanwhile, from any process, keeps its new
   * session; each is ended by one conditional update, so two parallel calls
   * never count one session twice.
   */
  async revokeOthers(viewer: SessionViewer, ip?: string): Promise<number> {
    // Remembered devices first: a sign-in with one whose session this read misses finds its device forgotten and ends
    // that session itself (TrustedDevicesService.stillTrusted).
    await this.deps.trustedDevices.revokeAllOf(viewer.user._id, {
      reason: 'others_revoked_by_owner',
      ip,
      sessionsEndedByCaller: true,
    });
    const now = new Date();
    const live = await this.deps.models.sessions
      .find({ userId: viewer.user._id, _id: { $ne: viewer.session._id }, ...unended(now) }, { _id: 1 })
      .lean<SessionRecord[]>();
    const { modifiedCount: count } =
      live.length === 0
        ? { modifiedCount: 0 }
        : await this.deps.models.sessions.updateMany(
            { _id: { $in: live.map((session) => session._id) }, revokedAt: { $exists: false } },
            { $set: { revokedAt: now } },
          );
    await this.deps.audit.record({
      type: AuditEventType.SESSIONS_REVOKED,
      userId: viewer.user._id,
      ip,
      details: { count, reason: 'others_revoked_by_owner' },
    });
    return count;
  }

  /** An admin with a fresh second factor signs a user out everywhere; another admin's sessions are theirs to end. Returns how many ended. */
  async revokeAllFor(viewer: Viewer, userId: Types.ObjectId, ip?: string): Promise<number> {
    const target = await this.deps.admins.targetFor(viewer, userId, { fresh: true });
    // Devices before sessions, as in revokeOthers.
    await this.deps.trustedDevices.revokeAllOf(target._id, {
      reason: 'revoked_by_admin',
      actorId: viewer.user._id,
      ip,
      sessionsEndedByCaller: true,
    });
    return this.endSessionsOf(target._id, { reason: 'revoked_by_admin', actorId: viewer.user._id, ip });
  }

  /**
   * Ends every session of a user but `except`, and audits it when any ended,
   * and also when none did if an admin (`actorId`) did it, unless `auditNone`
   * is false (ending is then a side effect of another, audited, change).
   * Returns how many ended.
   */
  async endSessionsOf(
    userId: Types.ObjectId,
    context: {
      reason: EndedBecause;
      except?: Types.ObjectId;
      actorId?: Types.ObjectId;
      ip?: string;
      auditNone?: boolean;
    },
  ): Promise<number> {
    const filter = context.except ? { _id: { $ne: context.except } } : {};
    return this.end(userId, filter, { ...context, auditNone: context.auditNone ?? context.actorId !== undefined });
  }

  /**
   * MFA became ENABLED for the user (an admin turned it on, or made them an
   * admin): their sessions made by the password alone end, audited when any
   * did. Left alone they would only pause (they do not stand while MFA is
   * ENABLED) and stand again were MFA turned off.
   */
  async endPasswordOnlySessions(
    userId: Types.ObjectId,
    context: { actorId?: Types.ObjectId; ip?: string },
  ): Promise<number> {
    return this.end(userId, passwordOnly(), { ...context, reason: 'mfa_required', auditNone: false });
  }

  /**
   * The user became an admin: their sessions in which a remembered device or the enrollment grace stood in for the
   * second factor end (admins get neither), audited when any did. `stands` already holds them back; ending them
   * keeps them from standing again after a demotion.
   */
  async endWaivedSessions(userId: Types.ObjectId, context: { actorId?: Types.ObjectId; ip?: string }): Promise<number> {
    return this.end(
      userId,
      { secondFactorWaiver: { $exists: true } },
      { ...context, reason: 'became_admin', auditNone: false },
    );
  }

  /**
   * Every user's sessions in which `waiver` stood in for the second factor: the policy that allowed it was narrowed
   * (a shorter enrollment grace), so they end and their users sign in again under the new one. Audited with the
   * admin as actor. Returns how many.
   */
  async endAllWaived(waiver: SecondFactorWaiver, context: { actorId: Types.ObjectId; ip?: string }): Promise<number> {
    const { modifiedCount: count } = await this.deps.models.sessions.updateMany(
      { secondFactorWaiver: waiver, revokedAt: { $exists: false } },
      { $set: { revokedAt: new Date() } },
    );
    await this.deps.audit.record({
      type: AuditEventType.SESSIONS_REVOKED,
      actorId: context.actorId,
      ip: context.ip,
      details: { count, reason: 'policy_narrowed', waiver },
    });
    return count;
  }

  private async end(
    userId: Types.ObjectId,
    filter: Record<string, unknown>,
    context: { reason: EndedBecause; actorId?: Types.ObjectId; ip?: string; auditNone: boolean },
  ): Promise<number> {
    const { modifiedCount: count } = await this.deps.models.sessions.updateMany(
      { ...filter, userId, revokedAt: { $exists: false } },
      { $set: { revokedAt: new Date() } },
    );
    if (count > 0 || context.auditNone) {
      await this.deps.audit.record({
        type: AuditEventType.SESSIONS_REVOKED,
        userId,
        actorId: context.actorId,
        ip: context.ip,
        details: { count, reason: context.reason },
      });
    }
    return count;
  }

  private expiryAfterUse(now: Date, absoluteExpiresAt: Date): Date {
    return new Date(Math.min(absoluteExpiresAt.getTime(), now.getTime() + this.deps.options.idleTtlMs));
  }
}

/** What invalidates a cached session: a change to its user, or to itself. */
function ownerOf(session: SessionRecord): { userId: string; recordId: string } {
  return { userId: session.userId.toHexString(), recordId: session._id.toHexString() };
}

/*
 * The rule for a session that stands is stated once, in three parts, each
 * with its record form and its query form side by side: `stands` (for one
 * session, at authentication) and `standingFilter` (for a listing) are both
 * made of them, so they cannot drift apart.
 */

/** Not revoked and before both deadlines: a session its owner may still end. */
function isUnended(session: SessionRecord, now: Date): boolean {
  return !session.revokedAt && session.expiresAt > now && session.absoluteExpiresAt > now;
}
function unended(now: Date): Record<string, unknown> {
  return { revokedAt: { $exists: false }, expiresAt: { $gt: now }, absoluteExpiresAt: { $gt: now } };
}

/** A full session with no second-factor proof and nothing standing in for one: made by the password alone. */
function isPasswordOnly(session: SessionRecord): boolean {
  return session.scope === SessionScope.FULL && !session.mfaVerifiedAt && !session.secondFactorWaiver;
}
function passwordOnly(): Record<string, unknown> {
  return { scope: SessionScope.FULL, mfaVerifiedAt: null, secondFactorWaiver: null };
}

/** Issued since the password last changed: a sign-in that checked the old password keeps nothing it issued. */
function isCurrentCredentials(session: SessionRecord, user: UserRecord): boolean {
  return (session.credentialsVersion ?? 0) === (user.credentialsVersion ?? 0);
}
function currentCredentials(user: UserRecord): Record<string, unknown> {
  const version = user.credentialsVersion ?? 0;
  // A missing stamp (sessions from before it was kept) reads as 0; `null` matches a missing field.
  return { credentialsVersion: version === 0 ? { $in: [0, null] } : version };
}

/** Whether any session of the account may stand: not while it is deactivated or must reset its password. */
function accountAdmitsSessions(user: UserRecord): boolean {
  return !user.deactivatedAt && !user.passwordResetRequired;
}

/** `stands` as a query: the sessions of `user` that still stand at `now`; null when none can. */
function standingFilter(user: UserRecord, now: Date): Record<string, unknown> | null {
  if (!accountAdmitsSessions(user)) return null;
  return {
    ...unended(now),
    ...currentCredentials(user),
    ...(user.mfaPolicyStatus === MfaPolicyStatus.ENABLED ? { $nor: [passwordOnly()] } : {}),
    ...(user.role === Role.ADMIN ? { secondFactorWaiver: null } : {}),
  };
}

/**
 * Whether a session still stands: not revoked or expired, and not made by the
 * password alone (a full session with no second-factor proof) once the
 * account's MFA is ENABLED. The explicit revocations when MFA becomes ENABLED
 * (the first factor becomes ACTIVE, an admin turns it on, a promotion to
 * admin) cannot see a password sign-in that was still running then; this
 * check holds that one back. Nor does a session of a deactivated account
 * stand: deactivation ends them all, and this check also ends one a sign-in
 * that was already past its password check issued meanwhile. Nor, likewise,
 * one of an account whose admin required a password reset. Nor one issued by
 * a sign-in that checked a password since replaced (credentialsVersion): the
 * sessions a change ends cannot see a sign-in still running then. Nor, for an admin, one a remembered device or
 * the enrollment grace opened (SecondFactorWaiver).
 */
function stands(session: SessionRecord, user: UserRecord, now: Date): boolean {
  if (!isUnended(session, now) || !accountAdmitsSessions(user) || !isCurrentCredentials(session, user)) return false;
  // Nothing stands in for an admin's second factor: a session a remembered device or the enrollment grace opened
  // before a promotion does not stand after it.
  if (user.role === Role.ADMIN && session.secondFactorWaiver) return false;
  return !(user.mfaPolicyStatus === MfaPolicyStatus.ENABLED && isPasswordOnly(session));
}
