import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { CredentialResolver } from '../auth/credentials.js';
import type { Config } from '../config/config.js';
import { ErrorCode } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { createFormatError } from '../graphql/format-error.js';
import { AUTH_CHECK_PATH, registerAuthCheck } from './auth-check.js';
import { inFlightOperations } from './in-flight.js';
import { clientErrorHandler, CONSOLE_RESPONSE_HEADERS, RESPONSE_HEADERS } from './response-headers.js';
import { isConsoleReply, registerConsole } from './console.js';
import { hideSuggestionsPlugin } from '../graphql/hide-suggestions.plugin.js';
import { operationLimits } from '../graphql/operation-limits.js';
import type { Logger } from '../logger.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import { METRICS_PATH, metricsRoute } from './metrics-endpoint.js';

const GRAPHQL_PATH = '/graphql';
const LIVENESS_PATH = '/healthz';
const READINESS_PATH = '/readyz';

export interface HttpServerDeps {
  config: Config;
  schema: GraphQLSchema;
  logger: Logger;
  /** Builds the per-request context (who is calling); the reply is where a session cookie gets set. */
  context: (request: FastifyRequest, reply: FastifyReply) => Promise<GraphQLContext>;
  /** Resolves a request's credential to a viewer: the one the GraphQL context uses, for GET /auth/check. */
  credentials: CredentialResolver;
  /** Names of the dependencies that are down; empty when ready. */
  readiness: () => Promise<{ down: string[]; degraded: string[] }>;
  /** Counted here (GraphQL operations, the other routes); served at /metrics when METRICS_TOKEN is set. */
  metrics: ServiceMetrics;
}

/**
 * Fastify with Apollo at POST /graphql, plus /healthz, /readyz, GET /auth/check (forward auth), with METRICS_TOKEN
 * /metrics, and the web console at / (console.ts).
 */
export interface HttpServer {
  fastify: FastifyInstance;
  apollo: ApolloServer<GraphQLContext>;
  /** Resolves once no GraphQL operation is running (or after `timeoutMs`). */
  idle(timeoutMs: number): Promise<void>;
}

export async function createHttpServer(deps: HttpServerDeps): Promise<HttpServer> {
  const { config, logger, metrics } = deps;
  const inFlight = inFlightOperations();
  const { requestTimeoutMs } = config.http;
  const fastify = Fastify({
    bodyLimit: config.http.bodyLimitBytes,
    logger: false,
    // X-Forwarded-For is believed only from the configured proxies (proxy-addr walks the chain from the nearest hop), so a
    // client cannot pick the address its limits are counted under.
    trustProxy: config.http.trustedProxies.length > 0 ? config.http.trustedProxies : false,
    // Slow clients (slowloris, a body trickled byte by byte) hold a connection at most this long, then get 408.
    requestTimeout: requestTimeoutMs,
    // A socket silent both ways in the middle of a request closes too; three times the request timeout, so a trickle meets the
    // 408 first even when the overdue check (every second) runs late on a busy event loop.
    connectionTimeout: 3 * requestTimeoutMs,
    clientErrorHandler,
    // Node checks for overdue requests every 30 s by default, which would let one live up to 30 s past its timeout.
    http: { headersTimeout: requestTimeoutMs, connectionsCheckingInterval: Math.min(1000, requestTimeoutMs) },
  });
  // Past the cap Node closes new connections at once, so a flood of sockets cannot exhaust file descriptors or memory.
  fastify.server.maxConnections = config.http.maxConnections;
  const limits = operationLimits();
  const apollo = new ApolloServer<GraphQLContext>({
    schema: deps.schema,
    parseOptions: limits.parseOptions,
    validationRules: limits.validationRules,
    formatError: createFormatError(logger),
    introspection: !config.production,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: config.production,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // main.ts owns SIGTERM/SIGINT: Apollo's own handlers would stop it separately and re-raise the signal, killing the process mid-drain.
    stopOnTerminationSignals: false,
    plugins: [
      fastifyApolloDrainPlugin(fastify),
      inFlight.plugin,
      metrics.graphql.plugin,
      // Every answer is `no-store` (response-headers.ts): the cache hints Apollo would otherwise compute, field by
      // field, on every operation would never be used.
      ApolloServerPluginCacheControlDisabled(),
      ...(config.production ? [ApolloServerPluginLandingPageDisabled(), hideSuggestionsPlugin()] : []),
    ],
  });
  await apollo.start();

  // Requests Fastify rejects before GraphQL sees them (bad JSON, too large) still get a GraphQL-shaped answer.
  fastify.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) logger.error({ err: error }, 'unhandled HTTP error');
    const message = status === 500 ? 'Internal server error' : error.message;
    return reply.code(status).send({
      errors: [{ message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : ErrorCode.BAD_USER_INPUT } }],
    });
  });

  // server.close() reaps only connections idle at that moment; one still answering would then idle on keep-alive
  // (Fastify's keepAliveTimeout: 72 s) and hold the drain open. Answers sent while closing end their connection.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onSend', async (_request, reply, payload) => {
    // The console's files set their own Cache-Control (console.ts): no-store would refetch every asset. Its refusals
    // (a traversal, a dotfile) are not files: no cache keeps them, least of all for a year.
    const consoleFile = isConsoleReply(reply) && reply.statusCode < 400;
    reply.headers(consoleFile ? CONSOLE_RESPONSE_HEADERS : RESPONSE_HEADERS);
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  // GraphQL operations are counted by the Apollo plugin, with their operation and error code.
  metrics.http.observe(fastify, [GRAPHQL_PATH]);
  if (config.metrics.token !== undefined) metricsRoute(fastify, metrics.registry, config.metrics.token);
  fastify.get(LIVENESS_PATH, async () => ({ status: 'ok' }));
  fastify.get(READINESS_PATH, async (_request, reply) => {
    const { down, degraded } = await deps.readiness();
    const status = down.length > 0 ? 'down' : degraded.length > 0 ? 'degraded' : 'ready';
    return reply.code(down.length > 0 || degraded.length > 0 ? 503 : 200).send({ status, down, degraded });
  });
  registerAuthCheck(fastify, deps.credentials);
  await fastify.register(fastifyApollo(apollo), {
    context: deps.context,
    path: GRAPHQL_PATH,
    method: ['GET', 'POST', 'OPTIONS'],
  });
  // The API's own paths, which the console never answers for, whatever a browser asks.
  const apiPaths = [GRAPHQL_PATH, AUTH_CHECK_PATH, METRICS_PATH, LIVENESS_PATH, READINESS_PATH];
  await registerConsole(fastify, { dir: config.consoleDir, apiPaths }, logger);
  return { fastify, apollo, idle: inFlight.idle };
}
