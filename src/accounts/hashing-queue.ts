/** Thrown to a task the queue will not run: it is full, and no owner holds two places more than the caller's address. */
export class HashingQueueFull extends Error {
  constructor() {
    super('the password hashing queue is full');
    this.name = 'HashingQueueFull';
  }
}

interface Job {
  task: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * Runs CPU-bound tasks (argon2id) at most `concurrency` at a time, with at
 * most `maxWaiting` waiting, shared fairly between owners (client addresses).
 *
 * - Fair: waiting tasks are taken round robin, one owner after another, so a
 *   task of a quiet address waits behind at most one task of each busy one,
 *   not behind a flood's whole backlog.
 * - Bounded: a task that would have to wait beyond the bound is refused at
 *   once (HashingQueueFull) instead of queueing for seconds. When the queue is
 *   full, a newcomer whose owner holds fewer waiting places than the owner
 *   holding the most takes the place of that owner's newest task, which is
 *   refused; so one address flooding the queue cannot keep others out of it.
 */
export class HashingQueue {
  /** Waiting tasks per owner; the map's order is the round robin's order. */
  private readonly waiting = new Map<string, Job[]>();
  private waitingCount = 0;
  private running = 0;

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  /** Tasks waiting for a slot, of every owner. */
  get waitingTasks(): number {
    return this.waitingCount;
  }

  /** Runs `task` when a slot is free and it is `owner`'s turn; rejects with HashingQueueFull when there is no room. */
  run<T>(owner: string, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = { task, resolve: resolve as (value: unknown) => void, reject };
      if (this.running < this.concurrency) return this.start(job);
      if (this.waitingCount >= this.maxWaiting && !this.makeRoomFor(owner)) return reject(new HashingQueueFull());
      const queue = this.waiting.get(owner);
      if (queue) queue.push(job);
      else this.waiting.set(owner, [job]);
      this.waitingCount++;
    });
  }

  private start(job: Job): void {
    this.running++;
    job
      .task()
      .then(job.resolve, job.reject)
      .finally(() => {
        this.running--;
        this.next();
      });
  }

  /** The first owner in the round robin gives up its oldest task, and goes to the back of the round. */
  private next(): void {
    const first = this.waiting.entries().next();
    if (first.done) return;
    const [owner, queue] = first.value;
    const job = queue.shift()!;
    this.waitingCount--;
    this.waiting.delete(owner);
    if (queue.length > 0) this.waiting.set(owner, queue);
    this.start(job);
  }

  /**
   * Refuses the newest task of the owner holding the most places, if that
   * owner would still hold at least as many as `owner` once it joined: the
   * places then end up shared more evenly, never less. Owners holding one
   * place each are not evicted for a newcomer, so a stream of fresh
   * addresses cannot push out every waiting task just before its turn. Among
   * owners holding the most, the one latest in the round robin gives up a
   * task: the owner that joined the round last, whose task would run last.
   */
  private makeRoomFor(owner: string): boolean {
    let largest: Job[] | undefined;
    for (const queue of this.waiting.values()) {
      if (!largest || queue.length >= largest.length) largest = queue;
    }
    if (!largest || largest.length < (this.waiting.get(owner)?.length ?? 0) + 2) return false;
    largest.pop()!.reject(new HashingQueueFull());
    this.waitingCount--; // the owner keeps at least one place, and its turn
    return true;
  }
}
