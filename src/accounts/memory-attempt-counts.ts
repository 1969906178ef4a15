interface Window {
  attempts: number;
  endsAtMs: number;
}

/**
 * Attempts per key and fixed window in this process's memory, for while
 * Redis is unreachable, holding at most `maxKeys` keys whatever the keys
 * asked for. Windows are kept in the order they started, so with one
 * duration they end in that order too: a new key first drops the windows
 * that ended, then, while still full, the oldest (the closest to its end).
 * No timer per key: an ended window is dropped when it is next met.
 */
export class MemoryAttemptCounts {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly attemptsPerWindow: number,
    private readonly windowSeconds: number,
    private readonly maxKeys: number,
  ) {}

  /** Keys held now (at most maxKeys). */
  get keys(): number {
    return this.windows.size;
  }

  /** Counts one attempt; when the window is used up, counts nothing and returns the seconds until it ends. */
  reserve(key: string): number | undefined {
    const nowMs = Date.now();
    let window = this.windows.get(key);
    if (!window || window.endsAtMs <= nowMs) {
      this.windows.delete(key);
      this.makeRoom(nowMs);
      window = { attempts: 0, endsAtMs: nowMs + this.windowSeconds * 1000 };
      this.windows.set(key, window);
    }
    if (window.attempts >= this.attemptsPerWindow) return Math.max(1, Math.ceil((window.endsAtMs - nowMs) / 1000));
    window.attempts++;
    return undefined;
  }

  refund(key: string): void {
    const window = this.windows.get(key);
    if (window && window.attempts > 0) window.attempts--;
  }

  clear(key: string): void {
    this.windows.delete(key);
  }

  private makeRoom(nowMs: number): void {
    for (const [key, window] of this.windows) {
      if (window.endsAtMs > nowMs && this.windows.size < this.maxKeys) return;
      this.windows.delete(key);
    }
  }
}
