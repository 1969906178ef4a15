import { NO_AUTH_CACHE_METRICS, type AuthCacheKind, type AuthCacheMetrics } from '../metrics/auth-cache-metrics.js';

/**
 * What a change to users, sessions or API keys makes stale: everything, or the credentials of some users and some
 * credentials by their record id (a session's or an API key's `_id`), as 24-hex-digit ids.
 */
export type Invalidation = { all: true } | { all?: false; userIds: readonly string[]; recordIds: readonly string[] };

/** Which of the two credential kinds a lookup was for; the metrics count them apart. */
export type CredentialKind = AuthCacheKind;

/** Where a database read that may fill the cache began: fills from reads older than an invalidation are dropped. */
export type ReadTicket = number;

interface Entry {
  value: unknown;
  userId: string;
  recordId: string;
  storedAt: number;
}

/** Past this many remembered invalidation targets, they are forgotten together and older reads may not fill. */
const MAX_REMEMBERED_TARGETS = 10_000;

/**
 * The sessions and API keys a process has recently authenticated, with their users, by the hash of their token: a
 * warm request needs no database read. Least recently used entries go first beyond `maxEntries`; none is used once
 * older than `maxAgeMs`.
 *
 * Correctness does not rest on it. Every write to users, sessions and API keys invalidates what it touched, here at
 * once and in every other process through Redis (CacheInvalidation); while that channel is not known to be healthy
 * the cache is neither read nor filled, and it starts empty when the channel comes back. `maxAgeMs` bounds what a
 * message lost anyway can cost. A read that started before an invalidation of its user or record may have seen the
 * old state, so it does not fill (ReadTicket).
 */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();
  private readonly keysByUser = new Map<string, Set<string>>();
  private readonly keyByRecord = new Map<string, string>();
  /** Counts invalidations; a ReadTicket is its value when the read began. */
  private sequence = 0;
  /** The sequence number of the last invalidation of each user or record id (as long as they are remembered). */
  private readonly invalidatedAt = new Map<string, number>();
  /** Reads that began before this may not fill: everything was invalidated, or the remembered targets forgotten. */
  private floor = 0;
  private healthy = false;

  constructor(
    private readonly options: {
      maxEntries: number;
      maxAgeMs: number;
      metrics?: AuthCacheMetrics;
      /** Milliseconds of a monotonic clock; tests move it. */
      now?: () => number;
    },
  ) {}

  private get metrics(): AuthCacheMetrics {
    return this.options.metrics ?? NO_AUTH_CACHE_METRICS;
  }

  private now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }

  /** Whether this process keeps a cache at all (AUTH_CACHE_ENTRIES > 0). */
  get configured(): boolean {
    return this.options.maxEntries > 0;
  }

  /** Whether lookups may be answered from memory now. */
  get enabled(): boolean {
    return this.healthy && this.options.maxEntries > 0;
  }

  /** The invalidation channel is (or is no longer) known to deliver every message; either way the cache starts empty. */
  setHealthy(healthy: boolean): void {
    this.clear();
    this.healthy = healthy;
  }

  /** The cached value under `key`, if the cache is in use and it is young enough; counts the lookup. */
  get<T>(kind: CredentialKind, key: string): T | undefined {
    if (!this.enabled) {
      this.metrics.lookup(kind, 'bypass');
      return undefined;
    }
    const entry = this.entries.get(key);
    if (!entry || this.now() - entry.storedAt > this.options.maxAgeMs) {
      if (entry) this.remove(key);
      this.metrics.lookup(kind, 'miss');
      return undefined;
    }
    // Most recently used last: Map keeps insertion order, so the first key is the one to evict.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.metrics.lookup(kind, 'hit');
    return entry.value as T;
  }

  /**
   * The credential under `key`: from memory when held and still `usable` (by its own deadlines: one that is not may
   * have been renewed by another process), otherwise from `read`, kept when usable. Undefined when not usable. The
   * ticket is for `set` calls that update the entry afterwards (a lastUsedAt refresh).
   */
  async lookup<T>(
    kind: CredentialKind,
    key: string,
    source: {
      read: () => Promise<T | undefined>;
      usable: (value: T) => boolean;
      owner: (value: T) => { userId: string; recordId: string };
    },
  ): Promise<{ value: T; ticket: ReadTicket } | undefined> {
    const cached = this.get<T>(kind, key);
    if (cached !== undefined && source.usable(cached)) return { value: cached, ticket: this.ticket() };
    const ticket = this.ticket();
    const value = await source.read();
    if (value === undefined || !source.usable(value)) return undefined;
    this.set(key, value, source.owner(value), ticket);
    return { value, ticket };
  }

  /** Taken before a database read whose answer may fill the cache. */
  ticket(): ReadTicket {
    return this.sequence;
  }

  /**
   * Keeps `value` under `key` unless an invalidation that could concern it came after `ticket` (then the read may
   * have seen the state before that change). Replaces an entry already there, keeping its age when `refresh` is
   * false (an update made by this process, such as lastUsedAt, that does not make the entry any more current).
   */
  set(
    key: string,
    value: unknown,
    owner: { userId: string; recordId: string },
    ticket: ReadTicket,
    refresh = true,
  ): void {
    if (!this.enabled || !this.unchangedSince(ticket, owner)) return;
    const previous = this.entries.get(key);
    if (previous) this.remove(key);
    this.entries.set(key, { value, ...owner, storedAt: refresh || !previous ? this.now() : previous.storedAt });
    let keys = this.keysByUser.get(owner.userId);
    if (!keys) this.keysByUser.set(owner.userId, (keys = new Set()));
    keys.add(key);
    this.keyByRecord.set(owner.recordId, key);
    while (this.entries.size > this.options.maxEntries) this.remove(this.entries.keys().next().value!);
    this.metrics.entries(this.entries.size);
  }

  /** Forgets what `invalidation` names; reads already under way for it will not fill. */
  invalidate(invalidation: Invalidation, source: 'local' | 'remote'): void {
    this.sequence++;
    this.metrics.invalidated(source);
    if (invalidation.all) {
      this.clear();
      return;
    }
    if (
      this.invalidatedAt.size + invalidation.userIds.length + invalidation.recordIds.length >
      MAX_REMEMBERED_TARGETS
    ) {
      this.invalidatedAt.clear();
      this.floor = this.sequence;
    }
    for (const userId of invalidation.userIds) {
      this.invalidatedAt.set(userId, this.sequence);
      for (const key of this.keysByUser.get(userId) ?? []) this.remove(key);
    }
    for (const recordId of invalidation.recordIds) {
      this.invalidatedAt.set(recordId, this.sequence);
      const key = this.keyByRecord.get(recordId);
      if (key !== undefined) this.remove(key);
    }
    this.metrics.entries(this.entries.size);
  }

  get size(): number {
    return this.entries.size;
  }

  private unchangedSince(ticket: ReadTicket, owner: { userId: string; recordId: string }): boolean {
    if (ticket < this.floor) return false;
    return (
      (this.invalidatedAt.get(owner.userId) ?? 0) <= ticket && (this.invalidatedAt.get(owner.recordId) ?? 0) <= ticket
    );
  }

  private clear(): void {
    this.entries.clear();
    this.keysByUser.clear();
    this.keyByRecord.clear();
    this.invalidatedAt.clear();
    this.sequence++;
    this.floor = this.sequence;
    this.metrics.entries(0);
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const keys = this.keysByUser.get(entry.userId);
    keys?.delete(key);
    if (keys?.size === 0) this.keysByUser.delete(entry.userId);
    if (this.keyByRecord.get(entry.recordId) === key) this.keyByRecord.delete(entry.recordId);
  }
}
