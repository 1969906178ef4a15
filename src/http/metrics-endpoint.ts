import type { FastifyInstance } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { RESPONSE_HEADERS } from './response-headers.js';

export const METRICS_PATH = '/metrics';

/** Both sides hashed first: equal lengths for timingSafeEqual, so neither the token nor its length leaks through timing. */
const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * GET /metrics on the public server, for `Authorization: Bearer <token>` only. Anything else gets a bare 401: no body
 * saying whether a token was missing or wrong. Without a token the route does not exist, and /metrics is a 404 like
 * any unknown path.
 */
export function metricsRoute(fastify: FastifyInstance, registry: Registry, token: string): void {
  const expected = digest(`Bearer ${token}`);
  fastify.get(METRICS_PATH, async (request, reply) => {
    if (!timingSafeEqual(digest(request.headers.authorization ?? ''), expected))
      return reply.code(401).header('www-authenticate', 'Bearer').send();
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

export interface MetricsListener {
  /** `http://host:port`. */
  url: string;
  close(): Promise<void>;
}

/** Connections a scraper needs at most; more are closed at once, so the listener cannot be made to hold many sockets. */
const MAX_CONNECTIONS = 16;
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * A listener of its own for /metrics, without a token (METRICS_PORT, for a Prometheus on a private network): nothing
 * but GET (and HEAD) /metrics is served there.
 */
export async function startMetricsListener(
  registry: Registry,
  where: { host: string; port: number },
  logger: Logger,
): Promise<MetricsListener> {
  const server = createServer((request, response) => {
    response.setHeaders(new Map(Object.entries(RESPONSE_HEADERS)));
    const path = (request.url ?? '').split('?')[0];
    if (path !== METRICS_PATH || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (error: unknown) => {
        logger.error({ err: error }, 'could not collect the metrics');
        response.writeHead(500).end();
      },
    );
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where.port, where.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port, family } = server.address() as AddressInfo;
  const url = `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
  return {
    url,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // A scraper keeps its connection alive between scrapes: close() alone would wait for it.
        server.closeAllConnections();
      }),
  };
}
