import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { AppError, ErrorCode } from '../errors.js';
import { HashingQueue, HashingQueueFull } from './hashing-queue.js';

/**
 * argon2id with OWASP's first recommended setting (Password Storage Cheat
 * Sheet): 19 MiB of memory, 2 iterations, 1 degree of parallelism.
 */
export const ARGON2_OPTIONS: Argon2Options = {
  type: argon2.argon2id,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
};

export interface Argon2Options {
  type: typeof argon2.argon2id;
  /** KiB */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/**
 * Hashes waiting for a core, per core running them. One verification at
 * OWASP's setting takes 30–50 ms of a current server core, so a full queue
 * holds about 0.25–0.4 s of work: a sign-in that gets a place is answered
 * within about half a second, and one that would wait longer is refused at once.
 */
export const WAITING_HASHES_PER_CORE = 8;

/** The owner of the work no client asked for (the decoy, the bootstrap admin). */
const SERVER = 'server';

/** Where the server has no room for a hash right now; nothing was counted against the caller. */
const hashingBusy = () =>
  new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The server is too busy checking passwords. Try again in a moment.', {
    retryAfterSeconds: 1,
  });

export class PasswordHasher {
  /** Verified against when the user does not exist, so both cases cost one argon2 verification. */
  private readonly decoyHash: Promise<string>;
  /**
   * At most one hash per CPU core at a time, and always one libuv thread
   * left. argon2 is CPU-bound, so more at once are not done sooner; they
   * would only hold 19 MiB each and take the file and DNS work that shares
   * the pool's threads. The queue in front is bounded and fair between
   * client addresses (see HashingQueue).
   */
  private readonly queue: HashingQueue;

  constructor(
    private readonly options: Argon2Options = ARGON2_OPTIONS,
    concurrency = Math.max(1, Math.min(availableParallelism(), libuvThreads() - 1)),
  ) {
    this.queue = new HashingQueue(concurrency, concurrency * WAITING_HASHES_PER_CORE);
    this.decoyHash = this.queue.run(SERVER, () => argon2.hash(randomBytes(32).toString('base64'), this.options));
  }

  /** Hashes and verifications waiting for a core. */
  get waiting(): number {
    return this.queue.waitingTasks;
  }

  /** Throws SERVICE_UNAVAILABLE (hashingBusy) when the queue has no room for `client`. */
  hash(password: string, client = SERVER): Promise<string> {
    return this.run(client, () => argon2.hash(password, this.options));
  }

  /**
   * `hash` undefined means "no such user": the answer is false, after the
   * same work. The queue is asked for a place before anything else, so a
   * refusal comes as fast for a name that exists as for one that does not.
   */
  async verify(hash: string | undefined, password: string, client = SERVER): Promise<boolean> {
    const matches = await this.run(client, async () => argon2.verify(hash ?? (await this.decoyHash), password));
    return hash !== undefined && matches;
  }

  private async run<T>(client: string, task: () => Promise<T>): Promise<T> {
    try {
      return await this.queue.run(client, task);
    } catch (error) {
      throw error instanceof HashingQueueFull ? hashingBusy() : error;
    }
  }
}

/** libuv's thread pool size: UV_THREADPOOL_SIZE as libuv reads it, 4 when unset. */
function libuvThreads(): number {
  const configured = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isInteger(configured) && configured > 0 ? Math.min(configured, 1024) : 4;
}
