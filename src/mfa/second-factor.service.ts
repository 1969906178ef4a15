import { createHmac } from 'node:crypto';
import type { Types } from 'mongoose';
import type { UserModel, UserRecord } from '../accounts/user.model.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import { AppError, ErrorCode, badInput, invalidCode, serviceUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FactorPlugin, KeyedHash, StoredFactor } from './factor-plugin.js';
import { factorOwner, factorSecretContext, FactorStatus, type FactorModel, type FactorRecord } from './factor.model.js';
import type { FactorRegistry } from './factor-registry.js';
import {
  hashRecoveryCode,
  MAX_CODE_INPUT_CHARS,
  normalizeRecoveryCode,
  RECOVERY_CODE_HMAC_PURPOSE,
} from './recovery-codes.js';
import type { SecondFactorAttempts } from './second-factor-attempts.js';
import { compactCode } from './code-input.js';
import { SecretBoxError, type SecretBox } from '../crypto/secret-box.js';
import type { SecurityNotices } from './security-notices.js';

/** What a caller offers as a second factor: a code from one of their factors, or a recovery code. */
export interface SecondFactorProof {
  /** Optional when the user has exactly one ACTIVE factor. */
  factorId?: Types.ObjectId;
  code?: string | null;
  recoveryCode?: string | null;
}

export interface ProvenSecondFactor {
  /** The user as read when the attempt was reserved. */
  user: UserRecord;
  factor?: FactorRecord;
  recoveryCodesRemaining?: number;
}

/**
 * What the form check and the plugin made of a code: the step it belongs to,
 * or a refusal that says whether the code was right once and its step is spent.
 */
export type StepMatch = { step: number } | { step: null; alreadyUsed: boolean };

/** Refusals of a code whose step was already used: what to do next, and nothing more (not when or where it was used). */
const USED_CODE_WAIT = 'That code was already used. Wait for the next code, and enter that one.';
const USED_CODE_SEND = 'That code was already used. Ask for a new code (sendMfaCode), and enter that one.';
/** A refusal when the code may come from any of the user's factors (removing a factor whose device is lost). */
const WRONG_CODE_OF_ANY_FACTOR =
  'The code is wrong, expired or already used. Give a current code from any of your factors, or one of your recovery codes.';

/** Why a code was refused: `alreadyUsed` when it was right once and its step is spent (on `usedOn`, when known). */
type CodeRefusal = { alreadyUsed: boolean; usedOn?: FactorRecord };

/** Delivered codes are stored keyed under this purpose; they live minutes, so a key rotation merely voids those in flight. */
const FACTOR_CODE_HMAC_PURPOSE = 'factor-codes';

/**
 * The one rule that accepts a second factor, for every factor type and every
 * purpose (sign-in, step-up, disabling MFA, regenerating codes): reserve an
 * attempt, check the code's form, let the plugin name the step, then spend the
 * step (or the recovery code) with one conditional update so that no code
 * works twice, however many requests race.
 */
export class SecondFactorService {
  constructor(
    private readonly deps: {
      models: { users: UserModel; factors: FactorModel };
      registry: FactorRegistry;
      attempts: SecondFactorAttempts;
      secrets: SecretBox;
      audit: AuditService;
      notices: SecurityNotices;
      logger: Logger;
      clock: () => Date;
    },
  ) {}

