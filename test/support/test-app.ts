import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startApp, type App, type StartOptions } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';
import { startSharedDatabase } from './mongo-under-test.js';
import { deleteKeys } from './redis-keys.js';

export interface TestApp extends App {
  /** Every log line the app wrote, for assertions that secrets never appear. */
  logLines: string[];
  /** Sends an operation (a generated typed document, or raw text for malformed cases) as a client would. */
  graphql<T = Record<string, unknown>, V = Record<string, unknown>>(
    operation: TypedDocumentNode<T, V> | string,
    options?: { variables?: V; token?: string; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<T>>;
}

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; [key: string]: unknown } }>;
}

/**
 * Every test client comes from 127.0.0.1, so the per-address budgets would
 * count the suite's own sign-ups and sign-ins; tests of those budgets set them
 * back (test/api/password-flood.security.test.ts).
 */
const UNTHROTTLED_ADDRESS = { LOGIN_RATE_PER_ADDRESS: '1000000', SIGNUP_RATE_PER_ADDRESS: '1000000' };

/**
 * The whole service in-process on an ephemeral port: embedded MongoDB in
 * memory, the real Redis under a key prefix of its own (REDIS_KEY_PREFIX), so
 * a dev server or another run on the same Redis neither sees its keys nor
 * takes its mail jobs. Stopping it deletes those keys and no others.
 * A production app, which refuses the embedded default, gets a database
 * this process starts for it (startSharedDatabase) as MONGODB_URI.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: Pick<StartOptions, 'clock' | 'factorPlugins' | 'wrapFactorPlugins' | 'mailSettings'> = {},
): Promise<TestApp> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redisKeyPrefix = `test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const database = env.NODE_ENV === 'production' && !env.MONGODB_URI ? await startSharedDatabase() : undefined;
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  let config: Config;
  let app: App;
  try {
    config = loadConfig({
      DATA_DIR: ':memory:',
      PORT: '0',
      LOG_LEVEL: 'debug',
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      ...UNTHROTTLED_ADDRESS,
      ...(database ? { MONGODB_URI: database.uri } : {}),
      ...env,
    });
    app = await startApp(config, { ...options, logger: createLogger({ level: config.logLevel, destination }) });
  } catch (error) {
    await database?.close();
    throw error;
  }
  const stopOwnApp = app.stop.bind(app);
  // The app first (its shutdown may still write: the audit counts, the worker), then its keys through a connection of our own.
  const stopAndClean = async () => {
    try {
      await stopOwnApp();
      await database?.close();
    } finally {
      const redis = new Redis(redisUrl);
      await deleteKeys(redis, config.redisKeyPrefix).finally(() => redis.disconnect());
    }
  };
  let stopping: Promise<void> | undefined;
  return Object.assign(app, {
    logLines,
    stop: () => (stopping ??= stopAndClean()),
    async graphql<T, V>(
      operation: TypedDocumentNode<T, V> | string,
      options: { variables?: V; token?: string; headers?: Record<string, string> } = {},
    ): Promise<GraphQLResponse<T>> {
      const query = typeof operation === 'string' ? operation : print(operation);
      const response = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        body: JSON.stringify({ query, variables: options.variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
  });
}

/** Env for apps whose tests send many codes to one address from one client, to test the per-factor and per-user limits alone. */
export const LIFTED_DELIVERY_CAPS = {
  MAIL_CODES_PER_ADDRESS_PER_HOUR: '1000',
  MAIL_CODES_PER_CLIENT_PER_HOUR: '100000',
};

/** The `extensions.code` of the first error, for terse assertions. */
export function errorCode(response: GraphQLResponse<unknown>): string | undefined {
  return response.errors?.[0]?.extensions?.code;
}
