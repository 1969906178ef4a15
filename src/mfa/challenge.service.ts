import type { Types } from 'mongoose';
import type { UserModel, UserRecord } from '../accounts/user.model.js';
import { fullSessionViewer } from '../auth/access.js';
import type { Viewer } from '../auth/viewer.js';
import { AppError, ErrorCode, badInput, serviceUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DeliveryCaps, DeliveryReservation } from './delivery-caps.js';
import type { DeliveryLimits } from './factor-plugin.js';
import { FactorStatus, type FactorModel, type FactorRecord } from './factor.model.js';
import type { SecondFactorService } from './second-factor.service.js';
import type { SignInService } from './sign-in.service.js';

const HOUR_MS = 60 * 60_000;

/**
 * Sends codes for factors that deliver them (e-mail, SMS), within the limits
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
      secondFactor: SecondFactorService;
      caps: DeliveryCaps;
      logger: Logger;
      clock: () => Date;
    },
  ) {}

  /**
   * Whom sendMfaCode's code is for: the user signing in with `mfaToken`; without
   * one, the user of `viewer`'s full interactive session (step-up, disableMfa),
   * never an API key's or an enrollment-only session's.
   */
  async recipientOf(mfaToken: string | null | undefined, viewer: Viewer | undefined): Promise<UserRecord> {
    return mfaToken ? this.deps.signIn.challengedUser(mfaToken) : fullSessionViewer(viewer).user;
  }

  /** Sends a fresh code for one of the user's ACTIVE factors (sendMfaCode), asked for from `clientIp`. */
  async sendForVerification(owner: UserRecord, factorId: Types.ObjectId, clientIp: string | undefined): Promise<void> {
    const factor = await this.deps.models.factors
      .findOne({ _id: factorId, userId: owner._id, status: FactorStatus.ACTIVE })
      .lean<FactorRecord>();
    if (!factor) throw new AppError(ErrorCode.NOT_FOUND, 'No such active factor.', { field: 'factorId' });
    await this.send(owner, factor, 'verification', clientIp);
  }

  /** Sends a fresh code for `factor` (ACTIVE, or PENDING during enrollment); the previous one dies. */
  async send(
    owner: UserRecord,
    factor: FactorRecord,
    purpose: 'enrollment' | 'verification',
    clientIp: string | undefined,
  ): Promise<void> {
    const plugin = this.deps.secondFactor.plugin(factor.type);
    if (!plugin.challenge || !plugin.delivery || !plugin.destination)
      throw badInput('factorId', `${plugin.displayName} codes are not sent: use the code your app shows.`);
    const now = this.deps.clock();
    await this.reserve(plugin.delivery, owner, factor, now);
    let capped: DeliveryReservation | undefined;
    let state: Record<string, unknown>;
    try {
      const stored = this.deps.secondFactor.storedFactor(factor, owner);
      // An ACTIVE factor's destination was proven by its enrollment code; a PENDING one's is only typed, and shares its cap with every account.
      const send = {
        destination: plugin.destination(stored),
        ownerId: owner._id.toHexString(),
        proven: factor.status === FactorStatus.ACTIVE,
        clientIp,
      };
      capped = await this.deps.caps.reserveCode(send, now);
      ({ state } = await plugin.challenge({
        factor: stored,
        now,
        purpose,
        keyedHash: this.deps.secondFactor.keyedHashFor(factor),
      }));
    } catch (error) {
      await Promise.all([this.release(owner, factor, now), capped?.release()]);
      if (error instanceof AppError) throw error;
      this.deps.logger.error({ err: error, factorType: factor.type }, 'a code could not be sent');
      throw serviceUnavailable(
        'Codes cannot be sent right now. Try again shortly, or use another factor or a recovery code.',
      );
    }
    // The new state replaces the old code, and the new code gets its own tries.
    await this.deps.models.factors.updateOne({ _id: factor._id }, { $set: { state, codeFailures: 0 } });
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