  /**
   * `anyActiveFactor`: the code may come from any of the user's ACTIVE factors (`proof.factorId` is then not asked
   * for, nor read), as when removing a factor whose device is lost. Still one attempt against the lockout per request,
   * reserved before any factor is tried; the code is spent on the factor it matched, and nowhere else.
   */
  async prove(
    userId: Types.ObjectId,
    proof: SecondFactorProof,
    context: { ip?: string; purpose: string; anyActiveFactor?: boolean },
  ): Promise<ProvenSecondFactor> {
    const hasCode = typeof proof.code === 'string';
    const hasRecoveryCode = typeof proof.recoveryCode === 'string';
    if (hasCode === hasRecoveryCode) throw badInput('code', 'Give either a code or a recoveryCode.');
    const candidate = (hasCode ? proof.code : proof.recoveryCode)!;
    if (candidate.length > MAX_CODE_INPUT_CHARS)
      throw badInput(hasCode ? 'code' : 'recoveryCode', 'That is far too long to be a code.');
    const factors = !hasCode
      ? []
      : context.anyActiveFactor
        ? await this.activeFactorsToTry(userId)
        : [await this.activeFactor(userId, proof.factorId)];

    const now = this.deps.clock();
    const user = await this.deps.attempts.reserve(userId, now);
    let proven: ProvenSecondFactor | CodeRefusal;
    try {
      proven = hasCode
        ? await this.spendCodeOfAny(factors, user, candidate, now)
        : await this.spendRecoveryCode(user, candidate);
    } catch (error) {
      // The code could not be checked (a key the server lacks): the server's fault, so not the user's attempt (no lockout by an operator's mistake).
      if (error instanceof AppError && error.code === ErrorCode.SERVICE_UNAVAILABLE)
        await this.deps.attempts.release(user);
      throw error;
    }
    const audit = { userId, ip: context.ip };
    if ('alreadyUsed' in proven) {
      const { alreadyUsed, usedOn } = proven;
      const lockedForSeconds = await this.deps.attempts.failed(user, now);
      await this.deps.audit.record({
        ...audit,
        type: AuditEventType.MFA_FAILED,
        details: {
          purpose: context.purpose,
          ...(factors.length > 1 ? { method: 'code', factorsTried: factors.length } : describe(factors[0])),
          ...(alreadyUsed ? { reason: 'code_already_used' } : {}),
        },
      });
      if (lockedForSeconds)
        await this.deps.audit.record({
          ...audit,
          type: AuditEventType.MFA_LOCKED_OUT,
          details: { seconds: lockedForSeconds },
        });
      // Read after this failure was counted, so parallel failures reserved before it are in the number too.
      const attemptsRemaining = lockedForSeconds ? 0 : await this.deps.attempts.remaining(userId, now);
      throw invalidCode(
        attemptsRemaining,
        usedOn ? this.usedCodeMessage(usedOn) : context.anyActiveFactor ? WRONG_CODE_OF_ANY_FACTOR : undefined,
      );
    }
    await this.deps.attempts.succeeded(userId);
    await this.deps.audit.record({
      ...audit,
      type: AuditEventType.MFA_SUCCEEDED,
      details: { purpose: context.purpose, ...describe(proven.factor) },
    });
    if (!proven.factor) {
      await this.deps.audit.record({
        ...audit,
        type: AuditEventType.RECOVERY_CODE_USED,
        details: { remaining: proven.recoveryCodesRemaining },
      });
      await this.deps.notices.recoveryCodeUsed(user, proven.recoveryCodesRemaining ?? 0);
    }
    return proven;
  }

  /**
   * The step `code` belongs to for this factor (ACTIVE or PENDING), or a
   * refusal: the form check and the plugin call, shared by sign-in and
   * acceptMfa. The code is compacted first (`compactCode`: ASCII spaces and
   * one dash out), once, here, for every factor type. `stored` is
   * `storedFactor(factor, …)`, opened before any try is reserved.
   */
  async matchStep(factor: FactorRecord, stored: StoredFactor, code: string, now: Date): Promise<StepMatch> {
    const plugin = this.plugin(factor.type);
    const compact = compactCode(code);
    if (!plugin.codePattern.test(compact)) return { step: null, alreadyUsed: false };
    const request = { factor: stored, code: compact, now, keyedHash: this.keyedHashFor(factor) };
    const step = await plugin.verify(request);
    const spent = factor.lastUsedStep;
    if (step !== null && (spent === undefined || step > spent)) return { step };
    if (spent === undefined) return { step: null, alreadyUsed: false };
    // Refused. Plugins that skip spent steps (TOTP) answer null for a replay, so ask once more as if none were
    // spent: a step at or before the spent one means the code was right once and is used up, not mistyped.
    const earlier = step ?? (await plugin.verify({ ...request, factor: { ...stored, lastUsedStep: undefined } }));
    return { step: null, alreadyUsed: earlier !== null && earlier <= spent };
  }

