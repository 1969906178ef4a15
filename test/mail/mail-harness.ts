import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';
import { createMailPipeline, type MailPipeline } from '../../src/mail/mail-pipeline.js';
import type { MailSettings } from '../../src/mail/mail-settings.js';
import { SecretBox } from '../../src/crypto/secret-box.js';
import { sharedRedisUrl } from '../support/processes.js';
import { keysUnder } from '../support/redis-keys.js';

export { deleteKeys } from '../support/redis-keys.js';

export const redisUrl = sharedRedisUrl;
export const ISSUER = 'Test Issuer';
/** Where the service's pages are, which the reset and verification mails link to. */
export const PUBLIC_URL = 'https://auth.example.test';

/** A queue prefix no other test file or run uses: runs share the Redis database. */
export const uniquePrefix = (name: string): string => `mailtest-${name}-${process.pid}-${Date.now().toString(36)}`;

/** A fresh key, as MFA_ENCRYPTION_KEYS would carry it (child workers get the same spec). */
export function testKeys(): { spec: string; secrets: SecretBox } {
  const spec = `test:${randomBytes(32).toString('base64')}`;
  return { spec, secrets: SecretBox.fromSpec(spec) };
}

export function testConfig(smtpUrl: string | undefined): Config {
  return loadConfig({
    DATA_DIR: ':memory:',
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'debug',
    MFA_ISSUER: ISSUER,
    PUBLIC_URL,
    ...(smtpUrl ? { SMTP_URL: smtpUrl } : {}),
  });
}

export interface TestPipeline extends MailPipeline {
  logLines: string[];
}

/** A pipeline on the shared Redis whose log lines are kept for assertions. */
export async function startPipeline(options: {
  smtpUrl: string | undefined;
  secrets: SecretBox;
  prefix: string;
  startWorker: boolean;
  settings?: Partial<MailSettings>;
}): Promise<TestPipeline> {
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const config = testConfig(options.smtpUrl);
  const pipeline = await createMailPipeline({
    config,
    redisUrl,
    secrets: options.secrets,
    logger: createLogger({ level: 'debug', destination }),
    startWorker: options.startWorker,
    settings: { queuePrefix: options.prefix, ...options.settings },
  });
  return Object.assign(pipeline, { logLines });
}

/** Every key of the queue with its whole content, as one searchable text. */
export async function dumpKeys(redis: Redis, prefix: string): Promise<{ keys: string[]; text: string }> {
  const keys = await keysUnder(redis, prefix);
  const parts: string[] = [];
  for (const key of keys.sort()) {
    const type = await redis.type(key);
    const content =
      type === 'string'
        ? await redis.get(key)
        : type === 'hash'
          ? await redis.hgetall(key)
          : type === 'list'
            ? await redis.lrange(key, 0, -1)
            : type === 'set'
              ? await redis.smembers(key)
              : type === 'zset'
                ? await redis.zrange(key, 0, -1, 'WITHSCORES')
                : type === 'stream'
                  ? await redis.xrange(key, '-', '+')
                  : `(${type})`;
    parts.push(`${key} ${type} ${JSON.stringify(content)}`);
  }
  return { keys, text: parts.join('\n') };
}

/** `needle` as a whole token: a 6-digit code must not "appear" inside a timestamp or a hex id. */
export function containsToken(haystack: string, needle: string): boolean {
  const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![0-9A-Za-z])${escaped}(?![0-9A-Za-z])`, 'i').test(haystack);
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
