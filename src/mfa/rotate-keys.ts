import type { Connection, Types } from 'mongoose';
import { userModel } from '../accounts/user.model.js';
import { factorModel, factorSecretContext, type FactorRecord } from './factor.model.js';
import { RECOVERY_CODE_HMAC_PURPOSE } from './recovery-codes.js';
import { SecretBoxError, type SecretBox, type SecretBoxErrorCode } from '../crypto/secret-box.js';
import { assertServersHoldCurrentKey } from './stored-keys-check.js';

export interface RotateFactorSecretsOptions {
  connection: Connection;
  /** Opens under any configured key, seals under `secrets.currentKid`. */
  secrets: SecretBox;
  /** Factors read per query. @default 100 */
  batchSize?: number;
}

/** A factor left under its old key, by id: no secret and no key material. */
export interface FactorRotationFailure {
  factorId: string;
  kid: string;
  /** UNKNOWN_KEY: its key is no longer configured; the others: the stored secret is damaged. */
  reason: SecretBoxErrorCode;
}

export interface FactorRotationReport {
  /** Factors found sealed under a key other than the current one. */
  scanned: number;
  reencrypted: number;
  /** Changed or deleted between read and write (a re-enrollment, a removal): left as the other writer left it. */
  skipped: number;
  failed: FactorRotationFailure[];
}

/**
 * Re-seals every factor secret that is not under the current key, with the
 * same `factor:<id>` context. Each write is conditional on the secret read
 * (its kid and random IV), so a secret replaced meanwhile is never overwritten
 * with an older one. Idempotent: a second run finds nothing to do.
 * Refuses (ConfigError) before writing anything unless the servers hold the
 * current key: see `assertServersHoldCurrentKey`.
 */
export async function rotateFactorSecrets(options: RotateFactorSecretsOptions): Promise<FactorRotationReport> {
  const { secrets, batchSize = 100 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  await assertServersHoldCurrentKey(options.connection, secrets);
  const factors = factorModel(options.connection);
  const report: FactorRotationReport = { scanned: 0, reencrypted: 0, skipped: 0, failed: [] };
  const stale = { 'secret.kid': { $exists: true, $ne: secrets.currentKid } };
  let after: Types.ObjectId | undefined;
  for (;;) {
    // Paged by _id rather than re-querying "still stale": failures stay stale and would be read forever.
    const batch = await factors
      .find(after ? { ...stale, _id: { $gt: after } } : stale, { _id: 1, secret: 1 })
      .sort({ _id: 1 })
      .limit(batchSize)
      .lean<Pick<FactorRecord, '_id' | 'secret'>[]>();
    for (const { _id, secret } of batch) {
      report.scanned += 1;
      const context = factorSecretContext(_id);
      let resealed;
      try {
        resealed = secrets.seal(secrets.open(secret!, context), context);
      } catch (error) {
        if (!(error instanceof SecretBoxError)) throw error;
        report.failed.push({ factorId: _id.toHexString(), kid: String(secret?.kid), reason: error.code });
        continue;
      }
      const written = await factors.updateOne(
        { _id, 'secret.kid': secret!.kid, 'secret.iv': secret!.iv },
        { $set: { secret: resealed } },
      );
      if (written.matchedCount === 1) report.reencrypted += 1;
      else report.skipped += 1;
    }
    if (batch.length < batchSize) return report;
    after = batch[batch.length - 1]._id;
  }
}

export interface StaleRecoveryCodes {
  /** Users whose unused recovery codes are keyed with an older kid. */
  users: number;
  /** Pending enrollments carrying such codes; they take effect if accepted before they expire. */
  pendingEnrollments: number;
  /** Per old kid, and whether that key is still configured (if not, those codes no longer work). */
  byKid: Array<{ kid: string; users: number; pendingEnrollments: number; configured: boolean }>;
}

/**
 * Recovery codes are stored only as keyed hashes (HMAC, see recovery-codes.ts)
 * of codes nobody but the user knows, so they cannot be re-keyed: an old key
 * must stay configured until these users regenerate their codes.
 */
export async function countStaleRecoveryCodes(options: {
  connection: Connection;
  secrets: SecretBox;
}): Promise<StaleRecoveryCodes> {
  const { connection, secrets } = options;
  const oldKid = { $exists: true, $ne: secrets.currentKid };
  const [users, pending] = await Promise.all([
    userModel(connection).aggregate<{ _id: string; count: number }>([
      { $match: { 'recoveryCodes.kid': oldKid, 'recoveryCodes.hashes.0': { $exists: true } } },
      { $group: { _id: '$recoveryCodes.kid', count: { $sum: 1 } } },
    ]),
    factorModel(connection).aggregate<{ _id: string; count: number }>([
      { $match: { 'pending.recoveryCodes.kid': oldKid } },
      { $group: { _id: '$pending.recoveryCodes.kid', count: { $sum: 1 } } },
    ]),
  ]);
  const kids = [...new Set([...users, ...pending].map((group) => String(group._id)))].sort();
  const byKid = kids.map((kid) => ({
    kid,
    users: users.find((group) => String(group._id) === kid)?.count ?? 0,
    pendingEnrollments: pending.find((group) => String(group._id) === kid)?.count ?? 0,
    configured: isConfigured(secrets, kid),
  }));
  return {
    users: byKid.reduce((sum, group) => sum + group.users, 0),
    pendingEnrollments: byKid.reduce((sum, group) => sum + group.pendingEnrollments, 0),
    byKid,
  };
}

function isConfigured(secrets: SecretBox, kid: string): boolean {
  try {
    secrets.hmacKey(RECOVERY_CODE_HMAC_PURPOSE, kid);
    return true;
  } catch (error) {
    if (error instanceof SecretBoxError && error.code === 'UNKNOWN_KEY') return false;
    throw error;
  }
}
