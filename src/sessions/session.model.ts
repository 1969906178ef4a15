import { watchWrites } from '../db/write-listeners.js';
import { Schema, type Connection, type Model, type Types } from 'mongoose';

/** What a session may do: everything, or only finish MFA enrollment (a user whose policy requires MFA but has no factor yet). */
export const SessionScope = { FULL: 'FULL', ENROLLMENT: 'ENROLLMENT' } as const;
export type SessionScope = (typeof SessionScope)[keyof typeof SessionScope];

/**
 * What took the place of the second factor in a full session of an account whose MFA is on: a remembered device
 * (login with a device token), or the enrollment grace (skipEnrollment). Such a session is not "made by the password
 * alone", yet it passed no second factor: it records no `mfaVerifiedAt`, so step-up still asks for one.
 */
export const SecondFactorWaiver = { TRUSTED_DEVICE: 'trusted_device', ENROLLMENT_GRACE: 'enrollment_grace' } as const;
export type SecondFactorWaiver = (typeof SecondFactorWaiver)[keyof typeof SecondFactorWaiver];

export interface SessionRecord {
  _id: Types.ObjectId;
  /** SHA-256 of the access token; the token itself is never stored. */
  tokenHash: string;
  userId: Types.ObjectId;
  scope: SessionScope;
  /** When a second factor was last passed in this session; unset for password-only sessions. */
  mfaVerifiedAt?: Date;
  createdAt: Date;
  /**
   * When the password behind this session was checked, for a session that took over from another without asking
   * it again (skipEnrollment); unset when that is createdAt.
   */
  signedInAt?: Date;
  lastUsedAt: Date;
  /** Absolute end of life, however active the session is. */
  absoluteExpiresAt: Date;
  /** The earlier of the absolute end and the idle deadline; the TTL index removes the record then. */
  expiresAt: Date;
  revokedAt?: Date;
  ip?: string;
  /** The client's User-Agent header at sign-in, cut to MAX_USER_AGENT_CHARS: for the owner and admins to tell sessions apart. */
  userAgent?: string;
  /** How the sign-in was proven: "password", a factor type ("totp", "email"), or "recovery_code". Unset on sessions issued before it was recorded. */
  method?: string;
  /** The user's credentialsVersion when the sign-in checked the password; absent on older sessions, read as 0. */
  credentialsVersion?: number;
  /** Set when a remembered device or the enrollment grace stood in for the second factor (see SecondFactorWaiver). */
  secondFactorWaiver?: SecondFactorWaiver;
  /** The remembered device that opened it: forgetting the device ends the session. */
  trustedDeviceId?: Types.ObjectId;
}

/** Longest User-Agent kept with a session; the header is the client's to choose, so its length is capped. */
export const MAX_USER_AGENT_CHARS = 256;

const sessionSchema = new Schema<SessionRecord>(
  {
    tokenHash: { type: String, required: true, unique: true },
    userId: { type: Schema.Types.ObjectId, required: true, index: true },
    scope: { type: String, enum: Object.values(SessionScope), required: true },
    mfaVerifiedAt: { type: Date },
    createdAt: { type: Date, required: true },
    signedInAt: { type: Date },
    lastUsedAt: { type: Date, required: true },
    absoluteExpiresAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, expires: 0 },
    revokedAt: { type: Date },
    ip: { type: String },
    userAgent: { type: String },
    method: { type: String },
    credentialsVersion: { type: Number },
    secondFactorWaiver: { type: String, enum: Object.values(SecondFactorWaiver) },
    trustedDeviceId: { type: Schema.Types.ObjectId },
  },
  { versionKey: false },
);

// Cached by CredentialCache: every change to a session must reach every process's cache.
watchWrites(sessionSchema);

export type SessionModel = Model<SessionRecord>;

export const sessionModel = (connection: Connection): SessionModel =>
  connection.model<SessionRecord>('Session', sessionSchema);
