import type { Redis } from 'ioredis';
import type { Types } from 'mongoose';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { UserRecord } from '../accounts/user.model.js';
import { AppError, ErrorCode, badInput, serviceUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DeliveryLimits, FactorPlugin } from './factor-plugin.js';
import { FactorStatus, type FactorModel, type FactorRecord } from './factor.model.js';
import type { SecondFactorService } from './second-factor.service.js';

const SECONDS_PER_HOUR = 3600;

/**
 * Sends codes for factors that deliver them (e-mail, SMS), within the limits
 * each plugin declares: a cooldown per factor and a cap per user and hour,
 * both reserved in Redis before anything is sent, so every server process
 * shares them. Without Redis nothing can be sent: SERVICE_UNAVAILABLE.
 */
export class ChallengeService {
  private readonly limiters = new Map<string, { cooldown: RateLimiterRedis; hourly: RateLimiterRedis }>();

  constructor(private readonly deps: { factors: FactorModel; secondFactor: SecondFactorService; redis: Redis; logger: Logger; clock: () => Date }) {}

  /** Sends a fresh code for one of the user's ACTIVE factors (sendMfaCode). */
  async sendForVerification(owner: UserRecord, factorId: Types.ObjectId): Promise<void> {
    const factor = await this.deps.factors.findOne({ _id: factorId, userId: owner._id, status: FactorStatus.ACTIVE }).lean<FactorRecord>();
    if (!factor) throw new AppError(ErrorCode.NOT_FOUND, 'No such active factor.', { field: 'factorId' });
    await this.send(owner, factor, 'verification');
  }

  /** Sends a fresh code for `factor` (ACTIVE, or PENDING during enrollment); the previous one dies. */
  async send(owner: UserRecord, factor: FactorRecord, purpose: 'enrollment' | 'verification'): Promise<void> {
    const plugin = this.deps.secondFactor.plugin(factor.type);
    if (!plugin.challenge || !plugin.delivery) throw badInput('factorId', `${plugin.displayName} codes are not sent: use the code your app shows.`);
    const now = this.deps.clock();
    const refund = await this.reserve(plugin, plugin.delivery, owner, factor);
    let state: Record<string, unknown>;
    try {
      ({ state } = await plugin.challenge({
        factor: this.deps.secondFactor.storedFactor(factor, owner),
        now,
        purpose,
        keyedHash: this.deps.secondFactor.keyedHashFor(factor),
      }));
    } catch (error) {
      await refund();
      if (error instanceof AppError) throw error;
      this.deps.logger.error({ err: error, factorType: factor.type }, 'a code could not be sent');
      throw serviceUnavailable('Codes cannot be sent right now. Try again shortly, or use another factor or a recovery code.');
    }
    await this.deps.factors.updateOne({ _id: factor._id }, { $set: { state, codeFailures: 0 } });
  }

  /** Takes one send from both limits, or throws; returns how to give it back if the send fails. */
  private async reserve(plugin: FactorPlugin, limits: DeliveryLimits, owner: UserRecord, factor: FactorRecord): Promise<() => Promise<void>> {
    const { cooldown, hourly } = this.limitersFor(plugin.type, limits);
    const cooldownKey = factor._id.toHexString();
    const hourlyKey = owner._id.toHexString();
    await consume(cooldown, cooldownKey);
    try {
      await consume(hourly, hourlyKey);
    } catch (error) {
      await cooldown.reward(cooldownKey, 1).catch(() => undefined);
      throw error;
    }
    return async () => {
      await Promise.all([cooldown.reward(cooldownKey, 1), hourly.reward(hourlyKey, 1)]).catch(() => undefined);
    };
  }

  private limitersFor(type: string, limits: DeliveryLimits) {
    let limiters = this.limiters.get(type);
    if (!limiters) {
      const common = { storeClient: this.deps.redis, inMemoryBlockOnConsumed: 0 };
      limiters = {
        cooldown: new RateLimiterRedis({ ...common, keyPrefix: `challenge:cooldown:${type}`, points: 1, duration: limits.cooldownSeconds }),
        hourly: new RateLimiterRedis({ ...common, keyPrefix: `challenge:hourly:${type}`, points: limits.maxSendsPerHour, duration: SECONDS_PER_HOUR }),
      };
      this.limiters.set(type, limiters);
    }
    return limiters;
  }
}

async function consume(limiter: RateLimiterRedis, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) {
      const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new AppError(ErrorCode.TOO_MANY_ATTEMPTS, `Wait ${retryAfterSeconds} s before asking for another code.`, { retryAfterSeconds });
    }
    throw serviceUnavailable('Codes cannot be sent right now. Use another factor or a recovery code.');
  }
}
