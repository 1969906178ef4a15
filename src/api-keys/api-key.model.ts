import { Schema, type Connection, type Model, type Types } from 'mongoose';

export interface ApiKeyRecord {
  _id: Types.ObjectId;
  userId: Types.ObjectId;
  name: string;
  /** SHA-256 of the whole key; the key itself is shown once and never stored. */
  secretHash: string;
  /** The key's first characters, so owners can tell their keys apart (`mfa_ak_AbCd…`). */
  hint: string;
  createdAt: Date;
  expiresAt?: Date;
  lastUsedAt?: Date;
  revokedAt?: Date;
}

const apiKeySchema = new Schema<ApiKeyRecord>(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    name: { type: String, required: true },
    secretHash: { type: String, required: true, unique: true },
    hint: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date },
    lastUsedAt: { type: Date },
    revokedAt: { type: Date },
  },
  { versionKey: false },
);
apiKeySchema.index({ userId: 1, _id: -1 });

export type ApiKeyModel = Model<ApiKeyRecord>;

export const apiKeyModel = (connection: Connection): ApiKeyModel => connection.model<ApiKeyRecord>('ApiKey', apiKeySchema, 'apiKeys');
