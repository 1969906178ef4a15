import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import pLimit, { type LimitFunction } from 'p-limit';

/**
 * argon2id with OWASP's first recommended setting (Password Storage Cheat
 * Sheet): 19 MiB of memory, 2 iterations, 1 degree of parallelism.
 */
export const ARGON2_OPTIONS: Argon2Options = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 };

export interface Argon2Options {
  type: typeof argon2.argon2id;
  /** KiB */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export class PasswordHasher {
  /** Verified against when the user does not exist, so both cases cost one argon2 verification. */
  private readonly decoyHash: Promise<string>;
  /**
   * At most one hash per CPU core at a time, and always one libuv thread
   * left. argon2 is CPU-bound, so more at once are not done sooner; they
   * would only hold 19 MiB each and take the file and DNS work that shares
   * the pool's threads.
   */
  private readonly slot: LimitFunction;

  constructor(
    private readonly options: Argon2Options = ARGON2_OPTIONS,
    concurrency = Math.max(1, Math.min(availableParallelism(), libuvThreads() - 1)),
  ) {
    this.slot = pLimit(concurrency);
    this.decoyHash = this.slot(() => argon2.hash(randomBytes(32).toString('base64'), this.options));
  }

  /** Hashes and verifications waiting for a core. */
  get waiting(): number {
    return this.slot.pendingCount;
  }

  hash(password: string): Promise<string> {
    return this.slot(() => argon2.hash(password, this.options));
  }

  /** `hash` undefined means "no such user": the answer is false, after the same work. */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    const against = hash ?? (await this.decoyHash);
    const matches = await this.slot(() => argon2.verify(against, password));
    return hash !== undefined && matches;
  }
}

/** libuv's thread pool size: UV_THREADPOOL_SIZE as libuv reads it, 4 when unset. */
function libuvThreads(): number {
  const configured = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isInteger(configured) && configured > 0 ? Math.min(configured, 1024) : 4;
}
