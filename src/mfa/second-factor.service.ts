import type { Types } from 'mongoose';
import type { UserModel, UserRecord } from '../accounts/user.model.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditRecorder, AuditService } from '../audit/audit.service.js';
import { AppError, ErrorCode, badInput, invalidCode, serviceUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CeremonyRecord } from './ceremony.model.js';
import type { AttemptBinding, FactorResponse, FactorRuntime } from './factor-runtime.js';
import { FactorStatus, type FactorModel, type FactorRecord } from './factor.model.js';
import {
  hashRecoveryCode,
  MAX_CODE_INPUT_CHARS,
  normalizeRecoveryCode,
  RECOVERY_CODE_HMAC_PURPOSE,
} from './recovery-codes.js';
import type { SecondFactorAttempts } from './second-factor-attempts.js';
import { SecretBoxError, type SecretBox } from '../crypto/secret-box.js';
import type { SecurityNotices } from './security-notices.js';

/** What a caller offers as a second factor: a code or a structured response from one of their factors, or a recovery code. */
export interface SecondFactorProof {
  /** Optional when the user has exactly one ACTIVE factor. */
  factorId?: Types.ObjectId;
  code?: string | null;
  /** A structured response (a WebAuthn assertion), for factors whose plugin takes JSON. */
  response?: unknown;
  recoveryCode?: string | null;
}

export interface ProvenSecondFactor {
  /** The user as read when the attempt was reserved. */
  user: UserRecord;
  factor?: FactorRecord;
  recoveryCodesRemaining?: number;
}

/**
 * Where and why a proof is made. `audit`: the recorder of an operation that writes its events together
 * (AuditService.together); without it the proof writes its own, together.
 */
interface ProofContext {
  ip?: string;
  purpose: string;
  binding: AttemptBinding;
  audit?: AuditRecorder;
}

/** Refusals of a code whose step was already used: what to do next, and nothing more (not when or where it was used). */
const USED_CODE_WAIT = 'That code was already used. Wait for the next code, and enter that one.';
const USED_CODE_SEND = 'That code was already used. Ask for a new code (sendMfaCode), and enter that one.';
const USED_RESPONSE = 'That answer was already used. Begin again (beginMfa), and answer the new challenge.';
/** A refusal when the code may come from any of the user's factors (removing a factor whose device is lost). */
const WRONG_CODE_OF_ANY_FACTOR =
  'The code is wrong, expired or already used. Give a current code from any of your factors, or one of your recovery codes.';

/**
 * Why a code was refused: `alreadyUsed` when it was right once and its step is spent (on `usedOn`, when known);
 * `reason` when the plugin gave one for the audit trail.
 */
type CodeRefusal = { alreadyUsed: boolean; usedOn?: FactorRecord; reason?: string };

/**
 * The one rule that accepts a second factor, for every factor type and every
 * purpose (sign-in, step-up, disabling MFA, regenerating codes): reserve an
 * attempt against the user's lockout, let the factor runtime check the
 * response (its form, then the plugin), then spend it (the replay key, the
 * state, the ceremony — or the recovery code) with conditional updates so that
 * nothing works twice, however many requests race.
 */
