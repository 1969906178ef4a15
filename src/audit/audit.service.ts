import type { Types } from 'mongoose';
import type { Page } from '../graphql/pagination.js';
import { Role, type UserRecord } from '../accounts/user.model.js';
import { forbidden } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AuditEventModel, AuditEventRecord, AuditEventType } from './audit-event.model.js';

export interface AuditEntry {
  type: AuditEventType;
  userId?: Types.ObjectId;
  actorId?: Types.ObjectId;
  ip?: string;
  details?: Record<string, unknown>;
}

export class AuditService {
  constructor(
    private readonly events: AuditEventModel,
    private readonly logger: Logger,
  ) {}

  /** Records an event; the audit trail is part of the operation, so a failure to write it fails the caller. */
  async record(entry: AuditEntry): Promise<void> {
    await this.events.create([{ ...entry, createdAt: new Date() }]);
    this.logger.info({ audit: entry.type, userId: entry.userId?.toString(), actorId: entry.actorId?.toString() }, 'audit event');
  }

  /**
   * The events `viewer` may read, newest first: an admin anyone's (`userId`)
   * or everyone's (unset); anyone else only their own.
   */
  async listFor(viewer: UserRecord, userId: Types.ObjectId | undefined, page: Page): Promise<AuditEventRecord[]> {
    if (viewer.role === Role.ADMIN) return this.list({ userId }, page);
    if (userId && !userId.equals(viewer._id)) throw forbidden("Only an admin may read another user's events.");
    return this.list({ userId: viewer._id }, page);
  }

  /** Newest first, `first` at a time, after the cursor `after` (an event id). */
  private async list(filter: { userId?: Types.ObjectId }, page: Page): Promise<AuditEventRecord[]> {
    const query: Record<string, unknown> = {};
    if (filter.userId) query.userId = filter.userId;
    if (page.after) query._id = { $lt: page.after };
    return this.events.find(query).sort({ _id: -1 }).limit(page.first + 1).lean<AuditEventRecord[]>();
  }
}
