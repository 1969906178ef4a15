import type { Types } from 'mongoose';
import type { UserModel, UserRecord } from '../accounts/user.model.js';
import { fullSessionViewer } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { AppError, ErrorCode, badInput, serviceUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DeliveryCaps, DeliveryReservation } from './delivery-caps.js';
import type { DeliveryLimits } from './factor-plugin.js';
import type { AttemptBinding, FactorRuntime } from './factor-runtime.js';
import { FactorStatus, type FactorModel, type FactorRecord } from './factor.model.js';
import type { SignInService } from './sign-in.service.js';

/** beginMfa's and sendMfaCode's request: a sign-in's mfaToken, or the viewer's session, and which factor. */
export interface AttemptRequest {
  mfaToken: string | null | undefined;
  viewer: Viewer | undefined;
  factorId: Types.ObjectId;
  clientIp: string | undefined;
}

/** What beginMfa answers: the plugin's options for the client, and whether a code went out. */
export interface StartedAttempt {
  clientOptions?: Record<string, unknown>;
  delivered: boolean;
}

const HOUR_MS = 60 * 60_000;

/**
 * Begins attempts (beginMfa, sendMfaCode, an enrollment's first code): the
 * plugin's `begin` through the factor runtime, bound to the sign-in or the
 * session, and its delivery when it has one (e-mail, SMS) — within the limits
 * each plugin declares (a cooldown per factor and a cap per user and hour)
 * and the service's own caps per destination and per client address. All are
 * reserved before anything is sent — conditional updates of the factor and
 * the user, one Redis script for the caps — so parallel requests and several
 * server processes share them; a send that fails gives its reservations back.
 */
export class ChallengeService {
  constructor(
    private readonly deps: {
      models: { users: UserModel; factors: FactorModel };
      signIn: SignInService;
      runtime: FactorRuntime;
      caps: DeliveryCaps;
      logger: Logger;
      clock: () => Date;
    },
  ) {}

  /**
   * Whose attempt beginMfa and sendMfaCode begin, and where it is bound: the sign-in of `mfaToken`; without one,
   * `viewer`'s full interactive session (step-up, disableMfa), never an API key's or an enrollment-only session's.
   */
  async attemptOf(
    mfaToken: string | null | undefined,
    viewer: Viewer | undefined,
  ): Promise<{ owner: UserRecord; binding: AttemptBinding; activeFactors?: FactorRecord[] }> {
    if (mfaToken) {
      // The owner's ACTIVE factors come in the same round trip: the attempt's factor is one of them.
      const { owner, challenge, activeFactors } = await this.deps.signIn.liveChallengeWithFactors(mfaToken);
      return { owner, binding: { signInChallengeId: challenge._id }, activeFactors };
    }
    const { user, session } = fullSessionViewer(viewer);
    return { owner: user, binding: { sessionId: session._id } };
  }

  /** Begins an attempt of one of the asker's ACTIVE factors (beginMfa), for the sign-in or session `attemptOf` finds. */
  async begin(request: AttemptRequest): Promise<StartedAttempt> {
    const { owner, binding, activeFactors } = await this.attemptOf(request.mfaToken, request.viewer);
    const factor = await this.activeFactor(owner, request.factorId, activeFactors);
    return this.start(owner, factor, binding, request.clientIp);
  }

  /** Sends a fresh code for one of the asker's ACTIVE factors (sendMfaCode): only for factors that deliver codes. */
  async sendForVerification(request: AttemptRequest): Promise<void> {
    const { owner, binding, activeFactors } = await this.attemptOf(request.mfaToken, request.viewer);
    const factor = await this.activeFactor(owner, request.factorId, activeFactors);
    const plugin = this.deps.runtime.plugin(factor.type);
    if (!plugin.delivery)
      throw badInput('factorId', `${plugin.displayName} codes are not sent: use the code your app shows.`);
    await this.start(owner, factor, binding, request.clientIp);
  }

  /** Sends the first code of a PENDING factor that delivers codes, right after enableMfa. */
  async sendForEnrollment(owner: UserRecord, factor: FactorRecord, clientIp: string | undefined): Promise<void> {
    await this.start(owner, factor, undefined, clientIp);
  }

  /** `factorId`'s ACTIVE factor of `owner`: among `activeFactors` when they were read already, else read. */
  private async activeFactor(
    owner: UserRecord,
    factorId: Types.ObjectId,
    activeFactors?: readonly FactorRecord[],
  ): Promise<FactorRecord> {
    const factor = activeFactors
      ? activeFactors.find((candidate) => candidate._id.equals(factorId))
      : await this.deps.models.factors
          .findOne({ _id: factorId, userId: owner._id, status: FactorStatus.ACTIVE })
          .lean<FactorRecord>();
    if (!factor || !this.deps.runtime.loads(factor.type))
      throw new AppError(ErrorCode.NOT_FOUND, 'No such active factor.', { field: 'factorId' });
    return factor;
  }

