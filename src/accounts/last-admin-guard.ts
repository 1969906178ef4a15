import { randomUUID } from 'node:crypto';
import type { Types } from 'mongoose';
import { forbidden, notFound, serviceUnavailable } from '../errors.js';
import { Role, type UserModel, type UserRecord } from './user.model.js';

/** A demotion mark older than this belongs to a process that died mid-demotion: it no longer counts. */
export const DEMOTION_MARK_STALE_MS = 30_000;
/** Rounds a demotion waits out demotions of other admins deciding at the same time, before giving up. */
const DEMOTION_TRIES = 10;

/**
 * Keeps at least one admin, without transactions, under any number of
 * parallel demotions in any number of processes. A demotion first marks its
 * target (one conditional update), then counts the admins that are neither the
 * target nor marked, and demotes only when one remains. Two admins A and B
 * demoting each other cannot both succeed: each count runs after its own mark,
 * so for both to see the other unmarked, A's count would run before B's mark,
 * which runs before B's count, which runs before A's mark, which runs before
 * A's count. A demotion can still stall after its count (a pause, a
 * failover, a request held up in flight) for longer than the stale age, and
 * another demotion then takes its mark for stale and counts this admin as
 * staying. So each demotion counts again once it has landed, and when no other
 * admin remains it puts the role back and decides again: of demotions that
 * land together, the last to land sees all of them. When both step back (each saw the other marked), they retry after
 * a random pause, so one of them wins a later round and the other then finds
 * itself the last admin. Nothing else lowers the number of admins:
 * deactivation and deletion refuse admins (UserAdminService).
 */
export class LastAdminGuard {
  constructor(private readonly deps: { models: { users: UserModel }; clock: () => Date }) {}

  /**
   * Demotes `userId` to USER; FORBIDDEN when no other admin would remain.
   * Returns the user as it stands then, and whether this call demoted them
   * (false when a parallel demotion did): only that one is audited and told.
   */
  async demote(userId: Types.ObjectId): Promise<{ user: UserRecord; changed: boolean }> {
    const users = this.deps.models.users;
    for (let round = 0; round < DEMOTION_TRIES; round++) {
      const mark = randomUUID();
      const startedAt = this.deps.clock();
      const stale = new Date(startedAt.getTime() - DEMOTION_MARK_STALE_MS);
      const marked = await users.updateOne(
        { _id: userId, role: Role.ADMIN, ...unmarked(stale) },
        { $set: { demotion: { mark, startedAt } } },
      );
      if (marked.modifiedCount === 0) {
        const user = await users.findById(userId).lean<UserRecord>();
        if (!user) throw notFound('User');
        if (user.role !== Role.ADMIN) return { user, changed: false }; // demoted meanwhile: nothing left to do
        await pause(); // another demotion of this admin is deciding
        continue;
      }
      const remaining = await users.countDocuments({ _id: { $ne: userId }, role: Role.ADMIN, ...unmarked(stale) });
      if (remaining > 0) {
        const demoted = await users
          .findOneAndUpdate(
            { _id: userId, 'demotion.mark': mark },
            { $set: { role: Role.USER }, $unset: { demotion: 1 } },
            { returnDocument: 'after' },
          )
          .lean<UserRecord>();
        if (!demoted) continue; // our mark was taken for stale and replaced: decide again
        if ((await users.countDocuments({ role: Role.ADMIN })) > 0) return { user: demoted, changed: true };
        // Another demotion took our mark for stale while we stalled and landed first: undo ours, decide again.
        await users.updateOne({ _id: userId, role: Role.USER }, { $set: { role: Role.ADMIN } });
        continue;
      }
      await users.updateOne({ _id: userId, 'demotion.mark': mark }, { $unset: { demotion: 1 } });
      if ((await users.countDocuments({ _id: { $ne: userId }, role: Role.ADMIN })) === 0)
        throw forbidden('The last admin cannot be demoted: make another user an admin first.');
      await pause(); // the other admins are being demoted at this moment: one of these demotions wins the next round
    }
    throw serviceUnavailable('Admin roles are being changed by several requests at once; try again.');
  }
}

/** Users with no live demotion mark (none, or one left by a process that died). */
function unmarked(stale: Date): Record<string, unknown> {
  return { $or: [{ demotion: { $exists: false } }, { 'demotion.startedAt': { $lte: stale } }] };
}

/** 10 to 60 ms, at random, so racing demotions stop meeting each other. */
function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 50));
}
