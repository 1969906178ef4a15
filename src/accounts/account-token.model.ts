import { Schema, type Connection, type Model, type Types } from 'mongoose';

/** What a single-use account token is for; a token of one purpose is refused by every other. */
export const AccountTokenPurpose = { VERIFY_EMAIL: 'verify-email', RESET_PASSWORD: 'reset-password' } as const;
export type AccountTokenPurpose = (typeof AccountTokenPurpose)[keyof typeof AccountTokenPurpose];

/**
 * A token mailed to a user (e-mail verification, password reset): kept only as
 * its SHA-256, one per user and purpose (a new one replaces the old), deleted
 * when used, refused after `expiresAt` and removed by the TTL index soon after.
 */
export interface AccountTokenRecord {
  _id: Types.ObjectId;
  tokenHash: string;
  purpose: AccountTokenPurpose;
  userId: Types.ObjectId;
  /** The address the token was mailed to: it proves only that one. */
  address: string;
  createdAt: Date;
  expiresAt: Date;
}

const accountTokenSchema = new Schema<AccountTokenRecord>(
  {
    tokenHash: { type: String, required: true, unique: true },
    purpose: { type: String, enum: Object.values(AccountTokenPurpose), required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    address: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, expires: 0 },
  },
  { versionKey: false },
);
// One live token per user and purpose: issuing upserts on this key, so the previous token's hash is gone at once.
accountTokenSchema.index({ userId: 1, purpose: 1 }, { unique: true });

export type AccountTokenModel = Model<AccountTokenRecord>;

export const accountTokenModel = (connection: Connection): AccountTokenModel =>
  connection.model<AccountTokenRecord>('AccountToken', accountTokenSchema, 'accountTokens');
