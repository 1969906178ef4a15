import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from './config/config.js';
import { openDatabase, type Database } from './db/database.js';
import { buildApiSchema } from './graphql/schema.js';
import type { FactorPlugin } from './mfa/factor-plugin.js';
import { loadFactorPlugins } from './mfa/load-factor-plugins.js';
import { createRequestContext } from './graphql/request-context.js';
import { createHttpServer } from './http/http-server.js';
import { createLogger, type Logger } from './logger.js';
import { connectRedis } from './redis.js';
import { createServices, type Services } from './services.js';

export interface App {
  /** `http://host:port` once listening. */
  url: string;
  services: Services;
  database: Database;
  redis: Redis;
  /** Stops accepting, drains in-flight requests, then closes every connection. */
  stop(): Promise<void>;
}

/** The composition root: everything the service needs, built from one config. */
export interface StartOptions {
  logger?: Logger;
  /** Factor plugins to use instead of loading FACTOR_PLUGINS (tests, embedding). */
  factorPlugins?: FactorPlugin[];
  /** The clock of the MFA rules; tests move it. */
  clock?: () => Date;
}

export async function startApp(config: Config, options: StartOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const redis = await connectRedis(config.redisUrl, logger);
  let database: Database | undefined;
  let fastify: FastifyInstance | undefined;
  try {
    database = await openDatabase(config.mongodb, logger);
    const factorPlugins = options.factorPlugins ?? (await loadFactorPlugins(config.mfa.factorPlugins, { issuer: config.mfa.issuer }));
    const services = await createServices({ config, connection: database.connection, redis, logger, factorPlugins, clock: options.clock });
    if (config.accounts.bootstrapAdmin && (await services.accounts.ensureAdmin(config.accounts.bootstrapAdmin))) {
      logger.info({ username: config.accounts.bootstrapAdmin.username }, 'created the bootstrap admin');
    }
    const db = database;
    ({ fastify } = await createHttpServer({
      config,
      logger,
      schema: buildApiSchema(factorPlugins),
      context: createRequestContext(services),
      readiness: async () => {
        const [mongoUp, redisUp] = await Promise.all([
          db.ping().then(() => true, () => false),
          redis.ping().then(() => true, () => false),
        ]);
        return { down: mongoUp ? [] : ['mongodb'], degraded: redisUp ? [] : ['redis'] };
      },
    }));
    const url = await fastify.listen({ host: config.http.host, port: config.http.port });
    logger.info({ url: `${url}/graphql`, database: database.description }, 'mfa-graphql listening');
    const server = fastify;
    let stopping: Promise<void> | undefined;
    return {
      url,
      services,
      database,
      redis,
      stop: () =>
        (stopping ??= (async () => {
          await server.close(); // stops accepting, waits for in-flight requests (http-server.ts ends their connections)
          await db.close();
          redis.disconnect();
        })()),
    };
  } catch (error) {
    await fastify?.close();
    await database?.close();
    redis.disconnect();
    throw error;
  }
}
