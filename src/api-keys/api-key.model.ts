import { watchWrites } from '../db/write-listeners.js';
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
  /**
   * Which of the owner's MAX_API_KEYS_PER_USER places a live key holds; unique
   * per owner, cleared on revocation. The unique index, not a count read
   * before the insert, is what keeps parallel creations within the limit.
   * Unset on keys created before slots (they are counted, see ApiKeysService).
   */
  slot?: number;
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
    slot: { type: Number },
  },
  { versionKey: false },
);
apiKeySchema.index({ userId: 1, _id: -1 });
apiKeySchema.index({ userId: 1, slot: 1 }, { unique: true, partialFilterExpression: { slot: { $exists: true } } });

// Cached by CredentialCache: every change to a key must reach every process's cache.
watchWrites(apiKeySchema);

export type ApiKeyModel = Model<ApiKeyRecord>;

export const apiKeyModel = (connection: Connection): ApiKeyModel =>
  connection.model<ApiKeyRecord>('ApiKey', apiKeySchema, 'apiKeys');
