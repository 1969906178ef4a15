import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { UserRecord } from '../accounts/user.model.js';
import type { FactorOwner } from './factor-plugin.js';
import type { SealedSecret } from '../crypto/secret-box.js';
import type { RecoveryCodeSet } from './recovery-codes.js';

/** PENDING until a code proves the user holds it (acceptMfa); ACTIVE until removed (the record is deleted). */
export const FactorStatus = { PENDING: 'PENDING', ACTIVE: 'ACTIVE' } as const;
export type FactorStatus = (typeof FactorStatus)[keyof typeof FactorStatus];

export interface PendingEnrollment {
  /** SHA-256 of the enrollment token given to the client (enableMfa → acceptMfa). */
  tokenHash: string;
  expiresAt: Date;
  /** Wrong codes so far; the token dies at ENROLLMENT_MAX_FAILURES. */
  failures: number;
  /** Who started it: the user, or an admin enrolling for them. */
  startedBy: Types.ObjectId;
  /** recreate: the ACTIVE factor of the same type this one replaces when accepted. */
  replaces?: Types.ObjectId;
  /** Recovery codes (keyed hashes) that take effect when this factor is accepted. */
  recoveryCodes?: RecoveryCodeSet;
  /** What the plugin's `enroll` kept for `activate` (e.g. a WebAuthn registration challenge); spent with the enrollment. */
  attemptState?: Record<string, unknown>;
}

export interface FactorRecord {
  _id: Types.ObjectId;
  userId: Types.ObjectId;
  type: string;
  status: FactorStatus;
  description?: string;
  /** The plugin's secret, sealed with `factor:<_id>` as associated data. */
  secret?: SealedSecret;
  /** The plugin's non-secret state. */
  state: Record<string, unknown>;
  /** Counts replacements of `state`, so that a plugin's state update is a compare-and-set (absent: never replaced). */
  stateVersion?: number;
  /** The newest replay key accepted (a TOTP step, an e-mail send); this and older keys are refused (single use). */
  lastUsedStep?: number;
  /** What a discoverable sign-in finds this factor by (a passkey's credential id), from the plugin's `activate`. */
  lookupKey?: string;
  /** Wrong tries against the code last delivered (factors with `delivery`); a new send starts again at 0. */
  codeFailures?: number;
  /** When a code was last sent for this factor (the resend cooldown). */
  lastChallengedAt?: Date;
  pending?: PendingEnrollment;
  /** Set while PENDING so the TTL index removes abandoned enrollments. */
  pendingExpiresAt?: Date;
  createdAt: Date;
  activatedAt?: Date;
  lastUsedAt?: Date;
}

const factorSchema = new Schema<FactorRecord>(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    type: { type: String, required: true },
    status: { type: String, enum: Object.values(FactorStatus), required: true },
    description: { type: String },
    secret: { type: Schema.Types.Mixed },
    state: { type: Schema.Types.Mixed, default: {} },
    stateVersion: { type: Number },
    lastUsedStep: { type: Number },
    lookupKey: { type: String },
    codeFailures: { type: Number },
    lastChallengedAt: { type: Date },
    pending: { type: Schema.Types.Mixed },
    pendingExpiresAt: { type: Date, expires: 0 },
    createdAt: { type: Date, required: true },
    activatedAt: { type: Date },
    lastUsedAt: { type: Date },
  },
  { versionKey: false, minimize: false },
);
factorSchema.index({ userId: 1, status: 1 });
// The key ids in use, listed at every start (stored-keys-check.ts) and by rotate-keys.
factorSchema.index({ 'secret.kid': 1 });
// Not sparse: the embedded server answers equality lookups from full indexes only (a sparse one would mean a scan).
factorSchema.index({ 'pending.tokenHash': 1 });
// Passwordless sign-in finds the factor by the credential the response names. Unique, so that of parallel
// registrations of one credential id only one activates (WebAuthn §7.1 step 22); sparse, since only ACTIVE factors of
// discoverable types have one (an equality lookup on a value still uses it).
factorSchema.index({ lookupKey: 1 }, { unique: true, sparse: true });

export type FactorModel = Model<FactorRecord>;

export const factorModel = (connection: Connection): FactorModel =>
  connection.model<FactorRecord>('Factor', factorSchema);

/** The associated data a factor's secret is sealed with: the secret only opens for the factor it was sealed for. */
export function factorSecretContext(factorId: Types.ObjectId): string {
  return `factor:${factorId.toHexString()}`;
}

/** The account a factor belongs to, as a plugin sees it. */
export function factorOwner(user: UserRecord): FactorOwner {
  return { id: user._id.toHexString(), username: user.username, email: user.email };
}
