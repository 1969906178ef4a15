import { Long, type Document } from './bson.js';

/**
 * How many times each command ran and failed, reported as mongod reports it
 * in `serverStatus().metrics.commands.<name>` (`{ total, failed }`), so the
 * same client code counts database round trips against either server.
 */
export class CommandMetrics {
  private readonly counts = new Map<string, { total: number; failed: number }>();

  record(name: string, failed: boolean): void {
    let count = this.counts.get(name);
    if (!count) this.counts.set(name, (count = { total: 0, failed: 0 }));
    count.total++;
    if (failed) count.failed++;
  }

  toDocument(): Document {
    return Object.fromEntries(
      [...this.counts].map(([name, { total, failed }]) => [
        name,
        { total: Long.fromNumber(total), failed: Long.fromNumber(failed) },
      ]),
    );
  }
}
