import type { Types } from 'mongoose';
import type { UserModel, UserRecord } from '../accounts/user.model.js';
import { findOneWithOwner } from '../accounts/with-owner.js';
import type { Config } from '../config/config.js';
import { SessionScope, type SessionModel, type SessionRecord } from './session.model.js';
import { LAST_USED_RESOLUTION_MS, hashToken, newOpaqueToken } from './opaque-token.js';

export const ACCESS_TOKEN_PREFIX = 'mfa_at_';


export interface IssuedSession {
  accessToken: string;
  session: SessionRecord;
}

export class SessionsService {
  constructor(
    private readonly sessions: SessionModel,
    private readonly users: UserModel,
    private readonly options: Config['sessions'],
  ) {}

  async issue(userId: Types.ObjectId, scope: SessionScope, details: { ip?: string; mfaVerifiedAt?: Date } = {}): Promise<IssuedSession> {
    const accessToken = newOpaqueToken(ACCESS_TOKEN_PREFIX);
    const now = new Date();
    const absoluteExpiresAt = new Date(now.getTime() + this.options.absoluteTtlMs);
    const [session] = await this.sessions.create([
      {
        tokenHash: hashToken(accessToken),
        userId,
        scope,
        mfaVerifiedAt: details.mfaVerifiedAt,
        createdAt: now,
        lastUsedAt: now,
        absoluteExpiresAt,
        expiresAt: this.expiryAfterUse(now, absoluteExpiresAt),
        ip: details.ip,
      },
    ]);
    return { accessToken, session: session.toObject() };
  }

  /**
   * The live session behind an access token and its user, read together;
   * refreshes the idle deadline. Undefined when unknown, expired or revoked.
   */
  async authenticate(accessToken: string, now = new Date()): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
    const found = await findOneWithOwner(this.sessions, this.users, { tokenHash: hashToken(accessToken) });
    if (!found?.owner) return undefined;
    const { record: session, owner: user } = found;
    if (session.revokedAt || session.expiresAt <= now || session.absoluteExpiresAt <= now) return undefined;
    if (now.getTime() - session.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      const expiresAt = this.expiryAfterUse(now, session.absoluteExpiresAt);
      await this.sessions.updateOne({ _id: session._id }, { $set: { lastUsedAt: now, expiresAt } });
      Object.assign(session, { lastUsedAt: now, expiresAt });
    }
    return { session, user };
  }

  /** Records a second-factor proof in the session (step-up), widening an enrollment-scoped session when asked. */
  async recordSecondFactor(sessionId: Types.ObjectId, at: Date, scope?: SessionScope): Promise<void> {
    await this.sessions.updateOne({ _id: sessionId, revokedAt: { $exists: false } }, { $set: { mfaVerifiedAt: at, ...(scope ? { scope } : {}) } });
  }

  async revoke(sessionId: Types.ObjectId): Promise<void> {
    await this.sessions.updateOne({ _id: sessionId, revokedAt: { $exists: false } }, { $set: { revokedAt: new Date() } });
  }

  /** Ends every session of a user, e.g. when an admin removes their factors. */
  async revokeAllOf(userId: Types.ObjectId): Promise<number> {
    const result = await this.sessions.updateMany({ userId, revokedAt: { $exists: false } }, { $set: { revokedAt: new Date() } });
    return result.modifiedCount;
  }

  private expiryAfterUse(now: Date, absoluteExpiresAt: Date): Date {
    return new Date(Math.min(absoluteExpiresAt.getTime(), now.getTime() + this.options.idleTtlMs));
  }
}