export class SecondFactorService {
  constructor(
    private readonly deps: {
      models: { users: UserModel; factors: FactorModel };
      runtime: FactorRuntime;
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
    context: ProofContext & { anyActiveFactor?: boolean; activeFactors?: readonly FactorRecord[] },
  ): Promise<ProvenSecondFactor> {
    const response = factorResponseOf(proof);
    const hasRecoveryCode = typeof proof.recoveryCode === 'string';
    if (Boolean(response) === hasRecoveryCode)
      throw badInput('code', 'Give one of a code, a response or a recoveryCode.');
    if (hasRecoveryCode && proof.recoveryCode!.length > MAX_CODE_INPUT_CHARS)
      throw badInput('recoveryCode', 'That is far too long to be a code.');
    const factors = !response
      ? []
      : context.anyActiveFactor
        ? await this.activeFactorsToTry(userId)
        : [
            context.activeFactors
              ? chooseActiveFactor(context.activeFactors, proof.factorId)
              : await this.activeFactor(userId, proof.factorId),
          ];
    if (response)
      this.deps.runtime.assertFits(
        factors.map((factor) => factor.type),
        response,
      );

    return this.settle(
      userId,
      factors,
      (user) =>
        response
          ? this.spendResponseOfAny(factors, user, response, context)
          : this.spendRecoveryCode(user, proof.recoveryCode!),
      context,
    );
  }

  /**
   * A sign-in with the factor alone (a passkey): the factor the response named, checked with the ceremony of
   * that sign-in, under the same rule as every other proof — one attempt against its owner's lockout, spent once.
   */
  async provePasswordless(
    factor: FactorRecord,
    response: unknown,
    context: { ip?: string; binding: { passwordlessKey: string }; ceremony: CeremonyRecord; audit?: AuditRecorder },
  ): Promise<ProvenSecondFactor> {
    const answer: FactorResponse = { kind: 'json', value: response };
    this.deps.runtime.assertFits([factor.type], answer);
    return this.settle(factor.userId, [factor], (user) => this.spendResponse(factor, user, answer, context), {
      ...context,
      purpose: 'passwordless',
    });
  }

  /**
   * Reserves one attempt against the user's lockout, makes it (`attempt`), and records the outcome: a failure
   * counted (and maybe a lockout) with its audit event and INVALID_CODE, or a success that clears the count.
   */
  private async settle(
    userId: Types.ObjectId,
    factors: FactorRecord[],
    attempt: (user: UserRecord) => Promise<ProvenSecondFactor | CodeRefusal>,
    context: ProofContext & { anyActiveFactor?: boolean },
  ): Promise<ProvenSecondFactor> {
    // The events of one proof (a failure and the lockout it starts, say) are written together, with the caller's when it collects them.
    return this.deps.audit.together(async (audit) => {
      const now = this.deps.clock();
      const user = await this.deps.attempts.reserve(userId, now);
      let proven: ProvenSecondFactor | CodeRefusal;
      try {
        proven = await attempt(user);
      } catch (error) {
        // The code could not be checked (a key the server lacks): the server's fault, so not the user's attempt (no lockout by an operator's mistake).
        if (error instanceof AppError && error.code === ErrorCode.SERVICE_UNAVAILABLE)
          await this.deps.attempts.release(user);
        throw error;
      }
      const about = { userId, ip: context.ip };
      if ('alreadyUsed' in proven) {
        const { alreadyUsed, usedOn, reason } = proven;
        const lockedForSeconds = await this.deps.attempts.failed(user, now);
        await audit.record({
          ...about,
          type: AuditEventType.MFA_FAILED,
          details: {
            purpose: context.purpose,
            ...(factors.length > 1 ? { method: 'code', factorsTried: factors.length } : this.describe(factors[0])),
            ...(alreadyUsed ? { reason: 'code_already_used' } : reason ? { reason } : {}),
          },
        });
        if (lockedForSeconds)
          await audit.record({
            ...about,
            type: AuditEventType.MFA_LOCKED_OUT,
            details: { seconds: lockedForSeconds },
          });
        const attemptsRemaining = lockedForSeconds ? 0 : this.deps.attempts.remainingAfter(user);
        throw invalidCode(
          attemptsRemaining,
          usedOn ? this.usedCodeMessage(usedOn) : context.anyActiveFactor ? WRONG_CODE_OF_ANY_FACTOR : undefined,
        );
      }
      await this.deps.attempts.succeeded(userId);
      await audit.record({
        ...about,
        type: AuditEventType.MFA_SUCCEEDED,
        details: { purpose: context.purpose, ...this.describe(proven.factor) },
      });
      if (!proven.factor) {
        await audit.record({
          ...about,
          type: AuditEventType.RECOVERY_CODE_USED,
          details: { remaining: proven.recoveryCodesRemaining },
        });
        await this.deps.notices.recoveryCodeUsed(user, proven.recoveryCodesRemaining ?? 0);
      }
      return proven;
    }, context.audit);
  }

  /** What the audit trail says of the factor a proof used: its id, type and the type's assurance. */
  private describe(factor: FactorRecord | undefined): Record<string, unknown> {
    if (!factor) return { method: 'recovery_code' };
    const details = { factorId: factor._id.toHexString(), factorType: factor.type };
    return this.deps.runtime.loads(factor.type)
      ? { ...details, assurance: this.deps.runtime.plugin(factor.type).assurance }
      : details;
  }

  /** The user's ACTIVE factor by id, or their only one when no id is given. */
  private async activeFactor(userId: Types.ObjectId, factorId: Types.ObjectId | undefined): Promise<FactorRecord> {
    const filter = factorId
      ? { _id: factorId, userId, status: FactorStatus.ACTIVE }
      : { userId, status: FactorStatus.ACTIVE };
    return chooseActiveFactor(await this.deps.models.factors.find(filter).limit(2).lean<FactorRecord[]>(), factorId);
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
    const checkable = factors.filter((factor) => this.deps.runtime.loads(factor.type));
    if (checkable.length === 0)
      throw new AppError(ErrorCode.NOT_FOUND, 'No such active factor.', { field: 'factorId' });
    const delivers = (factor: FactorRecord) => (this.deps.runtime.delivers(factor.type) ? 1 : 0);
    return checkable.sort((a, b) => delivers(a) - delivers(b));
  }

  /**
   * The first factor in `factors` that takes the response spends it. A factor whose secret this server cannot open
   * is passed over; when no other factor took the response, that is SERVICE_UNAVAILABLE rather than a wrong code.
   */
  private async spendResponseOfAny(
    factors: FactorRecord[],
    owner: UserRecord,
    response: FactorResponse,
    context: { binding: AttemptBinding },
  ): Promise<ProvenSecondFactor | CodeRefusal> {
    let unavailable: AppError | undefined;
    let refusal: CodeRefusal = { alreadyUsed: false };
    for (const factor of factors) {
      try {
        const spent = await this.spendResponse(factor, owner, response, context);
        if (!('alreadyUsed' in spent)) return spent;
        if (spent.alreadyUsed && !refusal.alreadyUsed) refusal = { alreadyUsed: true, usedOn: factor };
        else if (spent.reason && !refusal.alreadyUsed) refusal = { ...refusal, reason: spent.reason };
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== ErrorCode.SERVICE_UNAVAILABLE) throw error;
        unavailable = error;
      }
    }
    if (unavailable) throw unavailable;
    return refusal;
  }

