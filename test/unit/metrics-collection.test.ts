import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { CollectErrors } from '../../src/metrics/collect-errors.js';
import { MAIL_QUEUE_COLLECTOR, mailMetrics } from '../../src/metrics/mail-metrics.js';

/** A registry with the mail queue gauges reading from `counts`, as createServiceMetrics builds it. */
function registryReading(counts: () => Promise<{ waiting: number; active: number; delayed: number; failed: number }>) {
  const registry = new Registry();
  const errors = new CollectErrors([MAIL_QUEUE_COLLECTOR]);
  mailMetrics(registry, errors, 50).readQueueFrom(counts);
  errors.register(registry);
  return registry;
}

const ERRORS = 'mfa_metrics_collect_errors_total{collector="mail_queue"}';

describe('the mail queue gauges, read at scrape time', () => {
  it('show the counts Redis gives', async () => {
    const text = await registryReading(async () => ({ waiting: 3, active: 1, delayed: 2, failed: 7 })).metrics();
    assert.match(text, /^mfa_mail_queue_jobs\{state="waiting"\} 3$/m);
    assert.match(text, /^mfa_mail_queue_jobs\{state="failed"\} 7$/m);
    assert.match(text, new RegExp(`^${ERRORS.replace(/[{}]/g, '\\$&')} 0$`, 'm'));
  });

  it('are left out, and the failure counted in the same scrape, when Redis never answers or refuses', async () => {
    for (const counts of [
      () => new Promise<never>(() => {}),
      () => Promise.reject(new Error('Connection is closed.')),
    ]) {
      const registry = registryReading(counts);
      for (const scrape of [1, 2]) {
        const text = await registry.metrics();
        assert.doesNotMatch(text, /^mfa_mail_queue_jobs\{/m);
        assert.match(text, new RegExp(`^${ERRORS.replace(/[{}]/g, '\\$&')} ${scrape}$`, 'm'));
      }
    }
  });
});
