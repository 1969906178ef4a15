// Loaded into the benchmarked server with `node --import` (bench/http/server-process.ts), never by the service itself.
// It wraps QueueMailSender.send — the enqueue behind sendMfaCode: seal the address and code, one BullMQ add —
// and times each call inside the server, so the enqueue's latency can be reported apart from the HTTP request's.
// On SIGUSR2 it writes what it timed since the last signal to BENCH_ENQUEUE_TIMING_FILE and starts over.
import { writeFileSync } from 'node:fs';
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import { QueueMailSender } from '../../src/mail/mail-queue.js';

const file = process.env.BENCH_ENQUEUE_TIMING_FILE;
if (file) {
  let histogram: RecordableHistogram = createHistogram();
  let failures = 0;
  let sequence = 0;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the original, called below with each instance as `this`
  const send = QueueMailSender.prototype.send;
  QueueMailSender.prototype.send = async function timedSend(
    this: QueueMailSender,
    ...args: Parameters<QueueMailSender['send']>
  ) {
    const begin = performance.now();
    try {
      return await send.apply(this, args);
    } catch (error) {
      failures++;
      throw error;
    } finally {
      histogram.record(Math.max(1, Math.round((performance.now() - begin) * 1000))); // microseconds
    }
  };
  process.on('SIGUSR2', () => {
    const count = histogram.count;
    const ms = (microseconds: number) => (count === 0 ? 0 : microseconds / 1000);
    const stats = {
      sequence: ++sequence,
      count,
      failures,
      p50Ms: ms(histogram.percentile(50)),
      p99Ms: ms(histogram.percentile(99)),
      maxMs: ms(histogram.max),
    };
    writeFileSync(file, JSON.stringify(stats));
    histogram = createHistogram();
    failures = 0;
  });
}
