import { watchWrites } from '../db/write-listeners.js';
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { RecoveryCodeSet } from '../mfa/recovery-codes.js';

export const Role = { USER: 'USER', ADMIN: 'ADMIN' } as const;
export type Role = (typeof Role)[keyof typeof Role];

export const MfaPolicyStatus = { ENABLED: 'ENABLED', DISABLED: 'DISABLED' } as const;
export type MfaPolicyStatus = (typeof MfaPolicyStatus)[keyof typeof MfaPolicyStatus];

/** Whether an account may sign in: DEACTIVATED ones cannot, and their sessions, API keys and pending tokens stop. */
export const UserStatus = { ACTIVE: 'ACTIVE', DEACTIVATED: 'DEACTIVATED' } as const;
export type UserStatus = (typeof UserStatus)[keyof typeof UserStatus];

export interface UserRecord {
  _id: Types.ObjectId;
  /** As the user typed it, for display. */
  username: string;
  /** NFKC-lowercased username: what uniqueness and sign-in compare. */
  usernameKey: string;
  email?: string;
  /** `email` was proven: a mailed token (verifyEmail) or an e-mail factor's enrollment code came back from it. */
  emailVerified?: boolean;
  /** An address asked for by changeEmail, waiting for its verification token; it replaces `email` only once verified. */
  pendingEmail?: string;
  /**
   * The session that asked for `pendingEmail`: the pending address is verified only while that session has not ended,
   * so a change asked for by a stolen session dies with it (a password reset ends every session).
   */
  pendingEmailSessionId?: Types.ObjectId;
  passwordHash: string;
  role: Role;
  mfaPolicyStatus: MfaPolicyStatus;
  /** Keyed hashes of the unused recovery codes; a code is spent by pulling its hash. */
  recoveryCodes?: RecoveryCodeSet;
  /** Second-factor attempts counted against the lockout, reserved before each check (see SecondFactorAttempts). */
  secondFactorFailures: number;
  /** Consecutive lockouts: each doubles the next one's length. */
  secondFactorLockouts: number;
  secondFactorLockedUntil?: Date;
  /**
   * Bumped each time `secondFactorFailures` starts over (a success, a lockout),
   * so an attempt given back is taken off the count it was added to, never off
   * a later one's. Absent until the first start-over.
   */
  secondFactorEpoch?: number;
  /** When codes were last sent to this user (e-mail, SMS), oldest first: the hourly send cap's window. */
  challengeSends?: Date[];
  /** Set by an admin's deactivateUser (and by deleteUser before it removes the account): the account is shut until reactivateUser. */
  deactivatedAt?: Date;
  /**
   * Set by an admin's requireUserPasswordReset: the right password no longer signs in (PASSWORD_RESET_REQUIRED)
   * until a new one is set (AccountsService.setPassword clears it).
   */
  passwordResetRequired?: boolean;
  /**
   * Bumped in the same update that replaces the password hash (or demands a reset). A sign-in reads it with the hash it
   * checks and stamps it on its mfaToken and session, which stand only while it is unchanged: a sign-in racing a
   * password change cannot keep what it issues. Absent counts as 0, as does a stamp missing from older sessions.
   */
  credentialsVersion?: number;
  /**
   * When an admin last turned this account's MFA on (from DISABLED), or, for an account turned on before this was
   * kept, its first sign-in that found enrollment required: where the enrollment grace (enrollmentGraceDays) starts.
   */
  mfaRequiredAt?: Date;
  /** Set while a demotion of this admin decides whether another admin remains (see LastAdminGuard). */
  demotion?: { mark: string; startedAt: Date };
  createdAt: Date;
}

const userSchema = new Schema<UserRecord>(
  {
    username: { type: String, required: true },
    usernameKey: { type: String, required: true, unique: true },
    email: { type: String },
    emailVerified: { type: Boolean },
    pendingEmail: { type: String },
    pendingEmailSessionId: { type: Schema.Types.ObjectId },
    passwordHash: { type: String, required: true },
    role: { type: String, enum: Object.values(Role), required: true, default: Role.USER },
    mfaPolicyStatus: {
      type: String,
      enum: Object.values(MfaPolicyStatus),
      required: true,
      default: MfaPolicyStatus.DISABLED,
    },
    recoveryCodes: { type: Schema.Types.Mixed },
    secondFactorFailures: { type: Number, required: true, default: 0 },
    secondFactorLockouts: { type: Number, required: true, default: 0 },
    secondFactorLockedUntil: { type: Date },
    secondFactorEpoch: { type: Number },
    challengeSends: { type: [Date], default: undefined },
    deactivatedAt: { type: Date },
    demotion: { type: Schema.Types.Mixed },
    passwordResetRequired: { type: Boolean },
    credentialsVersion: { type: Number },
    mfaRequiredAt: { type: Date },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
);
userSchema.index({ mfaPolicyStatus: 1, _id: 1 });
// requestPasswordReset finds accounts by address.
userSchema.index({ email: 1 });
// The last-admin guard counts admins on every demotion.
userSchema.index({ role: 1, _id: 1 });

// The user's role, MFA policy, status and credentials decide what its sessions and API keys may do (CredentialCache).
watchWrites(userSchema);

export type UserModel = Model<UserRecord>;

export const userModel = (connection: Connection): UserModel => connection.model<UserRecord>('User', userSchema);

/** Usernames compare case- and width-insensitively, so "Alice" and "ａｌｉｃｅ" are one account. */
export function usernameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}
