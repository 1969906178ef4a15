import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

/** The `route` label of a request no route matched: the path itself is the client's to choose. */
export const UNMATCHED_ROUTE = 'unmatched';

export interface HttpMetrics {
  /** Counts and times every answer of `fastify` but those of `except` (routes measured elsewhere: /graphql). */
  observe(fastify: FastifyInstance, except: readonly string[]): void;
}

/** `2xx`, `4xx`, …: five values whatever the status. */
function statusClass(status: number): string {
  return `${Math.min(Math.max(Math.floor(status / 100), 1), 5)}xx`;
}

export function httpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ['route', 'status'] as const;
  const requests = new Counter({
    name: 'mfa_http_requests_total',
    help: 'HTTP requests answered outside GraphQL, by route pattern (or "unmatched") and status class',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mfa_http_request_duration_seconds',
    help: 'Time to answer an HTTP request outside GraphQL, by route pattern and status class',
    labelNames,
    registers: [registry],
  });
  return {
    observe(fastify, except) {
      const skipped = new Set(except);
      fastify.addHook('onResponse', async (request, reply) => {
        // The pattern Fastify matched (`/users/:id`), never the path as sent.
        const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
        if (skipped.has(route)) return;
        const labels = { route, status: statusClass(reply.statusCode) };
        requests.inc(labels);
        duration.observe(labels, reply.elapsedTime / 1000);
      });
    },
  };
}
