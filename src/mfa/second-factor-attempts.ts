import type { Types } from 'mongoose';
import type { UserModel, UserRecord } from '../accounts/user.model.js';
import { notFound, tooManyAttempts } from '../errors.js';

/** Consecutive second-factor failures before a lockout (NIST 800-63B §5.2.2 asks for a limit; 5 is the common choice). */
export const MAX_CONSECUTIVE_FAILURES = 5;
/** The first lockout's length; each further consecutive lockout doubles it, up to LOCKOUT_MAX_SECONDS. */
export const LOCKOUT_BASE_SECONDS = 60;
export const LOCKOUT_MAX_SECONDS = 60 * 60;

/**
 * Counts second-factor attempts per user, across every factor, recovery code
 * and session, in the user's own record (so it holds without Redis).
 *
 * Each attempt is reserved — counted as a failure — by one conditional update
 * before its code is checked, so parallel requests and aliased fields cannot
 * check more than MAX_CONSECUTIVE_FAILURES codes between lockouts; a success
 * clears the count, the failure that fills it starts a lockout.
 */
export class SecondFactorAttempts {
  constructor(private readonly deps: { models: { users: UserModel } }) {}

  /**
   * Reserves one attempt and returns the user as it stands with it counted
   * (`secondFactorFailures` includes it), so the check that follows reads no
   * second copy. Throws TOO_MANY_ATTEMPTS while locked or full.
   */
  async reserve(userId: Types.ObjectId, now: Date): Promise<UserRecord> {
    const reserved = await this.deps.models.users
      .findOneAndUpdate(
        {
          _id: userId,
          secondFactorFailures: { $lt: MAX_CONSECUTIVE_FAILURES },
          $or: [
            { secondFactorLockedUntil: { $exists: false } },
            { secondFactorLockedUntil: null },
            { secondFactorLockedUntil: { $lte: now } },
          ],
        },
        { $inc: { secondFactorFailures: 1 } },
        { returnDocument: 'after' },
      )
      .lean<UserRecord>();
    if (reserved) return reserved;
    const user = await this.deps.models.users
      .findById(userId, { secondFactorLockedUntil: 1 })
      .lean<Pick<UserRecord, 'secondFactorLockedUntil'>>();
    if (!user) throw notFound('User');
    const lockedForMs = (user.secondFactorLockedUntil?.getTime() ?? 0) - now.getTime();
    // Full but not yet locked: the attempts that filled it are still being checked.
    throw tooManyAttempts(Math.max(1, Math.ceil(lockedForMs / 1000)));
  }

  /**
   * The code could not be checked at all (the server lacks a key): the
   * attempt `reserve` counted is given back, unless a lockout or a success
   * has started the count over meanwhile (the epoch moved on): then the
   * attempt is gone already, and taking 1 off would take back an attempt
   * reserved since. Within one epoch the count is the attempts reserved in
   * it and not given back, this one among them, so taking 1 off gives back
   * exactly this one.
   */
  async release(reserved: UserRecord): Promise<void> {
    await this.deps.models.users.updateOne(
      { _id: reserved._id, secondFactorEpoch: reserved.secondFactorEpoch ?? null, secondFactorFailures: { $gt: 0 } },
      { $inc: { secondFactorFailures: -1 } },
    );
  }

  /**
   * Wrong codes still allowed before the lockout after a failed attempt, as
   * its own reservation (`reserved`, what `reserve` returned) counted them:
   * no further read. Reservations are atomic increments, so parallel
   * failures each get their own count and show different numbers (4, 3, 2,
   * 1, 0), never more than are left in the order they were reserved. What
   * the number may over-state is the moment it arrives: attempts reserved
   * after this one (parallel requests on the same account) are not in it, so
   * the user may have up to that many fewer left, or be locked by one of
   * them, and learns it from TOO_MANY_ATTEMPTS on the next try. Acceptable:
   * the number only guides the user, and what limits guesses is the
   * reservation, which never lets more than MAX_CONSECUTIVE_FAILURES codes be
   * checked whatever any answer said. A read after the failure would leave
   * out the attempts reserved after that read just the same, for one more
   * round trip per wrong code. A success that raced this failure and cleared
   * the count makes the number smaller than it is, never larger.
   */
  remainingAfter(reserved: UserRecord): number {
    return Math.max(0, MAX_CONSECUTIVE_FAILURES - reserved.secondFactorFailures);
  }

  /** The code was right: the consecutive count starts over. */
  async succeeded(userId: Types.ObjectId): Promise<void> {
    await this.deps.models.users.updateOne(
      { _id: userId },
      {
        $set: { secondFactorFailures: 0, secondFactorLockouts: 0 },
        $unset: { secondFactorLockedUntil: 1 },
        $inc: { secondFactorEpoch: 1 },
      },
    );
  }

  /**
   * An admin's unlockUser: the count, the lockout and its back-off start over,
   * as after a success. Returns whether a lockout was in force at `now`.
   */
  async clear(userId: Types.ObjectId, now: Date): Promise<boolean> {
    const before = await this.deps.models.users
      .findOneAndUpdate(
        { _id: userId },
        {
          $set: { secondFactorFailures: 0, secondFactorLockouts: 0 },
          $unset: { secondFactorLockedUntil: 1 },
          $inc: { secondFactorEpoch: 1 },
        },
      )
      .lean<Pick<UserRecord, 'secondFactorLockedUntil'>>();
    return (before?.secondFactorLockedUntil?.getTime() ?? 0) > now.getTime();
  }

  /**
   * The code was wrong. When this attempt filled the allowance (`reserved`
   * is what `reserve` returned), locks the user; returns the lockout's length then.
   */
  async failed(reserved: UserRecord, now: Date): Promise<number | undefined> {
    if (reserved.secondFactorFailures < MAX_CONSECUTIVE_FAILURES) return undefined;
    const seconds = Math.min(LOCKOUT_MAX_SECONDS, LOCKOUT_BASE_SECONDS * 2 ** (reserved.secondFactorLockouts ?? 0));
    // Only while the count is still full: a success that raced this failure has cleared it, and then there is nothing to lock.
    const locked = await this.deps.models.users.updateOne(
      { _id: reserved._id, secondFactorFailures: { $gte: MAX_CONSECUTIVE_FAILURES } },
      {
        $set: { secondFactorFailures: 0, secondFactorLockedUntil: new Date(now.getTime() + seconds * 1000) },
        $inc: { secondFactorLockouts: 1, secondFactorEpoch: 1 },
      },
    );
    return locked.modifiedCount === 1 ? seconds : undefined;
  }
}
