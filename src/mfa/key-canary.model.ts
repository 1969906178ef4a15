import { Schema, type Connection, type Model } from 'mongoose';
import type { SealedSecret } from '../crypto/secret-box.js';

/**
 * One document per key id (`_id`): a known value sealed under that key by
 * the first server that ran with it as its current key. A later server with
 * the same key id opens it to prove it holds the same key, not merely the name.
 */
export interface KeyCanaryRecord {
  _id: string;
  sealed: SealedSecret;
  createdAt: Date;
}

const keyCanarySchema = new Schema<KeyCanaryRecord>(
  {
    _id: { type: String, required: true },
    sealed: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type KeyCanaryModel = Model<KeyCanaryRecord>;

export const keyCanaryModel = (connection: Connection): KeyCanaryModel =>
  connection.model<KeyCanaryRecord>('KeyCanary', keyCanarySchema, 'keyCanaries');
