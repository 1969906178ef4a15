import { performance } from 'node:perf_hooks';

export interface Measurement {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  operations: number;
}

/** Runs `operation` from `concurrency` loops for `durationMs`, timing each call. */
export async function measure(
  operation: (i: number) => Promise<unknown>,
  options: { durationMs: number; concurrency: number },
): Promise<Measurement> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        await operation(next++);
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (quantile: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))] ?? 0;
  return {
    opsPerSecond: latencies.length / elapsedSeconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    operations: latencies.length,
  };
}
