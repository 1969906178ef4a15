import type { Types } from 'mongoose';
import { hashToken, newOpaqueToken } from '../crypto/opaque-token.js';
import { AccountTokenPurpose, type AccountTokenModel, type AccountTokenRecord } from './account-token.model.js';

/** Lifetimes: a verification link may wait a day in an inbox; a reset token opens the account, so it lives minutes (OWASP Forgot Password Cheat Sheet). */
export const ACCOUNT_TOKEN_TTL_MS: Readonly<Record<AccountTokenPurpose, number>> = {
  [AccountTokenPurpose.VERIFY_EMAIL]: 24 * 60 * 60_000,
  [AccountTokenPurpose.RESET_PASSWORD]: 30 * 60_000,
};

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
 * loses nothing, and it lets the token be found by an index. Issuing replaces the user's previous token of that purpose;
 * using one is a single `findOneAndDelete`, so of two parallel uses exactly
 * one gets the record.
 */
export class AccountTokens {
  constructor(private readonly deps: { models: { accountTokens: AccountTokenModel } }) {}

  async issue(
    userId: Types.ObjectId,
    purpose: AccountTokenPurpose,
    address: string,
    now: Date,
  ): Promise<{ token: string; expiresAt: Date }> {
    const token = newOpaqueToken(PREFIX[purpose]);
    const expiresAt = new Date(now.getTime() + ACCOUNT_TOKEN_TTL_MS[purpose]);
    await this.deps.models.accountTokens.updateOne(
      { userId, purpose },
      { $set: { tokenHash: hashToken(token), address, createdAt: now, expiresAt } },
      { upsert: true },
    );
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
