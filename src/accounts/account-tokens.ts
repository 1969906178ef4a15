import { isDuplicateKey } from '../db/duplicate-key.js';
import type { Types } from 'mongoose';
import { hashToken, newOpaqueToken } from '../crypto/opaque-token.js';
import { AccountTokenPurpose, type AccountTokenModel, type AccountTokenRecord } from './account-token.model.js';

/** Lifetimes: a verification link may wait a day in an inbox; a reset token opens the account, so it lives minutes (OWASP Forgot Password Cheat Sheet). */
export const ACCOUNT_TOKEN_TTL_MS: Readonly<Record<AccountTokenPurpose, number>> = {
  [AccountTokenPurpose.VERIFY_EMAIL]: 24 * 60 * 60_000,
  [AccountTokenPurpose.RESET_PASSWORD]: 30 * 60_000,
};

/**
 * A reset token younger than this is not replaced by a new request (which answers true as always and sends
 * nothing): anyone may ask for a reset for any name, and each new token kills the one before, so without it a
 * stranger could keep killing the link the owner is about to open. Two minutes is ample for a mail to arrive
 * and be opened, and short enough that an owner whose mail was lost can soon ask again.
 */
export const RESET_TOKEN_REISSUE_AFTER_MS = 2 * 60_000;

const PREFIX: Readonly<Record<AccountTokenPurpose, string>> = {
  [AccountTokenPurpose.VERIFY_EMAIL]: 'mfa_ev_',
  [AccountTokenPurpose.RESET_PASSWORD]: 'mfa_pr_',
};

/**
 * Single-use tokens mailed to account owners. Each is 256 random bits from
 * crypto.randomBytes (newOpaqueToken; anything from 128 bits up is beyond
 * guessing) and stored only as its SHA-256. A slow password hash (argon2id)
 * protects low-entropy secrets from offline guessing; a random value of 128
 * bits or more cannot be guessed offline however fast the hash, so SHA-256
 * loses nothing, and it lets the token be found by an index. Issuing replaces the user's previous token of that
 * purpose (a reset token only once RESET_TOKEN_REISSUE_AFTER_MS old);
 * using one is a single `findOneAndDelete`, so of two parallel uses exactly
 * one gets the record.
 */
export class AccountTokens {
  constructor(private readonly deps: { models: { accountTokens: AccountTokenModel } }) {}

  /**
   * Issues a new token, replacing the previous one of that purpose; or, for a
   * reset token, null while the previous one is live and younger than
   * RESET_TOKEN_REISSUE_AFTER_MS (see there). One conditional upsert: of
   * parallel requests at most one replaces a fresh token.
   */
  async issue(
    userId: Types.ObjectId,
    purpose: AccountTokenPurpose,
    address: string,
    now: Date,
  ): Promise<{ token: string; expiresAt: Date } | null> {
    const token = newOpaqueToken(PREFIX[purpose]);
    const expiresAt = new Date(now.getTime() + ACCOUNT_TOKEN_TTL_MS[purpose]);
    const replaceable =
      purpose === AccountTokenPurpose.RESET_PASSWORD
        ? {
            $or: [
              { createdAt: { $lte: new Date(now.getTime() - RESET_TOKEN_REISSUE_AFTER_MS) } },
              { expiresAt: { $lte: now } },
            ],
          }
        : {};
    try {
      await this.deps.models.accountTokens.updateOne(
        { userId, purpose, ...replaceable },
        { $set: { tokenHash: hashToken(token), address, createdAt: now, expiresAt } },
        { upsert: true },
      );
    } catch (error) {
      // The filter matched nothing and the insert met the live token ({ userId, purpose } is unique): it stays.
      if (isDuplicateKey(error)) return null;
      throw error;
    }
    return { token, expiresAt };
  }

  /** Spends a live token of this purpose: the record, once; null when unknown, of another purpose, used or expired. */
  async consume(token: string, purpose: AccountTokenPurpose, now: Date): Promise<AccountTokenRecord | null> {
    if (!token.startsWith(PREFIX[purpose])) return null;
    return this.deps.models.accountTokens
      .findOneAndDelete({ tokenHash: hashToken(token), purpose, expiresAt: { $gt: now } })
      .lean<AccountTokenRecord>();
  }

  /** The live token of this purpose, without spending it (to check what comes with it first); null as for consume. */
  async find(token: string, purpose: AccountTokenPurpose, now: Date): Promise<AccountTokenRecord | null> {
    if (!token.startsWith(PREFIX[purpose])) return null;
    return this.deps.models.accountTokens
      .findOne({ tokenHash: hashToken(token), purpose, expiresAt: { $gt: now } })
      .lean<AccountTokenRecord>();
  }

  /** Takes back a token that could not be mailed, unless a newer one has replaced it. */
  async withdraw(userId: Types.ObjectId, purpose: AccountTokenPurpose, token: string): Promise<void> {
    await this.deps.models.accountTokens.deleteOne({ userId, purpose, tokenHash: hashToken(token) });
  }

  /** Kills the user's token of a purpose (e.g. a reset token once the address it went to is no longer the account's). */
  async revoke(userId: Types.ObjectId, purpose: AccountTokenPurpose): Promise<void> {
    await this.deps.models.accountTokens.deleteOne({ userId, purpose });
  }
}
