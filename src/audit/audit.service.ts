import type { Types } from 'mongoose';
import type { Logger } from '../logger.js';
import type { AuditEventModel, AuditEventType } from './audit-event.model.js';

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
}
