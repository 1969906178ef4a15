import { Counter, Gauge, type Registry } from 'prom-client';

export type AuthCacheKind = 'session' | 'api_key';
/** `bypass`: the cache was not asked (off, or a credential it must not hold). */
export type AuthCacheResult = 'hit' | 'miss' | 'bypass';
/** `local`: this process dropped the entry; `remote`: another process told it to. */
export type AuthCacheInvalidationSource = 'local' | 'remote';

/** What the cache of authenticated credentials reports. Every method is cheap and never throws. */
export interface AuthCacheMetrics {
  lookup(kind: AuthCacheKind, result: AuthCacheResult): void;
  invalidated(source: AuthCacheInvalidationSource): void;
  /** The entries held now. */
  entries(count: number): void;
}

/** For code that runs without metrics (the CLIs, unit tests). */
export const NO_AUTH_CACHE_METRICS: AuthCacheMetrics = {
  lookup() {},
  invalidated() {},
  entries() {},
};

export function authCacheMetrics(registry: Registry): AuthCacheMetrics {
  const lookups = new Counter({
    name: 'mfa_auth_cache_lookups_total',
    help: 'Look-ups of an access token or API key in the authentication cache, by kind and result (hit, miss, bypass)',
    labelNames: ['kind', 'result'] as const,
    registers: [registry],
  });
  const invalidations = new Counter({
    name: 'mfa_auth_cache_invalidations_total',
    help: 'Authentication cache entries dropped, by source (local: this process; remote: told by another)',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const entries = new Gauge({
    name: 'mfa_auth_cache_entries',
    help: 'Entries held in the authentication cache',
    registers: [registry],
  });
  return {
    lookup: (kind, result) => lookups.inc({ kind, result }),
    invalidated: (source) => invalidations.inc({ source }),
    entries: (count) => entries.set(count),
  };
}