  /**
   * The factor as a plugin sees it, its secret decrypted. A secret this
   * server cannot open (its key id is not configured, or it fails
   * authentication under the configured key) is SERVICE_UNAVAILABLE: the
   * server's fault, never a wrong code; operators get one line naming the key id.
   */
  storedFactor(factor: FactorRecord, owner: UserRecord): StoredFactor {
    let secret: string | undefined;
    try {
      secret = factor.secret && this.deps.secrets.open(factor.secret, factorSecretContext(factor._id));
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      this.deps.logger.error(
        { factorId: factor._id.toHexString(), kid: String(factor.secret?.kid), reason: error.code },
        `cannot open a factor secret, so its codes cannot be checked: ${error.message}. Configure that key in MFA_ENCRYPTION_KEYS`,
      );
      throw serviceUnavailable(
        'This factor cannot be checked right now, through no fault of yours. Try again later, or use another factor.',
      );
    }
    return {
      id: factor._id.toHexString(),
      owner: factorOwner(owner),
      secret,
      state: factor.state ?? {},
      lastUsedStep: factor.lastUsedStep,
    };
  }

  /** HMAC-SHA256 bound to the factor, under a key that is not in the database (see FactorPlugin's `keyedHash`). */
  keyedHashFor(factor: FactorRecord): KeyedHash {
    const { key } = this.deps.secrets.hmacKey(FACTOR_CODE_HMAC_PURPOSE);
    const prefix = `${factor._id.toHexString()}:`;
    return (value) =>
      createHmac('sha256', key)
        .update(prefix + value)
        .digest('base64url');
  }

  plugin(type: string): FactorPlugin {
    const plugin = this.deps.registry.get(type);
    if (!plugin) throw new Error(`no factor plugin is registered for the stored type "${type}"`);
    return plugin;
  }

  /** The user's ACTIVE factor by id, or their only one when no id is given. */
  private async activeFactor(userId: Types.ObjectId, factorId: Types.ObjectId | undefined): Promise<FactorRecord> {
    const filter = factorId
      ? { _id: factorId, userId, status: FactorStatus.ACTIVE }
      : { userId, status: FactorStatus.ACTIVE };
    const factors = await this.deps.models.factors.find(filter).limit(2).lean<FactorRecord[]>();
    if (factors.length === 0) throw new AppError(ErrorCode.NOT_FOUND, 'No such active factor.', { field: 'factorId' });
    if (factors.length > 1) throw badInput('factorId', 'You have several factors: say which one (factorId).');
    return factors[0];
  }

  /**
   * Every ACTIVE factor of the user, those whose codes are computed (authenticator apps, key fobs) before those that
   * deliver them: trying a code on a delivered factor uses up one of its code's tries, so it is done only when no
   * other factor took the code.
   */
  private async activeFactorsToTry(userId: Types.ObjectId): Promise<FactorRecord[]> {
    const factors = await this.deps.models.factors
      .find({ userId, status: FactorStatus.ACTIVE })
      .sort({ _id: 1 })
      .lean<FactorRecord[]>();
    // A factor whose type's plugin this server no longer loads cannot check a code; the others still can.
    const checkable = factors.filter((factor) => this.deps.registry.get(factor.type));
    if (checkable.length === 0)
      throw new AppError(ErrorCode.NOT_FOUND, 'No such active factor.', { field: 'factorId' });
    const delivers = (factor: FactorRecord) => (this.plugin(factor.type).delivery ? 1 : 0);
    return checkable.sort((a, b) => delivers(a) - delivers(b));
  }

