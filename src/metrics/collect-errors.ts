import { Counter, type Registry } from 'prom-client';

/**
 * `mfa_metrics_collect_errors_total{collector}`: values read at scrape time from elsewhere (Redis) that failed or
 * took too long, and were left out of that scrape. `register` must come after the metrics that read through `within`:
 * this counter's own collection then waits for theirs, so a failure shows in the same scrape.
 */
export class CollectErrors {
  private readonly running = new Set<Promise<unknown>>();
  private readonly counter: Counter<'collector'>;

  constructor(collectors: readonly string[]) {
    const running = this.running;
    this.counter = new Counter({
      name: 'mfa_metrics_collect_errors_total',
      help: 'Values read at scrape time that failed or timed out and were left out, by collector',
      labelNames: ['collector'] as const,
      registers: [],
      async collect() {
        await Promise.allSettled(running);
      },
    });
    for (const collector of collectors) this.counter.inc({ collector }, 0);
  }

  register(registry: Registry): void {
    registry.registerMetric(this.counter);
  }

  /** `read()`'s value, or undefined (and one error of `collector` counted) when it fails or takes over `timeoutMs`. */
  async within<T>(collector: string, timeoutMs: number, read: () => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${collector} took over ${timeoutMs} ms`)), timeoutMs);
    });
    const reading = Promise.race([read(), timedOut]).finally(() => clearTimeout(timer));
    this.running.add(reading);
    try {
      return await reading;
    } catch {
      this.counter.inc({ collector });
      return undefined;
    } finally {
      this.running.delete(reading);
    }
  }
}
