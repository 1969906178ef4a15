import { deserialize, serialize, type Document } from '../bson.js';
import { closeSync, openSync, readFileSync, writeSync, type PathLike } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { BSON_READ_OPTIONS } from '../wire-protocol.js';
import type { EmbeddedMongoLog } from '../options.js';
import { makeOwnerOnly, OWNER_ONLY_FILE_MODE } from './owner-only.js';

export type JournalRecord =
  | { op: 'create'; db: string; coll: string; options: Document; uuid: Document }
  | { op: 'drop'; db: string; coll: string }
  | { op: 'dropDatabase'; db: string }
  | { op: 'createIndex'; db: string; coll: string; spec: Document }
  | { op: 'dropIndex'; db: string; coll: string; name: string }
  | { op: 'put'; db: string; coll: string; doc: Document }
  | { op: 'delete'; db: string; coll: string; id: unknown };

const JOURNAL_FILE = 'journal.bson';
const LOCK_FILE = 'mongod.lock';
const FRAME_HEADER_BYTES = 8; // uint32 length of the BSON that follows, uint32 CRC-32 of it
const SNAPSHOT_CHUNK_BYTES = 1 << 20;

/**
 * An append-only log of every acknowledged change. A write is acknowledged
 * only after its records are fsynced; writes arriving together share one
 * fsync (group commit). At start the log is replayed and rewritten as a
 * snapshot, dropping a torn tail left by a crash mid-append.
 */
export class Journal {
  private pending: Buffer[] = [];
  private waiters: Array<{ resolve(): void; reject(error: unknown): void }> = [];
  private flushing: Promise<void> | undefined;

  private constructor(
    private readonly dataDir: string,
    private handle: FileHandle,
  ) {}

  /** Locks `dataDir`, replays its log through `apply`, then compacts it to `snapshot()`. */
  static async open(
    dataDir: string,
    apply: (record: JournalRecord) => void,
    snapshot: () => Iterable<JournalRecord>,
    log: EmbeddedMongoLog,
  ): Promise<Journal> {
    // The journal holds every document (password hashes, sessions): no other user may read it.
    const fixed = makeOwnerOnly(dataDir);
    if (fixed.length > 0)
      log('warn', 'the data directory was open to other users: made it owner-only (directories 0700, files 0600)', {
        fixed,
      });
    acquireLock(join(dataDir, LOCK_FILE));
    const path = join(dataDir, JOURNAL_FILE);
    const { records, validBytes, totalBytes } = readJournal(path);
    for (const record of records) apply(record);
    if (validBytes < totalBytes) {
      const kept = `${path}.damaged-${Date.now()}`;
      await rename(path, kept);
      log(
        'warn',
        'journal ends in an incomplete record (a write cut off by a crash, never acknowledged); the damaged file is kept',
        {
          file: kept,
          droppedBytes: totalBytes - validBytes,
        },
      );
    }
    await writeSnapshot(path, snapshot());
    log('info', 'journal replayed', { records: records.length, dataDir });
    return new Journal(dataDir, await open(path, 'a', OWNER_ONLY_FILE_MODE));
  }

  /** Resolves once `records` are on disk. Records are queued in call order. */
  append(records: JournalRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    for (const record of records) this.pending.push(frame(record));
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= this.flush();
    return done;
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.handle.close();
    await rm(join(this.dataDir, LOCK_FILE), { force: true });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = Buffer.concat(this.pending);
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        await this.handle.write(batch);
        await this.handle.datasync();
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    this.flushing = undefined;
  }
}

function frame(record: JournalRecord): Buffer {
  const body = serialize(record);
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32LE(body.length, 0);
  header.writeUInt32LE(crc32(body), 4);
  return Buffer.concat([header, body]);
}

function readJournal(path: string): { records: JournalRecord[]; validBytes: number; totalBytes: number } {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], validBytes: 0, totalBytes: 0 };
    throw error;
  }
  const records: JournalRecord[] = [];
  let offset = 0;
  while (offset + FRAME_HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(offset);
    const start = offset + FRAME_HEADER_BYTES;
    if (length < 5 || start + length > data.length) break;
    const body = data.subarray(start, start + length);
    if (crc32(body) !== data.readUInt32LE(offset + 4)) break;
    records.push(deserialize(body, BSON_READ_OPTIONS) as JournalRecord);
    offset = start + length;
  }
  return { records, validBytes: offset, totalBytes: data.length };
}

/** Writes the state as a fresh log beside the old one, then swaps it in atomically. */
async function writeSnapshot(path: string, records: Iterable<JournalRecord>): Promise<void> {
  const temporary = `${path}.compacting`;
  const handle = await open(temporary, 'w', OWNER_ONLY_FILE_MODE);
  try {
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    for (const record of records) {
      const framed = frame(record);
      chunk.push(framed);
      chunkBytes += framed.length;
      if (chunkBytes >= SNAPSHOT_CHUNK_BYTES) {
        await handle.write(Buffer.concat(chunk));
        chunk = [];
        chunkBytes = 0;
      }
    }
    if (chunk.length > 0) await handle.write(Buffer.concat(chunk));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  await syncDirectory(join(path, '..'));
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Another live process holds the data directory; callers (the admin CLI) tell the operator to stop it. */
export class DataDirInUseError extends Error {
  constructor(
    readonly ownerPid: number,
    readonly lockFile: string,
  ) {
    super(`data directory is in use by process ${ownerPid} (${lockFile})`);
    this.name = 'DataDirInUseError';
  }
}

/** One server per data directory, as mongod's lock file ensures; a dead owner's lock is taken over. */
function acquireLock(path: PathLike): void {
  try {
    const owner = Number(readFileSync(path, 'utf8'));
    if (owner && owner !== process.pid && isAlive(owner)) throw new DataDirInUseError(owner, String(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const fd = openSync(path, 'w', OWNER_ONLY_FILE_MODE);
  writeSync(fd, String(process.pid));
  closeSync(fd);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
