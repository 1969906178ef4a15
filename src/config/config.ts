import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_PASSWORD_MIN_LENGTH,
  HIGHEST_PASSWORD_MIN_LENGTH,
  LOWEST_PASSWORD_MIN_LENGTH,
} from '../accounts/password-rules.js';
import { loadMailSettings, type MailSettings } from '../mail/mail-settings.js';
import type { DeliveryCapLimits } from '../mfa/delivery-caps.js';
import { ConfigError } from './config-error.js';
import { addressRanges, boolean, integer, list, nonEmpty, oneOf, optionalInteger } from './env-values.js';

/** Everything the service reads from its environment, typed and checked once at start. */
export interface Config {
  production: boolean;
  http: {
    host: string;
    /** 0 picks a free port (tests). */
    port: number;
    /** Largest accepted request body. @default 100 KiB */
    bodyLimitBytes: number;
    /** A request (headers and body) not received in full within this is answered 408 and closed (HTTP_REQUEST_TIMEOUT_SECONDS). @default 10 s */
    requestTimeoutMs: number;
    /** Open connections at most; further ones are closed at once (HTTP_MAX_CONNECTIONS). @default 1000 */
    maxConnections: number;
    /**
     * The proxies whose `X-Forwarded-For` names the client (TRUST_PROXY: addresses or CIDR ranges). Every per-address
     * limit counts the address they report; unset, the connection's own address counts and the header is ignored.
     * @default [] (trust no one)
     */
    trustedProxies: string[];
  };
  mongodb: {
    /** A real MongoDB; unset starts the embedded server. */
    uri?: string;
    /** The embedded server's files, or ":memory:" for none; owner-only (0700/0600). @default "./.data" */
    dataDir: string;
    /**
     * Also expose the embedded server on this loopback TCP port (0: any free
     * one), for mongosh or Compass. Unauthenticated: any local user can read
     * and write the database there, so development only. The service itself
     * uses a private Unix socket. @default undefined (no TCP listener)
     */
    embeddedPort?: number;
  };
  redisUrl: string;
  /** Prefix of every Redis key the service writes (REDIS_KEY_PREFIX), so that several deployments or test runs can share one Redis. @default "mfa" */
  redisKeyPrefix: string;
  mail: {
    /** Unset outside production prints mails to the log. */
    smtpUrl?: string;
    from: string;
    /** `inline` runs the mail worker in the server; `off` leaves it to `npm run worker`. */
    worker: 'inline' | 'off';
    /** The queue's Redis prefix and the worker's concurrency and stall detection (REDIS_KEY_PREFIX, MAIL_WORKER_CONCURRENCY, …). */
    queue: MailSettings;
  };
  /** Where the service's pages are, for links in mails and the default passkey origin (PUBLIC_URL). */
  publicUrl: string;
  /**
   * The built web console (CONSOLE_DIR: Vite's output, index.html and assets/), served at `/`. Missing, `/` answers
   * 404 saying to build it, and the API runs as ever. @default "<package root>/web/dist", whatever the working directory
   */
  consoleDir: string;
  mfa: {
    issuer: string;
    /** `kid:base64key,...`; the first encrypts. Generated into DATA_DIR outside production when unset. */
    encryptionKeys?: string;
    /** Factor plugins to load: built-in names or module paths. @default ["totp", "email", "webauthn"] */
    factorPlugins: string[];
    /** Each plugin's own settings by its FACTOR_PLUGINS entry: `<NAME>_<KEY>` variables, keyed by KEY (see pluginSettings). */
    factorPluginSettings: Record<string, Record<string, string>>;
    /** Recovery codes per set. @default 10 */
    recoveryCodeCount: number;
    /** Caps on code mails across users: per destination address and per client address, each per hour. */
    deliveryCaps: DeliveryCapLimits;
  };
  accounts: {
    allowSignup: boolean;
    /** Created at start when missing. */
    bootstrapAdmin?: { username: string; password: string };
    /** Password checks per client address and minute, whatever the usernames (LOGIN_RATE_PER_ADDRESS). @default 60 */
    loginRatePerAddressPerMinute: number;
    /** Sign-ups per client address and hour (SIGNUP_RATE_PER_ADDRESS). @default 20 */
    signUpRatePerAddressPerHour: number;
    /**
     * Shortest new password, in characters (PASSWORD_MIN_LENGTH): NIST SP 800-63B rev 4 asks 15 where a password
     * may be the only factor; a deployment that makes a second factor mandatory may lower it to 8. 8 to 64.
     * @default 15
     */
    passwordMinLength: number;
  };
  audit: {
    /** Audit events are deleted this long after they were written (AUDIT_RETENTION_DAYS). @default 365 */
    retentionDays: number;
  };
  sessions: {
    /** Absolute lifetime of an access token. @default 12 h */
    absoluteTtlMs: number;
    /** Lifetime without use. @default 30 min */
    idleTtlMs: number;
    /**
     * Sessions and API keys each process keeps in memory so a request needs no database read (AUTH_CACHE_ENTRIES;
     * 0 turns the cache off). Changes reach every process through Redis (see CredentialCache). @default 10000
     */
    cacheEntries: number;
    /**
     * The oldest a cached entry is used (AUTH_CACHE_MAX_AGE_MS): how long a change whose Redis message was lost can
     * go unseen by another process. @default 5000
     */
    cacheMaxAgeMs: number;
  };
  /**
   * GET /metrics (Prometheus text). `token` (METRICS_TOKEN) serves it on the public port to `Authorization: Bearer
   * <token>`; `port` (METRICS_PORT) on a listener of its own at `host` (METRICS_HOST), without a token, for a
   * Prometheus on a private network. Neither set: /metrics answers 404. @default off
   */
  metrics: {
    token?: string;
    /** 0 picks a free port (tests). */
    port?: number;
    /** @default "127.0.0.1" */
    host: string;
  };
  logLevel: string;
}

