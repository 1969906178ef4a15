import { Types } from 'mongoose';
import { leanDocument } from '../db/lean-document.js';
import type { Logger } from '../logger.js';
import type { AuditEventModel, AuditEventRecord, AuditEventType } from './audit-event.model.js';

/** Where an operation records its audit events: AuditService itself, or an operation's recorder (`together`). */
export interface AuditRecorder {
  record(entry: AuditEntry): Promise<void>;
}

export interface AuditEntry {
  type: AuditEventType;
  userId?: Types.ObjectId;
  actorId?: Types.ObjectId;
  ip?: string;
  details?: Record<string, unknown>;
}

/**
 * Told of every event as it is recorded, repeats included: how the metrics count sign-in outcomes from the one place
 * they are written, without the audit trail knowing of metrics. Must not throw.
 */
export interface AuditObserver {
  recorded(type: AuditEventType): void;
}

/**
 * Repeated refusals of one kind and key (a throttled address, a locked name)
 * are counted in one event per this window: enough to see who was refused,
 * when to the hour and how often, without a document per request.
 */
export const REPEATED_EVENT_WINDOW_MS = 60 * 60_000;
/** How long a process gathers repeats of its events before adding them up in the database. */
export const REPEAT_FLUSH_MS = 1_000;

export class AuditService implements AuditRecorder {
  /**
   * Repeats per event (bucket) this process has not written yet, and the
   * write of the bucket's event, which must land before repeats are added to it.
   * A bucket present means its event is written or being written.
   */
  private readonly repeats = new Map<string, { count: number; firstWrite: Promise<unknown> }>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** The flushes still writing: a later `flush` (shutdown) waits for them. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: { models: { auditEvents: AuditEventModel }; logger: Logger; observer?: AuditObserver },
  ) {}

  /** Records an event; the audit trail is part of the operation, so a failure to write it fails the caller. */
  async record(entry: AuditEntry): Promise<void> {
    await this.write([toRecord(entry)]);
  }

  /**
   * Runs one operation whose events are written together: `recorder.record` inside it only collects, and the
   * events are written with one insertMany (one round trip) when `operation` ends, whether it returned or threw,
   * before its answer goes out. A failure to write them fails the operation, as `record` does, even one that was
   * failing already. Each event keeps the time and place in the trail (`_id`) of its `record` call. `outer`: an
   * enclosing operation's recorder, which then collects these events too (nothing is written here).
   */
  async together<T>(operation: (recorder: AuditRecorder) => Promise<T>, outer?: AuditRecorder): Promise<T> {
    if (outer) return operation(outer);
    const collected: AuditEventRecord[] = [];
    let open = true;
    const recorder: AuditRecorder = {
      // An event recorded once the operation has ended (by a task it left running) is written on its own.
      record: (entry) => (open ? (collected.push(toRecord(entry)), Promise.resolve()) : this.record(entry)),
    };
    let result: T;
    try {
      result = await operation(recorder);
    } catch (error) {
      open = false;
      await this.write(collected);
      throw error;
    }
    open = false;
    await this.write(collected);
    return result;
  }

  /**
   * Through the driver, not mongoose documents: the hot paths (sign-in, verifyMfa) write events on every request,
   * and `toRecord` already gives each field the type and form the schema would.
   */
  private async write(records: AuditEventRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.deps.models.auditEvents.collection.insertMany(records);
    for (const record of records) {
      this.deps.observer?.recorded(record.type);
      this.deps.logger.info(
        { audit: record.type, userId: record.userId?.toString(), actorId: record.actorId?.toString() },
        'audit event',
      );
    }
  }

  /**
   * Records a refusal that may repeat many times (a flood): the first of its
   * kind and `key` in the window writes the event, each later one adds 1 to
   * its `details.count`. The event is written before the first refusal is
   * answered; the later ones are added up in this process and written together
   * at most every REPEAT_FLUSH_MS (and by `flush` at shutdown), so a flood costs
   * no database write per request. The first write of each process is an
   * upsert on a unique key, so refusals in any number of processes still make
   * one event (MongoDB retries an upsert that meets a duplicate key on an
   * equality filter of the unique index).
   */
  async recordRepeated(entry: AuditEntry & { key: string }): Promise<void> {
    const { key, details = {}, ...fields } = entry;
    const now = new Date();
    const windowStart = new Date(now.getTime() - (now.getTime() % REPEATED_EVENT_WINDOW_MS));
    const bucket = `${entry.type}|${key}|${windowStart.toISOString()}`;
    const repeats = this.repeats.get(bucket);
    if (repeats) {
      repeats.count++;
      this.deps.observer?.recorded(entry.type);
      return;
    }
    const firstDetails = Object.fromEntries(Object.entries(details).map(([name, value]) => [`details.${name}`, value]));
    const firstWrite = this.deps.models.auditEvents
      .updateOne(
        { bucket },
        { $setOnInsert: { ...fields, ...firstDetails, createdAt: now }, $inc: { 'details.count': 1 } },
        { upsert: true },
      )
      .exec();
    const gathering = { count: 0, firstWrite };
    this.repeats.set(bucket, gathering);
    this.flushTimer ??= setTimeout(() => void this.flush(), REPEAT_FLUSH_MS).unref();
    const written = await firstWrite.catch((error: unknown) => {
      if (this.repeats.get(bucket) === gathering) this.repeats.delete(bucket); // the next refusal writes the event instead
      throw error;
    });
    this.deps.observer?.recorded(entry.type);
    if (written.upsertedCount === 1)
      this.deps.logger.info(
        { audit: entry.type, userId: entry.userId?.toString() },
        'audit event (repeats are counted in it)',
      );
  }

  /** Adds the repeats gathered so far to their events; resolves once every flush started before it has written too. */
  flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const gathered = [...this.repeats.entries()].filter(([, repeats]) => repeats.count > 0);
    this.repeats.clear();
    const writes = Promise.allSettled(
      gathered.map(async ([bucket, { count, firstWrite }]) => {
        await firstWrite; // without upsert, an $inc that overtakes the event's first write matches nothing
        await this.deps.models.auditEvents.updateOne({ bucket }, { $inc: { 'details.count': count } });
      }),
    ).then((results) => {
      const failed = results.filter((result) => result.status === 'rejected');
      if (failed.length > 0)
        this.deps.logger.error(
          { err: failed[0].reason, events: failed.length },
          'could not add repeated refusals to their audit events',
        );
    });
    this.flushing = Promise.all([this.flushing, writes]).then(() => undefined);
    return this.flushing;
  }
}

/**
 * The stored event as the schema would make it, for a write that bypasses mongoose's documents: a fresh `_id` (which
 * orders the trail) and `createdAt`, both of now; the entry's ids are ObjectIds by their type, and `details` is free-form
 * (the schema's Mixed), minimised as mongoose would.
 */
function toRecord(entry: AuditEntry): AuditEventRecord {
  const { type, userId, actorId, ip, details } = entry; // only the schema's fields, as its strict mode keeps
  return leanDocument({ _id: new Types.ObjectId(), type, userId, actorId, ip, details, createdAt: new Date() });
}
