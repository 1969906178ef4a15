import type { Document } from 'bson';
import type { EmbeddedMongoLog } from '../options.js';
import type { Storage } from './storage.js';
import { valuesAtPath } from './values.js';

/**
 * Removes documents whose TTL index date lies more than `expireAfterSeconds`
 * in the past, as mongod's TTL monitor does: the earliest date of an array
 * counts, and documents without a date in the field never expire.
 */
export class TtlMonitor {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;

  constructor(
    private readonly storage: Storage,
    intervalMs: number,
    private readonly log: EmbeddedMongoLog,
  ) {
    this.timer = setInterval(() => this.startSweep(), intervalMs).unref();
  }

  /**
   * One sweep at a time. Nobody awaits a timer's sweep, so its failure is
   * logged here rather than left an unhandled rejection (which ends the
   * process); the next tick simply tries again.
   */
  private startSweep(): void {
    this.running ??= this.sweep()
      .catch((error: unknown) =>
        this.log('error', 'TTL sweep failed', { error: error instanceof Error ? error.message : String(error) }),
      )
      .finally(() => (this.running = undefined));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async idle(): Promise<void> {
    await this.running;
  }

  async sweep(now = Date.now()): Promise<void> {
    const batch = this.storage.batch();
    let removed = 0;
    for (const collection of this.storage.allCollections()) {
      for (const index of collection.secondaryIndexes()) {
        const seconds = index.spec.expireAfterSeconds;
        if (typeof seconds !== 'number' || index.fields.length !== 1) continue;
        const expired: Document[] = [];
        for (const document of collection.all()) {
          const dates = valuesAtPath(document, index.fields[0]).filter((value): value is Date => value instanceof Date);
          if (dates.length > 0 && Math.min(...dates.map((date) => date.getTime())) + seconds * 1000 <= now)
            expired.push(document);
        }
        for (const document of expired) batch.remove(collection, document);
        removed += expired.length;
      }
    }
    try {
      await batch.commit();
    } catch (error) {
      this.log('error', 'TTL sweep could not persist its deletions', { error: (error as Error).message });
    }
    if (removed > 0) this.log('info', 'TTL monitor removed expired documents', { removed });
  }
}
