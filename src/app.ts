import type { Redis } from 'ioredis';
import { auditEventModel } from './audit/audit-event.model.js';
import { applyAuditRetention } from './audit/audit-retention.js';
import type { Config } from './config/config.js';
import { openDatabase, type Database } from './db/database.js';
import { buildApiSchema } from './graphql/schema.js';
import { createMailPipeline, type MailPipeline, type MailPipelineOptions } from './mail/mail-pipeline.js';
import type { FactorPlugin, FactorPluginOptions } from './mfa/factor-plugin.js';
import { loadFactorPlugins } from './mfa/load-factor-plugins.js';
import { BUILT_IN_FACTOR_PLUGINS } from './built-in-factor-plugins.js';
import { credentialResolver } from './auth/credentials.js';
import { createRequestContext } from './graphql/request-context.js';
import { createHttpServer, type HttpServer } from './http/http-server.js';
import { startMetricsListener, type MetricsListener } from './http/metrics-endpoint.js';
import { createLogger, type Logger } from './logger.js';
import { createServiceMetrics, type ServiceMetrics } from './metrics/service-metrics.js';
import { connectRedis } from './redis.js';
import { secretsFromConfig } from './crypto/encryption-keys.js';
import { assertKeysOpenStoredSecrets } from './mfa/stored-keys-check.js';
import { createServices, type Services } from './services.js';

export interface App {
  /** `http://host:port` once listening. */
  url: string;
  services: Services;
  database: Database;
  redis: Redis;
  mail: MailPipeline;
  /** This app's metrics, in a registry of its own. */
  metrics: ServiceMetrics;
  /** `http://host:port` of the METRICS_PORT listener, when there is one. */
  metricsUrl?: string;
  /** Stops accepting, drains in-flight requests, then closes every connection. */
  stop(): Promise<void>;
}

/** The longest shutdown waits for operations still running after the HTTP server closed. */
const SHUTDOWN_GRACE_MS = 10_000;
/** How long start waits for the credential cache's invalidation channel before it listens with the cache off. */
const CACHE_READY_TIMEOUT_MS = 2_000;
/** How long shutdown waits for password-reset requests still being handled in the background before it goes on. */
const RESET_WORK_GRACE_MS = 5_000;

/**
 * Waits for the background work of reset requests already answered, at most RESET_WORK_GRACE_MS: a look-up or a
 * mail queue that hangs must not hold the process up (a request dropped there is one the user can repeat).
 */
async function backgroundResetsSettled(services: Services, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), RESET_WORK_GRACE_MS);
    timer.unref();
  });
  const done = services.passwordReset.settled().then(
    () => false,
    () => false,
  );
  if (await Promise.race([done, timedOut]))
    logger.warn({ waitedMs: RESET_WORK_GRACE_MS }, 'shutdown went on with password reset requests still being handled');
  clearTimeout(timer);
}

/** The composition root: everything the service needs, built from one config. */
export interface StartOptions {
  logger?: Logger;
  /** Factor plugins to use instead of loading FACTOR_PLUGINS (tests, embedding); a function gets the options loaded plugins get. */
  factorPlugins?: FactorPlugin[] | ((options: FactorPluginOptions) => FactorPlugin[]);
  /**
   * Sees the factor plugins, given or loaded from FACTOR_PLUGINS, before the services take them, and may wrap them:
   * the conformance suite spies on a plugin loaded the way a deployment loads it.
   */
  wrapFactorPlugins?: (plugins: FactorPlugin[]) => FactorPlugin[];
  /** Mail settings (retry schedule, queue prefix) instead of the defaults; tests shorten them. */
  mailSettings?: MailPipelineOptions['settings'];
  /** The clock of the MFA rules; tests move it. */
  clock?: () => Date;
}

