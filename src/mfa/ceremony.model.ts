import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { AttemptPurpose } from './factor-plugin.js';

/**
 * One begun attempt of a factor whose plugin keeps state per attempt (a WebAuthn challenge): what `begin`
 * returned, bound to where it was begun. It is spent (deleted) by the success that uses it, so it works once,
 * and only there: `boundTo` names the sign-in (its mfaToken's record), the session (step-up, disableMfa) or the
 * passwordless sign-in it belongs to; a factor's ceremony is found through the same binding or not at all.
 */
export interface CeremonyRecord {
  _id: Types.ObjectId;
  /** `sign-in:<signInChallenge id>`, `session:<session id>` or `passwordless:<sha256 of the challengeId>`. */
  boundTo: string;
  /** Unset for a passwordless sign-in, whose factor the response names. */
  factorId?: Types.ObjectId;
  purpose: AttemptPurpose;
  /** The plugin's attemptState, as it returned it (nothing secret: the contract says so). */
  state: Record<string, unknown>;
  createdAt: Date;
  expiresAt: Date;
}

const ceremonySchema = new Schema<CeremonyRecord>(
  {
    boundTo: { type: String, required: true },
    factorId: { type: Schema.Types.ObjectId },
    purpose: { type: String, required: true },
    state: { type: Schema.Types.Mixed, default: {} },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true, expires: 0 },
  },
  { versionKey: false, minimize: false },
);
ceremonySchema.index({ boundTo: 1 });
// One ceremony per factor and binding: a begin replaces the one before, also when two run at once.
ceremonySchema.index({ boundTo: 1, factorId: 1 }, { unique: true });

export type CeremonyModel = Model<CeremonyRecord>;

export const ceremonyModel = (connection: Connection): CeremonyModel =>
  connection.model<CeremonyRecord>('Ceremony', ceremonySchema, 'ceremonies');