export { ConfigError };

/** The shortest METRICS_TOKEN production accepts: 32 random characters are out of reach of guessing through the 401s. */
export const METRICS_TOKEN_MIN_LENGTH = 32;

const MINUTE_MS = 60_000;

/** web/dist beside package.json: this file is src/config/config.ts, built to dist/src/config/config.js. */
const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const mailQueue = loadMailSettings(env);
  const factorPlugins = list(env, 'FACTOR_PLUGINS', ['totp', 'email', 'webauthn']);
  const port = integer(env, 'PORT', 4000, 0, 65535);
  const config: Config = {
    production,
    publicUrl: publicUrl(env, port),
    consoleDir: resolve(nonEmpty(env.CONSOLE_DIR) ?? DEFAULT_CONSOLE_DIR),
    http: {
      host: env.HOST ?? '127.0.0.1',
      port,
      bodyLimitBytes: integer(env, 'HTTP_BODY_LIMIT_BYTES', 100 * 1024, 1024, 10 * 1024 * 1024),
      requestTimeoutMs: integer(env, 'HTTP_REQUEST_TIMEOUT_SECONDS', 10, 1, 300) * 1000,
      maxConnections: integer(env, 'HTTP_MAX_CONNECTIONS', 1000, 1, 1_000_000),
      trustedProxies: addressRanges(env, 'TRUST_PROXY'),
    },
    mongodb: {
      uri: nonEmpty(env.MONGODB_URI),
      dataDir: env.DATA_DIR ?? './.data',
      embeddedPort: optionalInteger(env, 'EMBEDDED_MONGO_PORT', 0, 65535),
    },
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisKeyPrefix: mailQueue.queuePrefix, // the queue's keys are under the same prefix
    mail: {
      smtpUrl: nonEmpty(env.SMTP_URL),
      from: env.MAIL_FROM ?? 'MFA <no-reply@localhost>',
      worker: oneOf(env, 'MAIL_WORKER', ['inline', 'off'] as const, 'inline'),
      queue: mailQueue,
    },
    mfa: {
      issuer: env.MFA_ISSUER ?? 'mfa-graphql',
      encryptionKeys: nonEmpty(env.MFA_ENCRYPTION_KEYS),
      factorPlugins,
      factorPluginSettings: Object.fromEntries(factorPlugins.map((name) => [name, pluginSettings(env, name)])),
      recoveryCodeCount: integer(env, 'RECOVERY_CODE_COUNT', 10, 5, 20),
      deliveryCaps: {
        perDestinationPerHour: integer(env, 'MAIL_CODES_PER_ADDRESS_PER_HOUR', 5, 1, 1000),
        perClientPerHour: integer(env, 'MAIL_CODES_PER_CLIENT_PER_HOUR', 20, 1, 100_000),
        noticesPerDestinationPerHour: integer(env, 'MAIL_NOTICES_PER_ADDRESS_PER_HOUR', 10, 1, 1000),
      },
    },
    accounts: {
      allowSignup: boolean(env, 'ALLOW_SIGNUP', !production),
      bootstrapAdmin: bootstrapAdmin(env),
      loginRatePerAddressPerMinute: integer(env, 'LOGIN_RATE_PER_ADDRESS', 60, 1, 1_000_000),
      signUpRatePerAddressPerHour: integer(env, 'SIGNUP_RATE_PER_ADDRESS', 20, 1, 1_000_000),
      passwordMinLength: integer(
        env,
        'PASSWORD_MIN_LENGTH',
        DEFAULT_PASSWORD_MIN_LENGTH,
        LOWEST_PASSWORD_MIN_LENGTH,
        HIGHEST_PASSWORD_MIN_LENGTH,
      ),
    },
    audit: { retentionDays: integer(env, 'AUDIT_RETENTION_DAYS', 365, 1, 100 * 365) },
    sessions: {
      absoluteTtlMs: integer(env, 'SESSION_TTL_MINUTES', 12 * 60, 1, 30 * 24 * 60) * MINUTE_MS,
      idleTtlMs: integer(env, 'SESSION_IDLE_MINUTES', 30, 1, 30 * 24 * 60) * MINUTE_MS,
      cacheEntries: integer(env, 'AUTH_CACHE_ENTRIES', 10_000, 0, 1_000_000),
      cacheMaxAgeMs: integer(env, 'AUTH_CACHE_MAX_AGE_MS', 5000, 50, 60_000),
    },
    metrics: {
      token: nonEmpty(env.METRICS_TOKEN),
      port: optionalInteger(env, 'METRICS_PORT', 0, 65535),
      host: nonEmpty(env.METRICS_HOST) ?? '127.0.0.1',
    },
    logLevel: env.LOG_LEVEL ?? (production ? 'info' : 'debug'),
  };
  if (production && !config.mongodb.uri) {
    throw new ConfigError(
      'MONGODB_URI is required when NODE_ENV=production (a MongoDB replica set, e.g. mongodb://db1,db2,db3/mfa?replicaSet=rs0): ' +
        'the embedded server has no authentication and no replication, and is for development and tests only',
    );
  }
  if (config.mongodb.uri && config.mongodb.embeddedPort !== undefined)
    throw new ConfigError(
      'EMBEDDED_MONGO_PORT exposes the embedded server, which MONGODB_URI replaces: set one of them',
    );
  if (production && !config.mfa.encryptionKeys)
    throw new ConfigError('MFA_ENCRYPTION_KEYS is required when NODE_ENV=production');
  if (production && !config.mail.smtpUrl) throw new ConfigError('SMTP_URL is required when NODE_ENV=production');
  checkMetrics(env, config);
  return config;
}