export async function startApp(config: Config, options: StartOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const redis = await connectRedis(config.redisUrl, logger);
  let database: Database | undefined;
  let http: HttpServer | undefined;
  let mail: MailPipeline | undefined;
  let services: Services | undefined;
  let metricsListener: MetricsListener | undefined;
  const metrics = createServiceMetrics({
    nodeMetrics: config.metrics.token !== undefined || config.metrics.port !== undefined,
  });
  /** Closes whatever has started, in order: for stop(), and for a start that failed half-way. */
  const closeAll = async () => {
    await http?.fastify.close(); // stops accepting, waits for in-flight requests (http-server.ts ends their connections)
    await http?.idle(SHUTDOWN_GRACE_MS); // and for operations whose client hung up, which the HTTP server no longer waits for
    await metricsListener?.close();
    if (services) await backgroundResetsSettled(services, logger); // reset requests answered at once and handled in the background
    await mail?.close(); // the inline worker finishes its current job first
    await services?.audit.flush(); // repeated refusals counted since the last write
    await services?.cacheInvalidation.stop();
    await database?.close();
    redis.disconnect();
  };
  try {
    database = await openDatabase(config.mongodb, logger);
    const secrets = secretsFromConfig(config, logger);
    mail = await createMailPipeline({
      config,
      redisUrl: config.redisUrl,
      secrets,
      logger,
      startWorker: config.mail.worker === 'inline',
      settings: { ...config.mail.queue, ...options.mailSettings },
    });
    metrics.mail.readQueueFrom(() => mail!.health());
    if (mail.worker) metrics.mail.countDeliveries(mail.worker);
    const pluginOptions = (settings: Record<string, string> = {}): FactorPluginOptions => ({
      issuer: config.mfa.issuer,
      mail: mail!.sender,
      publicUrl: config.publicUrl,
      settings,
      production: config.production,
    });
    const loadedPlugins =
      typeof options.factorPlugins === 'function'
        ? options.factorPlugins(pluginOptions())
        : (options.factorPlugins ?? (await loadFactorPlugins(config.mfa, pluginOptions, BUILT_IN_FACTOR_PLUGINS)));
    const factorPlugins = options.wrapFactorPlugins ? options.wrapFactorPlugins(loadedPlugins) : loadedPlugins;
    services = await createServices({
      config,
      connection: database.connection,
      redis,
      logger,
      factorPlugins,
      secrets,
      mail: mail.sender,
      mailQueue: mail.queue,
      clock: options.clock,
      auditObserver: metrics.signIns,
      cacheMetrics: metrics.authCache,
    });
    await assertKeysOpenStoredSecrets(database.connection, secrets);
    // Here, not in createServices: a CLI run (create-admin) must not rebuild the servers' TTL index to its own default.
    await applyAuditRetention(auditEventModel(database.connection), config.audit.retentionDays);
    const adminsMfaOn = await services.accounts.enforceAdminMfa();
    if (adminsMfaOn > 0)
      logger.warn(
        { admins: adminsMfaOn },
        'turned MFA on for admins who had it off: each enrolls a factor at the next sign-in',
      );
    if (config.accounts.bootstrapAdmin && (await services.accounts.ensureAdmin(config.accounts.bootstrapAdmin))) {
      logger.info({ username: config.accounts.bootstrapAdmin.username }, 'created the bootstrap admin');
    }
    await services.cacheInvalidation.ready(CACHE_READY_TIMEOUT_MS);
    const db = database;
    const credentials = credentialResolver(services);
    http = await createHttpServer({
      config,
      logger,
      schema: buildApiSchema(factorPlugins),
      context: createRequestContext(services, credentials, config.publicUrl),
      credentials,
      readiness: async () => {
        const [mongoUp, redisUp] = await Promise.all([
          db.ping().then(
            () => true,
            () => false,
          ),
          redis.ping().then(
            () => true,
            () => false,
          ),
        ]);
        return { down: mongoUp ? [] : ['mongodb'], degraded: redisUp ? [] : ['redis'] };
      },
      metrics,
    });
    const url = await http.fastify.listen({ host: config.http.host, port: config.http.port });
    logger.info({ url: `${url}/graphql`, database: database.description }, 'mfa-graphql listening');
    if (config.metrics.port !== undefined) {
      metricsListener = await startMetricsListener(
        metrics.registry,
        { host: config.metrics.host, port: config.metrics.port },
        logger,
      );
      logger.info({ url: `${metricsListener.url}/metrics` }, 'metrics listening (no token: keep this port private)');
    }
    let stopping: Promise<void> | undefined;
    return {
      url,
      services,
      database,
      redis,
      mail,
      metrics,
      metricsUrl: metricsListener?.url,
      stop: () => (stopping ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
