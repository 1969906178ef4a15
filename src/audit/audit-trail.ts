import { Types } from 'mongoose';
import type { Viewer } from '../auth/viewer.js';
import type { Page } from '../db/pagination.js';
import { badInput } from '../errors.js';
import type { AdminAccess } from '../mfa/admin-access.js';
import { AuditEventType, type AuditEventModel, type AuditEventRecord } from './audit-event.model.js';

/** Every event type the trail records, in the order the model lists them (what a filter may name). */
export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = Object.values(AuditEventType);
const KNOWN_TYPES = new Set<string>(AUDIT_EVENT_TYPES);

/** Narrows a read of the trail; every part left out narrows nothing. */
export interface AuditFilter {
  /** Whose events (see `listFor` for who may ask for whom). */
  userId?: Types.ObjectId;
  /** Only events of these types (AuditEventType values). */
  types?: readonly string[];
  /** Only events recorded at or after this time. */
  since?: Date;
  /** Only events recorded before this time. */
  until?: Date;
}

/** Reading the audit trail: one's own events, or, for an admin with MFA, anyone's. */
export class AuditTrail {
  constructor(private readonly deps: { models: { auditEvents: AuditEventModel }; admins: AdminAccess }) {}

  /**
   * The events `viewer` may read, newest first. Without `userId`: everyone's
   * for an admin in a session that passed MFA; the viewer's own for anyone
   * else (a user, an admin's API key, an admin session without MFA), as
   * `sessions` and `apiKeys` answer. Another user's (`userId`) only for an
   * admin with MFA. `types`, `since` and `until` narrow either; a type no
   * event has, or a range that ends before it starts, is BAD_USER_INPUT.
   */
  async listFor(viewer: Viewer, filter: AuditFilter, page: Page): Promise<AuditEventRecord[]> {
    validate(filter);
    const { userId, ...narrowing } = filter;
    if (userId === undefined && (await this.deps.admins.isMfaAdmin(viewer))) return this.list(narrowing, page);
    return this.list({ ...narrowing, userId: await this.deps.admins.whose(viewer, userId) }, page);
  }

  /**
   * Newest first, `first` at a time, after the cursor `after` (an event id).
   * The time range bounds `_id` too (an id starts with the second it was made
   * in, the moment its event was recorded), so the scan stays on the index
   * that serves the rest of the query — `{userId, _id}`, `{type, _id}` or
   * `_id` itself — instead of reading every event to test `createdAt`, which
   * then only trims the seconds at the ends to the exact instants.
   */
  private async list(filter: AuditFilter, page: Page): Promise<AuditEventRecord[]> {
    const query: Record<string, unknown> = {};
    if (filter.userId) query.userId = filter.userId;
    if (filter.types) query.type = { $in: filter.types };
    const ids: Record<string, Types.ObjectId> = {};
    if (page.after) ids.$lt = page.after;
    if (filter.since) {
      const second = Math.floor(filter.since.getTime() / 1000);
      // Before 1970 every id is later: no bound.
      if (second > 0) ids.$gte = idOfSecond(second);
      query.createdAt = { $gte: filter.since };
    }
    if (filter.until) {
      const secondAfter = Math.floor(filter.until.getTime() / 1000) + 1;
      const firstIdAfter = idOfSecond(secondAfter);
      // After 2106 no id is later: no bound.
      if (secondAfter <= LAST_ID_SECOND && (!page.after || firstIdAfter.toHexString() < page.after.toHexString()))
        ids.$lt = firstIdAfter;
      query.createdAt = { ...(query.createdAt as object), $lt: filter.until };
    }
    if (Object.keys(ids).length > 0) query._id = ids;
    return this.deps.models.auditEvents
      .find(query)
      .sort({ _id: -1 })
      .limit(page.first + 1)
      .lean<AuditEventRecord[]>();
  }
}

/** The last second an ObjectId can carry (its time is 4 bytes, unsigned): early 2106. */
const LAST_ID_SECOND = 0xffffffff;

/**
 * The smallest id made in `second`, clamped to the seconds an id can carry, never wrapped: createFromTime keeps the
 * low 32 bits, so a since in 1969 became 2106 and an until in 2106 became 1970, and either hid every event.
 */
function idOfSecond(second: number): Types.ObjectId {
  return Types.ObjectId.createFromTime(Math.min(Math.max(second, 0), LAST_ID_SECOND));
}

/** The most types one read may name: enough for any console's picks, few enough to keep the `$in` small. */
export const MAX_FILTER_TYPES = 20;

function validate({ types, since, until }: AuditFilter): void {
  if (types) {
    if (types.length === 0) throw badInput('types', 'Name at least one event type, or leave types out.');
    if (types.length > MAX_FILTER_TYPES)
      throw badInput('types', `Name at most ${MAX_FILTER_TYPES} event types at once.`);
    const unknown = types.filter((type) => !KNOWN_TYPES.has(type));
    if (unknown.length > 0)
      throw badInput(
        'types',
        `Unknown event types: ${unknown
          .map((type) => JSON.stringify(type.slice(0, 40)))
          .join(', ')
          .slice(0, 200)}. See auditEventTypes.`,
      );
  }
  if (since && until && since.getTime() >= until.getTime()) throw badInput('until', 'until must be later than since.');
}