  /**
   * The first factor in `factors` that takes the code spends it. A factor whose secret this server cannot open is
   * passed over; when no other factor took the code, that is SERVICE_UNAVAILABLE rather than a wrong code.
   */
  private async spendCodeOfAny(
    factors: FactorRecord[],
    owner: UserRecord,
    code: string,
    now: Date,
  ): Promise<ProvenSecondFactor | CodeRefusal> {
    let unavailable: AppError | undefined;
    let refusal: CodeRefusal = { alreadyUsed: false };
    for (const factor of factors) {
      try {
        const spent = await this.spendCode(factor, owner, code, now);
        if (!('alreadyUsed' in spent)) return spent;
        if (spent.alreadyUsed && !refusal.alreadyUsed) refusal = { alreadyUsed: true, usedOn: factor };
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== ErrorCode.SERVICE_UNAVAILABLE) throw error;
        unavailable = error;
      }
    }
    if (unavailable) throw unavailable;
    return refusal;
  }

  /** Spends the code's step: only the first request to move `lastUsedStep` past it wins. */
  private async spendCode(
    factor: FactorRecord,
    owner: UserRecord,
    code: string,
    now: Date,
  ): Promise<ProvenSecondFactor | { alreadyUsed: boolean }> {
    const stored = this.storedFactor(factor, owner); // first: a secret that cannot be opened uses up none of the code's tries
    const limits = this.plugin(factor.type).delivery;
    if (limits && !(await this.reserveCodeAttempt(factor, limits.maxAttemptsPerCode))) return { alreadyUsed: false };
    const match = await this.matchStep(factor, stored, code, now);
    if (match.step === null) return { alreadyUsed: match.alreadyUsed };
    const { step } = match;
    const spent = await this.deps.models.factors
      .findOneAndUpdate(
        {
          _id: factor._id,
          status: FactorStatus.ACTIVE,
          $or: [{ lastUsedStep: { $exists: false } }, { lastUsedStep: { $lt: step } }],
        },
        { $set: { lastUsedStep: step, lastUsedAt: now, codeFailures: 0 } },
        { returnDocument: 'after' },
      )
      .lean<FactorRecord>();
    // Lost the race: a parallel request spent this step (or a newer one) first.
    return spent ? { user: owner, factor: spent } : { alreadyUsed: true };
  }

  /** A delivered code is replaced by asking for a new one; any other factor shows its next code in time. */
  private usedCodeMessage(factor: FactorRecord): string {
    return this.plugin(factor.type).challenge ? USED_CODE_SEND : USED_CODE_WAIT;
  }

  /** A delivered code survives `max` tries: each is reserved on the factor before the code is looked at. */
  private async reserveCodeAttempt(factor: FactorRecord, max: number): Promise<boolean> {
    const reserved = await this.deps.models.factors.updateOne(
      { _id: factor._id, $or: [{ codeFailures: { $exists: false } }, { codeFailures: { $lt: max } }] },
      { $inc: { codeFailures: 1 } },
    );
    return reserved.modifiedCount === 1;
  }

  /** Spends a recovery code by pulling its hash: one conditional update, so each code works once. */
  private async spendRecoveryCode(
    user: UserRecord,
    input: string,
  ): Promise<ProvenSecondFactor | { alreadyUsed: false }> {
    const wrong = { alreadyUsed: false } as const; // a spent recovery code's hash is gone: it cannot be told from a wrong one
    const normalized = normalizeRecoveryCode(input);
    const set = user.recoveryCodes;
    if (!normalized || !set) return wrong;
    let key: Buffer;
    try {
      ({ key } = this.deps.secrets.hmacKey(RECOVERY_CODE_HMAC_PURPOSE, set.kid));
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      // The key these codes were hashed with is not in MFA_ENCRYPTION_KEYS: no code of the set can be checked, right or wrong,
      // so an answer of INVALID_CODE would be a lie that counts towards the user's lockout.
      this.deps.logger.error(
        { userId: user._id.toHexString(), kid: set.kid, reason: error.code },
        'recovery codes are keyed with a key that is not configured, so they cannot be checked: ' +
          'configure that key in MFA_ENCRYPTION_KEYS, or have the user regenerate their codes',
      );
      throw serviceUnavailable(
        'Recovery codes cannot be checked right now, through no fault of yours. Use one of your factors, or ask an administrator.',
      );
    }
    const hash = hashRecoveryCode(normalized, user._id.toHexString(), key);
    const updated = await this.deps.models.users
      .findOneAndUpdate(
        { _id: user._id, 'recoveryCodes.kid': set.kid, 'recoveryCodes.hashes': hash },
        { $pull: { 'recoveryCodes.hashes': hash } },
        { returnDocument: 'after', projection: { recoveryCodes: 1 } },
      )
      .lean<Pick<UserRecord, 'recoveryCodes'>>();
    return updated ? { user, recoveryCodesRemaining: updated.recoveryCodes?.hashes.length ?? 0 } : wrong;
  }
}

function describe(factor: FactorRecord | undefined): Record<string, unknown> {
  return factor ? { factorId: factor._id.toHexString(), factorType: factor.type } : { method: 'recovery_code' };
}
