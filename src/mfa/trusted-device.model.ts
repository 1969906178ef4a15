import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * A browser or app its owner asked to remember after a second factor (verifyMfa's rememberDevice): the device token
 * then stands in for the second factor at login, never for the password. The token itself is never stored.
 */
export interface TrustedDeviceRecord {
  _id: Types.ObjectId;
  /** SHA-256 of the device token. */
  tokenHash: string;
  userId: Types.ObjectId;
  createdAt: Date;
  /**
   * createdAt plus the policy's trustedDeviceDays when issued; a lower policy since shortens it at use, a higher one
   * never lengthens it. The TTL index removes the record then.
   */
  expiresAt: Date;
  lastUsedAt?: Date;
  revokedAt?: Date;
  /** The user's credentialsVersion when it was issued: a password change or reset since leaves it worthless. Absent reads as 0. */
  credentialsVersion?: number;
  ip?: string;
  /** The User-Agent of the verifyMfa that asked for it (capped like a session's), for the owner to tell devices apart. */
  userAgent?: string;
}

const trustedDeviceSchema = new Schema<TrustedDeviceRecord>(
  {
    tokenHash: { type: String, required: true, unique: true },
    userId: { type: Schema.Types.ObjectId, required: true, index: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, expires: 0 },
    lastUsedAt: { type: Date },
    revokedAt: { type: Date },
    credentialsVersion: { type: Number },
    ip: { type: String },
    userAgent: { type: String },
  },
  { versionKey: false },
);

export type TrustedDeviceModel = Model<TrustedDeviceRecord>;

export const trustedDeviceModel = (connection: Connection): TrustedDeviceModel =>
  connection.model<TrustedDeviceRecord>('TrustedDevice', trustedDeviceSchema, 'trustedDevices');
