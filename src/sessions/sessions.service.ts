import type { Types } from 'mongoose';
import { MfaPolicyStatus, type UserModel, type UserRecord } from '../accounts/user.model.js';
import { findOneWithOwner } from '../db/with-owner.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Viewer } from '../auth/viewer.js';
import type { Config } from '../config/config.js';
import type { AdminAccess } from '../mfa/admin-access.js';
import { SessionScope, type SessionModel, type SessionRecord } from './session.model.js';
import { LAST_USED_RESOLUTION_MS, hashToken, newOpaqueToken } from '../crypto/opaque-token.js';

export const ACCESS_TOKEN_PREFIX = 'mfa_at_';

/** Most sessions `sessions` lists, newest first; a user signing in again and again must not make the answer unbounded. */
export const MAX_LISTED_SESSIONS = 100;

/** Why sessions were ended in bulk, as the audit trail records it. */
export type EndedBecause = 'first_factor' | 'factors_removed_by_admin' | 'revoked_by_admin' | 'deactivated';

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
}

export class SessionsService {
  constructor(
    private readonly deps: {
      models: { sessions: SessionModel; users: UserModel };
      audit: AuditService;
      admins: AdminAccess;
      options: Config['sessions'];
    },
  ) {}

  async issue(userId: Types.ObjectId, scope: SessionScope, origin: SessionOrigin): Promise<IssuedSession> {
    const accessToken = newOpaqueToken(ACCESS_TOKEN_PREFIX);
    const now = new Date();
    const absoluteExpiresAt = new Date(now.getTime() + this.deps.options.absoluteTtlMs);
    const [session] = await this.deps.models.sessions.create([
      {
        tokenHash: hashToken(accessToken),
        userId,
        scope,
        mfaVerifiedAt: origin.mfaVerifiedAt,
        createdAt: now,
        lastUsedAt: now,
        absoluteExpiresAt,
        expiresAt: this.expiryAfterUse(now, absoluteExpiresAt),
        ip: origin.ip,
        userAgent: origin.userAgent,
        method: origin.method,
      },
    ]);
    return { accessToken, session: session.toObject() };
  }

  /**
   * The live session behind an access token and its user, read together;
   * refreshes the idle deadline. Undefined when unknown, ended or expired.
   */
  async authenticate(
    accessToken: string,
    now = new Date(),
  ): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
    const found = await findOneWithOwner(this.deps.models.sessions, this.deps.models.users, {
      tokenHash: hashToken(accessToken),
    });
    if (!found?.owner) return undefined;
    const { record: session, owner: user } = found;
    if (!stands(session, user, now)) return undefined;
    if (now.getTime() - session.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      const expiresAt = this.expiryAfterUse(now, session.absoluteExpiresAt);
      await this.deps.models.sessions.updateOne({ _id: session._id }, { $set: { lastUsedAt: now, expiresAt } });
      Object.assign(session, { lastUsedAt: now, expiresAt });
    }
    return { session, user };
  }

  /** The live sessions of the viewer, or, for an admin with MFA, of `userId`; newest first. */
  async list(viewer: Viewer, userId?: Types.ObjectId): Promise<SessionRecord[]> {
    const whose = await this.deps.admins.whose(viewer, userId);
    const owner = whose.equals(viewer.user._id)
      ? viewer.user
      : await this.deps.models.users.findById(whose).lean<UserRecord>();
    if (!owner) return []; // as for API keys and audit events: nothing stands for an unknown user
    const now = new Date();
    const sessions = await this.deps.models.sessions
      .find({ userId: whose, revokedAt: { $exists: false }, expiresAt: { $gt: now } })
      .sort({ _id: -1 })
      .limit(MAX_LISTED_SESSIONS)
      .lean<SessionRecord[]>();
    return sessions.filter((session) => stands(session, owner, now));
  }

  /** Records a second-factor proof in the session (step-up), widening an enrollment-scoped session when asked. */
  async recordSecondFactor(sessionId: Types.ObjectId, at: Date, scope?: SessionScope): Promise<void> {
    await this.deps.models.sessions.updateOne(
      { _id: sessionId, revokedAt: { $exists: false } },
      { $set: { mfaVerifiedAt: at, ...(scope ? { scope } : {}) } },
    );
  }

  async revoke(sessionId: Types.ObjectId): Promise<void> {
    await this.deps.models.sessions.updateOne(
      { _id: sessionId, revokedAt: { $exists: false } },
      { $set: { revokedAt: new Date() } },
    );
  }

  /** An admin with a fresh second factor signs a user out everywhere; another admin's sessions are theirs to end. Returns how many ended. */
  async revokeAllFor(viewer: Viewer, userId: Types.ObjectId, ip?: string): Promise<number> {
    const target = await this.deps.admins.targetFor(viewer, userId, { fresh: true });
    return this.endSessionsOf(target._id, { reason: 'revoked_by_admin', actorId: viewer.user._id, ip });
  }

  /**
   * Ends every session of a user but `except`, and audits it: always when an
   * admin (`actorId`) did it, otherwise when any ended. Returns how many ended.
   */
  async endSessionsOf(
    userId: Types.ObjectId,
    context: { reason: EndedBecause; except?: Types.ObjectId; actorId?: Types.ObjectId; ip?: string },
  ): Promise<number> {
    const filter = {
      userId,
      revokedAt: { $exists: false },
      ...(context.except ? { _id: { $ne: context.except } } : {}),
    };
    const { modifiedCount: count } = await this.deps.models.sessions.updateMany(filter, {
      $set: { revokedAt: new Date() },
    });
    if (count > 0 || context.actorId) {
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

/**
 * Whether a session still stands: not revoked or expired, and not made by the
 * password alone (a full session with no second-factor proof) once the
 * account's MFA is ENABLED. The explicit revocation when the first factor
 * becomes ACTIVE cannot see a password sign-in that was still running then;
 * this check ends that one too. Nor does a session of a deactivated account
 * stand: deactivation ends them all, and this check also ends one a sign-in
 * that was already past its password check issued meanwhile.
 */
function stands(session: SessionRecord, user: UserRecord, now: Date): boolean {
  if (session.revokedAt || session.expiresAt <= now || session.absoluteExpiresAt <= now) return false;
  if (user.deactivatedAt) return false;
  return !(
    user.mfaPolicyStatus === MfaPolicyStatus.ENABLED &&
    session.scope === SessionScope.FULL &&
    !session.mfaVerifiedAt
  );
}
