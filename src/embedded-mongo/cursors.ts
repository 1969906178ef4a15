import { Long, type Document } from './bson.js';
import { randomBytes } from 'node:crypto';
import { CommandError } from './errors.js';

/** mongod's default first batch: 101 documents. Later batches fill up to about 16 MiB. */
const DEFAULT_FIRST_BATCH = 101;
const DEFAULT_LATER_BATCH = 10_000;

interface OpenCursor {
  namespace: string;
  remaining: Document[];
  position: number;
  batchSize: number;
  lastUsedMs: number;
  noTimeout: boolean;
}

/** Open cursors over materialised results, reaped when idle as mongod's `cursorTimeoutMillis` says. */
export class CursorRegistry {
  private readonly cursors = new Map<string, OpenCursor>();
  private readonly reaper: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {
    this.reaper = setInterval(() => this.reap(), Math.min(timeoutMs, 60_000)).unref();
  }

  close(): void {
    clearInterval(this.reaper);
    this.cursors.clear();
  }

  get openCount(): number {
    return this.cursors.size;
  }

  /** The `cursor` field of a find/aggregate/listX reply, keeping the rest for getMore. */
  open(
    namespace: string,
    results: Document[],
    options: { batchSize?: number; singleBatch?: boolean; noTimeout?: boolean } = {},
  ): Document {
    const firstBatchSize = options.batchSize ?? DEFAULT_FIRST_BATCH;
    const firstBatch = options.singleBatch ? results : results.slice(0, firstBatchSize);
    if (firstBatch.length >= results.length) return { id: Long.ZERO, ns: namespace, firstBatch };
    const id = Long.fromBigInt(randomBytes(8).readBigUInt64BE() >> 1n); // positive, never zero in practice
    this.cursors.set(id.toString(), {
      namespace,
      remaining: results,
      position: firstBatch.length,
      batchSize: options.batchSize || DEFAULT_LATER_BATCH,
      lastUsedMs: Date.now(),
      noTimeout: options.noTimeout === true,
    });
    return { id, ns: namespace, firstBatch };
  }

  getMore(id: Long, namespace: string, batchSize: number | undefined): Document {
    const key = id.toString();
    const cursor = this.cursors.get(key);
    if (!cursor || cursor.namespace !== namespace)
      throw new CommandError('CursorNotFound', `cursor id ${key} not found`);
    const size = batchSize || cursor.batchSize;
    const nextBatch = cursor.remaining.slice(cursor.position, cursor.position + size);
    cursor.position += nextBatch.length;
    cursor.lastUsedMs = Date.now();
    const exhausted = cursor.position >= cursor.remaining.length;
    if (exhausted) this.cursors.delete(key);
    return { id: exhausted ? Long.ZERO : id, ns: namespace, nextBatch };
  }

  kill(ids: Long[]): { cursorsKilled: Long[]; cursorsNotFound: Long[] } {
    const cursorsKilled: Long[] = [];
    const cursorsNotFound: Long[] = [];
    for (const id of ids) (this.cursors.delete(String(id)) ? cursorsKilled : cursorsNotFound).push(id);
    return { cursorsKilled, cursorsNotFound };
  }

  private reap(): void {
    const oldest = Date.now() - this.timeoutMs;
    for (const [key, cursor] of this.cursors)
      if (!cursor.noTimeout && cursor.lastUsedMs < oldest) this.cursors.delete(key);
  }
}
