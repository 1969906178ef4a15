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

/**
 * Repeated refusals of one kind and key (a throttled address, a locked name)
 * are counted in one event per this window: enough to see who was refused,
 * when to the hour and how often, without a document per request.
 */
export const REPEATED_EVENT_WINDOW_MS = 60 * 60_000;

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
   * Records a refusal that may repeat many times: the first of its kind and
   * `key` in the window writes the event, each later one adds 1 to its
   * `details.count`. One upsert on a unique key, so concurrent refusals in
   * any number of processes still make one event (MongoDB retries an upsert
   * that meets a duplicate key on an equality filter of the unique index).
   */
  async recordRepeated(entry: AuditEntry & { key: string }): Promise<void> {
    const { key, details = {}, ...fields } = entry;
    const now = new Date();
    const windowStart = new Date(now.getTime() - (now.getTime() % REPEATED_EVENT_WINDOW_MS));
    const bucket = `${entry.type}|${key}|${windowStart.toISOString()}`;
    const firstDetails = Object.fromEntries(Object.entries(details).map(([name, value]) => [`details.${name}`, value]));
    const written = await this.events.updateOne(
      { bucket },
      { $setOnInsert: { ...fields, ...firstDetails, createdAt: now }, $inc: { 'details.count': 1 } },
      { upsert: true },
    );
    if (written.upsertedCount === 1) this.logger.info({ audit: entry.type, userId: entry.userId?.toString() }, 'audit event (repeats are counted in it)');
  }
}
