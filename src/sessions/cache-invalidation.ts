import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import { onWrites, type ObservedWrite } from '../db/write-listeners.js';
import type { Logger } from '../logger.js';
import type { CredentialCache, Invalidation } from './credential-cache.js';

/** The models whose documents the credential cache holds, and the field that names each one's user. */
const OWNER_FIELD: Record<string, string | undefined> = { User: '_id', Session: 'userId', ApiKey: 'userId' };

/**
 * What a write to a cached collection makes stale, read from its filter: a user's credentials when it names users
 * (by `_id` for users, `userId` for sessions and keys), the credentials it names by `_id`, and otherwise everything.
 * Undefined for collections the cache does not hold.
 */
export function invalidationFor(write: ObservedWrite): Invalidation | undefined {
  const ownerField = OWNER_FIELD[write.model];
  if (!ownerField) return undefined;
  const userIds = idsIn(write.filter[ownerField]);
  if (userIds) return { userIds, recordIds: [] };
  const recordIds = write.model === 'User' ? undefined : idsIn(write.filter._id);
  return recordIds ? { userIds: [], recordIds } : { all: true };
}

/** The hex ids an equality, `$eq` or `$in` on an ObjectId field names; undefined for any other condition. */
function idsIn(condition: unknown): string[] | undefined {
  const single = hexId(condition);
  if (single) return [single];
  if (!condition || typeof condition !== 'object') return undefined;
  const operators = condition as { $eq?: unknown; $in?: unknown };
  const keys = Object.keys(condition);
  if (keys.length !== 1) return undefined;
  if (keys[0] === '$eq') return idsIn(operators.$eq);
  if (keys[0] !== '$in' || !Array.isArray(operators.$in)) return undefined;
  const ids = operators.$in.map(hexId);
  return ids.every((id): id is string => id !== undefined) ? ids : undefined;
}

function hexId(value: unknown): string | undefined {
  if (typeof value === 'string') return /^[0-9a-f]{24}$/i.test(value) ? value.toLowerCase() : undefined;
  if (value && typeof value === 'object' && 'toHexString' in value && typeof value.toHexString === 'function')
    return (value as { toHexString(): string }).toHexString();
  return undefined;
}

interface Message {
  /** The process that sent it: it applied the invalidation itself already. */
  from: string;
  invalidation: Invalidation;
}

/**
 * Keeps every process's CredentialCache true to the database: each write to users, sessions or API keys through
 * this process's models invalidates the cache here at once and is published on a Redis channel that every process
 * applies. The cache is in use only while this process is subscribed; losing the subscription (Redis down, a
 * reconnect during which messages may have been missed) empties and bypasses it until subscribed again.
 */
export class CacheInvalidation {
  private readonly id = randomUUID();
  private readonly channel: string;
  private subscriber?: Redis;
  private stopWatching?: () => void;
  private markSubscribed!: () => void;
  private readonly subscribed = new Promise<void>((resolve) => (this.markSubscribed = resolve));

  constructor(
    private readonly deps: {
      cache: CredentialCache;
      connection: Connection;
      /** The shared connection, for publishing. */
      redis: Redis;
      redisKeyPrefix: string;
      logger: Logger;
    },
  ) {
    this.channel = `${deps.redisKeyPrefix}:credential-cache`;
  }

  /** Starts watching writes and subscribing; the cache comes into use once the subscription is confirmed. */
  start(): void {
    const { cache, logger } = this.deps;
    // Even with its own cache off, a process publishes what it changes: other processes may keep one.
    this.stopWatching = onWrites(this.deps.connection, (write) => this.changed(write));
    if (!cache.configured) return;
    const subscriber = this.deps.redis.duplicate({ autoResubscribe: false, lazyConnect: true });
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) =>
      logger.debug({ error: error.message }, 'cache invalidation channel error'),
    );
    subscriber.on('ready', () => void this.subscribe(subscriber));
    // Messages sent while the connection is down are lost: the cache is off until subscribed again, and then empty.
    subscriber.on('close', () => cache.setHealthy(false));
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.received(text);
    });
    subscriber.connect().catch(() => {}); // retried by ioredis; the cache stays off meanwhile
  }

  /**
   * Resolves once the cache is first in use, or after `timeoutMs` (it then comes into use whenever Redis answers):
   * a server that starts listening warm-ready, without waiting on a Redis that is not there.
   */
  async ready(timeoutMs: number): Promise<void> {
    if (!this.deps.cache.configured) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.subscribed, timeout]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.stopWatching?.();
    this.deps.cache.setHealthy(false);
    this.subscriber?.disconnect();
  }

  private async subscribe(subscriber: Redis): Promise<void> {
    try {
      await subscriber.subscribe(this.channel);
      this.deps.cache.setHealthy(true);
      this.markSubscribed();
    } catch (error) {
      this.deps.logger.debug({ error: (error as Error).message }, 'cache invalidation channel: subscribe failed');
      subscriber.disconnect(true); // reconnects, and subscribes again when ready
    }
  }

  private changed(write: ObservedWrite): void {
    const invalidation = invalidationFor(write);
    if (!invalidation) return;
    this.deps.cache.invalidate(invalidation, 'local');
    const message: Message = { from: this.id, invalidation };
    // Not awaited: the write is done whatever Redis answers. A message that cannot be sent reaches no other process;
    // cacheMaxAgeMs bounds how long their entries can stay stale.
    this.deps.redis.publish(this.channel, JSON.stringify(message)).catch((error: Error) => {
      this.deps.logger.warn({ error: error.message }, 'could not publish a credential cache invalidation');
    });
  }

  private received(text: string): void {
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      this.deps.cache.invalidate({ all: true }, 'remote'); // unreadable: assume the worst
      return;
    }
    if (message.from === this.id) return;
    const { invalidation } = message;
    if (
      invalidation?.all === true ||
      !Array.isArray(invalidation?.userIds) ||
      !Array.isArray(invalidation?.recordIds)
    ) {
      this.deps.cache.invalidate({ all: true }, 'remote');
      return;
    }
    this.deps.cache.invalidate(
      { userIds: invalidation.userIds.map(String), recordIds: invalidation.recordIds.map(String) },
      'remote',
    );
  }
}
