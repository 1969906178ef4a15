import { Schema, type Connection, type Model } from 'mongoose';

/** The deployment-wide MFA policy: one document, `_id: "mfa"`. Unset fields read as their defaults (MfaPolicySettings). */
export interface MfaPolicyRecord {
  _id: string;
  /** Factor types users may enroll; unset means every registered type. */
  allowedFactorTypes?: string[];
  /** How long a remembered device skips the second factor at login; 0 (the default) turns the feature off. */
  trustedDeviceDays?: number;
  /** Whether a passkey may sign in on its own (read by the passkey sign-in); true when unset. */
  passkeySignIn?: boolean;
  /** How long a user whose MFA was turned on with no factor may skip enrolling one; 0 (the default): no skipping. */
  enrollmentGraceDays?: number;
  updatedAt?: Date;
}

const mfaPolicySchema = new Schema<MfaPolicyRecord>(
  {
    _id: { type: String, required: true },
    allowedFactorTypes: { type: [String], default: undefined },
    trustedDeviceDays: { type: Number },
    passkeySignIn: { type: Boolean },
    enrollmentGraceDays: { type: Number },
    updatedAt: { type: Date },
  },
  { versionKey: false },
);

export type MfaPolicyModel = Model<MfaPolicyRecord>;

export const mfaPolicyModel = (connection: Connection): MfaPolicyModel =>
  connection.model<MfaPolicyRecord>('MfaPolicy', mfaPolicySchema, 'settings');