  /** The plugin's `begin`, then its delivery (if any) within every limit; a failed send gives its reservations back. */
  private async start(
    owner: UserRecord,
    factor: FactorRecord,
    binding: AttemptBinding | undefined,
    clientIp: string | undefined,
  ): Promise<StartedAttempt> {
    const { runtime } = this.deps;
    const begun = await runtime.begin(factor, owner, binding);
    if (!begun.deliver) return { clientOptions: begun.clientOptions, delivered: false };
    const limits = runtime.plugin(factor.type).delivery;
    if (!limits) throw new Error(`factor plugin "${factor.type}" delivers without delivery limits`);
    const now = this.deps.clock();
    await this.reserve(limits, owner, factor, now);
    let capped: DeliveryReservation | undefined;
    try {
      // An ACTIVE factor's destination was proven by its enrollment code; a PENDING one's is only typed, and shares its cap with every account.
      const send = {
        destination: runtime.destination(factor, owner),
        ownerId: owner._id.toHexString(),
        proven: factor.status === FactorStatus.ACTIVE,
        clientIp,
      };
      capped = await this.deps.caps.reserveCode(send, now);
      await runtime.deliver(factor, begun.deliver);
    } catch (error) {
      await Promise.all([this.release(owner, factor, now), capped?.release()]);
      if (error instanceof AppError) throw error;
      this.deps.logger.error({ err: error, factorType: factor.type }, 'a code could not be sent');
      throw serviceUnavailable(
        'Codes cannot be sent right now. Try again shortly, or use another factor or a recovery code.',
      );
    }
    return { clientOptions: begun.clientOptions, delivered: true };
  }

  /** Takes one send from the factor's cooldown and the user's hourly allowance, or throws TOO_MANY_ATTEMPTS. */
  private async reserve(limits: DeliveryLimits, owner: UserRecord, factor: FactorRecord, now: Date): Promise<void> {
    const cooldownMs = limits.cooldownSeconds * 1000;
    const cooled = await this.deps.models.factors.findOneAndUpdate(
      {
        _id: factor._id,
        $or: [
          { lastChallengedAt: { $exists: false } },
          { lastChallengedAt: { $lte: new Date(now.getTime() - cooldownMs) } },
        ],
      },
      { $set: { lastChallengedAt: now } },
    );
    if (!cooled) {
      const last = (await this.deps.models.factors.findById(factor._id, { lastChallengedAt: 1 }).lean<FactorRecord>())
        ?.lastChallengedAt;
      throw waitBeforeSending((last?.getTime() ?? now.getTime()) + cooldownMs - now.getTime());
    }
    // The user's last sends, oldest first, at most maxSendsPerHour of them: a sliding window in one document.
    const max = limits.maxSendsPerHour;
    const hourAgo = new Date(now.getTime() - HOUR_MS);
    const counted = await this.deps.models.users.updateOne(
      {
        _id: owner._id,
        $or: [{ [`challengeSends.${max - 1}`]: { $exists: false } }, { 'challengeSends.0': { $lte: hourAgo } }],
      },
      { $push: { challengeSends: { $each: [now], $slice: -max } } },
    );
    if (counted.modifiedCount === 0) {
      await this.deps.models.factors.updateOne(
        { _id: factor._id, lastChallengedAt: now },
        { $unset: { lastChallengedAt: 1 } },
      );
      const oldest = (await this.deps.models.users.findById(owner._id, { challengeSends: 1 }).lean<UserRecord>())
        ?.challengeSends?.[0];
      throw waitBeforeSending((oldest?.getTime() ?? now.getTime()) + HOUR_MS - now.getTime());
    }
  }

  /** Gives a failed send's reservation back, so a queue outage does not use up the allowance. */
  private async release(owner: UserRecord, factor: FactorRecord, now: Date): Promise<void> {
    await this.deps.models.factors.updateOne(
      { _id: factor._id, lastChallengedAt: now },
      { $unset: { lastChallengedAt: 1 } },
    );
    await this.deps.models.users.updateOne({ _id: owner._id }, { $pull: { challengeSends: now } });
  }
}

function waitBeforeSending(ms: number): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(ms / 1000));
  return new AppError(ErrorCode.TOO_MANY_ATTEMPTS, `Wait ${retryAfterSeconds} s before asking for another code.`, {
    retryAfterSeconds,
  });
}
