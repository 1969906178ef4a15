import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** `node --import` this into the server to time QueueMailSender.send inside it (see the preload). */
export const ENQUEUE_TIMING_PRELOAD = pathToFileURL(
  fileURLToPath(new URL('./enqueue-timing.preload.js', import.meta.url)),
).href;

/** QueueMailSender.send as timed inside the server since the previous snapshot: from the resolver's call to its resolution. */
export interface EnqueueTiming {
  count: number;
  failures: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Asks the server (SIGUSR2) for its enqueue timings since the last ask, and has it start over. */
export async function enqueueTimingSnapshot(pid: number, file: string): Promise<EnqueueTiming> {
  const read = () => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as EnqueueTiming & { sequence: number };
    } catch {
      return undefined;
    }
  };
  const before = read()?.sequence ?? 0;
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 5_000;
  for (;;) {
    const stats = read();
    if (stats && stats.sequence > before) {
      const { sequence: _sequence, ...timing } = stats;
      return timing;
    }
    if (Date.now() > deadline)
      throw new Error('the server did not report its enqueue timings (is the preload loaded?)');
    await sleep(20);
  }
}
