import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * One password sign-in waiting for its second factor: what an `mfaToken`
 * stands for. It can only be spent once (consumedAt) and only within its
 * lifetime; the TTL index clears it afterwards.
 */
export interface SignInChallengeRecord {
  _id: Types.ObjectId;
  tokenHash: string;
  userId: Types.ObjectId;
  ip?: string;
  createdAt: Date;
  expiresAt: Date;
  consumedAt?: Date;
  /** The user's credentialsVersion when the password was checked: the mfaToken dies when it changes. Absent reads as 0. */
  credentialsVersion?: number;
  /** The sign-in asked for its session as the session cookie (login's `cookie`): verifyMfa delivers it so. */
  cookie?: boolean;
}

const signInChallengeSchema = new Schema<SignInChallengeRecord>(
  {
    tokenHash: { type: String, required: true, unique: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    ip: { type: String },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, expires: 0 },
    consumedAt: { type: Date },
    credentialsVersion: { type: Number },
    cookie: { type: Boolean },
  },
  { versionKey: false },
);

export type SignInChallengeModel = Model<SignInChallengeRecord>;

export const signInChallengeModel = (connection: Connection): SignInChallengeModel =>
  connection.model<SignInChallengeRecord>('SignInChallenge', signInChallengeSchema, 'signInChallenges');