/** PUBLIC_URL without a trailing slash: an http(s) URL, https in production. @default http://localhost:PORT */
function publicUrl(env: NodeJS.ProcessEnv, port: number): string {
  const value = nonEmpty(env.PUBLIC_URL) ?? `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an absolute http(s) URL, e.g. https://auth.example.com (got ${value})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(`PUBLIC_URL must be an http(s) URL (got ${value})`);
  return url.href.replace(/\/$/, '');
}

/**
 * A factor plugin's own settings: every variable `<NAME>_<KEY>`, keyed by KEY, where NAME comes from its
 * FACTOR_PLUGINS entry — a built-in name ("webauthn" → WEBAUTHN_RP_ID gives RP_ID), or a module's file or
 * package name without extension, "index" standing for its folder ("./plugins/sms/index.js" → SMS_*).
 */
export function pluginSettings(env: NodeJS.ProcessEnv, entry: string): Record<string, string> {
  const parts = entry
    .replace(/\.[cm]?[jt]s$/, '')
    .split('/')
    .filter(Boolean);
  const last = parts.at(-1) === 'index' && parts.length > 1 ? parts.at(-2)! : (parts.at(-1) ?? entry);
  const prefix = `${last.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_`;
  return Object.fromEntries(
    Object.entries(env)
      .filter((pair): pair is [string, string] => pair[0].startsWith(prefix) && pair[1] !== undefined)
      .map(([name, value]) => [name.slice(prefix.length), value]),
  );
}

/** The metrics settings that cannot work as given; the token's value is never quoted. */
function checkMetrics(env: NodeJS.ProcessEnv, config: Config): void {
  const { token, port } = config.metrics;
  if (token !== undefined && /\s/.test(token))
    throw new ConfigError('METRICS_TOKEN must not contain spaces (it is sent as "Authorization: Bearer <token>")');
  if (config.production && token !== undefined && token.length < METRICS_TOKEN_MIN_LENGTH)
    throw new ConfigError(
      `METRICS_TOKEN must be at least ${METRICS_TOKEN_MIN_LENGTH} characters when NODE_ENV=production ` +
        `(e.g. node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")`,
    );
  if (port === undefined && nonEmpty(env.METRICS_HOST) !== undefined)
    throw new ConfigError('METRICS_HOST is the address of the METRICS_PORT listener: set METRICS_PORT too');
  if (port !== undefined && port !== 0 && port === config.http.port)
    throw new ConfigError('METRICS_PORT must differ from PORT (use METRICS_TOKEN to serve /metrics on PORT)');
}

function bootstrapAdmin(env: NodeJS.ProcessEnv): Config['accounts']['bootstrapAdmin'] {
  const username = nonEmpty(env.ADMIN_USERNAME);
  const password = nonEmpty(env.ADMIN_PASSWORD);
  if (!username && !password) return undefined;
  if (!username || !password) throw new ConfigError('ADMIN_USERNAME and ADMIN_PASSWORD must be set together');
  return { username, password };
}