  /** Checks the response on one factor and spends what it used: only the first of parallel requests wins. */
  private async spendResponse(
    factor: FactorRecord,
    owner: UserRecord,
    response: FactorResponse,
    context: { binding: AttemptBinding; ceremony?: CeremonyRecord },
  ): Promise<ProvenSecondFactor | CodeRefusal> {
    const { runtime } = this.deps;
    const stored = runtime.storedFactor(factor, owner); // first: a secret that cannot be opened uses up none of the code's tries
    const limits = runtime.plugin(factor.type).delivery;
    if (limits && !(await this.reserveCodeAttempt(factor, limits.maxAttemptsPerCode))) return { alreadyUsed: false };
    const checked = await runtime.check(factor, stored, response, context);
    const { verdict } = checked;
    if (!verdict.accepted) return { alreadyUsed: verdict.alreadyUsed ?? false, reason: verdict.reason };
    const spent = await runtime.spend(factor, checked);
    // Lost the race: a parallel request spent this key, state or ceremony first.
    return spent ? { user: owner, factor: spent } : { alreadyUsed: true };
  }

  /**
   * A delivered code is replaced by asking for a new one; any other code factor shows its next code in time; a
   * structured response (passkeys) answers a challenge, so a new one is begun.
   */
  private usedCodeMessage(factor: FactorRecord): string {
    if (this.deps.runtime.plugin(factor.type).responseLimits.kind === 'json') return USED_RESPONSE;
    return this.deps.runtime.delivers(factor.type) ? USED_CODE_SEND : USED_CODE_WAIT;
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

/**
 * `factorId`'s factor among `active` (the user's ACTIVE factors, or those of them a query picked), or the only one
 * when no id is given.
 */
function chooseActiveFactor(active: readonly FactorRecord[], factorId: Types.ObjectId | undefined): FactorRecord {
  const factors = factorId ? active.filter((factor) => factor._id.equals(factorId)) : active;
  if (factors.length === 0) throw new AppError(ErrorCode.NOT_FOUND, 'No such active factor.', { field: 'factorId' });
  if (factors.length > 1) throw badInput('factorId', 'You have several factors: say which one (factorId).');
  return factors[0];
}

/** The proof's response in the form the runtime checks, or undefined when it is a recovery code (or nothing). */
function factorResponseOf(proof: SecondFactorProof): FactorResponse | undefined {
  const hasCode = typeof proof.code === 'string';
  const hasResponse = proof.response !== undefined && proof.response !== null;
  if (hasCode && hasResponse) throw badInput('response', 'Give either a code or a response, not both.');
  if (hasCode) return { kind: 'code', value: proof.code! };
  return hasResponse ? { kind: 'json', value: proof.response } : undefined;
}
