import { Schema, type Connection, type Model } from 'mongoose';

/** The deployment-wide MFA policy: one document, `_id: "mfa"`. */
export interface MfaPolicyRecord {
  _id: string;
  /** Factor types users may enroll; unset means every registered type. */
  allowedFactorTypes?: string[];
  updatedAt?: Date;
}

const mfaPolicySchema = new Schema<MfaPolicyRecord>(
  {
    _id: { type: String, required: true },
    allowedFactorTypes: { type: [String], default: undefined },
    updatedAt: { type: Date },
  },
  { versionKey: false },
);

export type MfaPolicyModel = Model<MfaPolicyRecord>;

export const mfaPolicyModel = (connection: Connection): MfaPolicyModel =>
  connection.model<MfaPolicyRecord>('MfaPolicy', mfaPolicySchema, 'settings');
