import { collectDefaultMetrics, Registry } from 'prom-client';
import type { AuditObserver } from '../audit/audit.service.js';
import { authCacheMetrics, type AuthCacheMetrics } from './auth-cache-metrics.js';
import { CollectErrors } from './collect-errors.js';
import { graphqlMetrics, type GraphqlMetrics } from './graphql-metrics.js';
import { httpMetrics, type HttpMetrics } from './http-metrics.js';
import { MAIL_QUEUE_COLLECTOR, mailMetrics, type MailMetrics } from './mail-metrics.js';
import { signInMetrics } from './sign-in-metrics.js';

/** Every metric of one app, in a registry of its own: several apps in one process (tests) must not share counts. */
export interface ServiceMetrics {
  registry: Registry;
  graphql: GraphqlMetrics;
  http: HttpMetrics;
  /** Given to the AuditService: counts sign-in outcomes. */
  signIns: AuditObserver;
  mail: MailMetrics;
  /** For the authentication cache to report through. */
  authCache: AuthCacheMetrics;
}

export function createServiceMetrics(options: {
  /** Node's own metrics (event-loop lag, heap, GC, …): only when someone can read them, as they keep observers running. */
  nodeMetrics: boolean;
}): ServiceMetrics {
  const registry = new Registry();
  if (options.nodeMetrics) collectDefaultMetrics({ register: registry });
  const collectErrors = new CollectErrors([MAIL_QUEUE_COLLECTOR]);
  const metrics: ServiceMetrics = {
    registry,
    graphql: graphqlMetrics(registry),
    http: httpMetrics(registry),
    signIns: signInMetrics(registry),
    mail: mailMetrics(registry, collectErrors),
    authCache: authCacheMetrics(registry),
  };
  collectErrors.register(registry); // last: see CollectErrors
  return metrics;
}
