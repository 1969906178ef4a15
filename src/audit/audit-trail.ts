import type { Types } from 'mongoose';
import type { Viewer } from '../auth/viewer.js';
import type { Page } from '../db/pagination.js';
import type { AdminAccess } from '../mfa/admin-access.js';
import type { AuditEventModel, AuditEventRecord } from './audit-event.model.js';

/** Reading the audit trail: one's own events, or, for an admin with MFA, anyone's. */
export class AuditTrail {
  constructor(private readonly deps: { models: { auditEvents: AuditEventModel }; admins: AdminAccess }) {}

  /**
   * The events `viewer` may read, newest first. Without `userId`: everyone's
   * for an admin in a session that passed MFA; the viewer's own for anyone
   * else (a user, an admin's API key, an admin session without MFA), as
   * `sessions` and `apiKeys` answer. Another user's (`userId`) only for an
   * admin with MFA.
   */
  async listFor(viewer: Viewer, userId: Types.ObjectId | undefined, page: Page): Promise<AuditEventRecord[]> {
    if (userId === undefined && (await this.deps.admins.isMfaAdmin(viewer))) return this.list({}, page);
    return this.list({ userId: await this.deps.admins.whose(viewer, userId) }, page);
  }

  /** Newest first, `first` at a time, after the cursor `after` (an event id). */
  private async list(filter: { userId?: Types.ObjectId }, page: Page): Promise<AuditEventRecord[]> {
    const query: Record<string, unknown> = {};
    if (filter.userId) query.userId = filter.userId;
    if (page.after) query._id = { $lt: page.after };
    return this.deps.models.auditEvents
      .find(query)
      .sort({ _id: -1 })
      .limit(page.first + 1)
      .lean<AuditEventRecord[]>();
  }
}
