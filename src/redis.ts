import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export class RedisUnavailableError extends Error {}

/**
 * Connects to Redis and checks it answers. Redis holds shared limits and the
 * mail queue, so the service does not start without it; losing it later only
 * degrades (ioredis keeps reconnecting, commands fail fast meanwhile).
 */
export async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  redis.on('error', (error: Error) => logger.debug({ error: error.message }, 'redis connection error'));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new RedisUnavailableError(
      `Redis is not reachable at ${new URL(url).host} (${(error as Error).message}). ` +
        'Start one, e.g. `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`, or set REDIS_URL.',
    );
  }
  return redis;
}
