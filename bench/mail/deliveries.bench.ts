import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';
import { createMailPipeline, type MailPipeline } from '../../src/mail/index.js';
import { SecretBox } from '../../src/crypto/secret-box.js';
import { mapLimit } from '../http/graphql-client.js';
import { sampleRss } from '../http/rss.js';
import { BENCH_REDIS_URL } from '../http/server-process.js';
import { formatTable } from '../table.js';
import { CountingSink } from './counting-sink.js';
import { BENCH_ENCRYPTION_KEYS, startWorkerProcess } from './worker-process.js';

/** The delivery target: deliveries per second at worker concurrency 10. */
export const DELIVERY_TARGET_PER_SECOND = 500;

export interface DeliveryCase {
  id: string;
  concurrency: number;
  /** Appended to SMTP_URL: nodemailer reads pool options from the query (`maxConnections` defaults to 5). */
  smtpQuery: string;
}

export const DELIVERY_CASES: DeliveryCase[] = [
  { id: 'c1', concurrency: 1, smtpQuery: '' },
  { id: 'c10', concurrency: 10, smtpQuery: '' },
  { id: 'c10-pool10', concurrency: 10, smtpQuery: '?maxConnections=10' },
];

export interface DeliveryResult {
  id: string;
  concurrency: number;
  smtpUrlQuery: string;
  mails: number;
  /** Enqueueing them from this process (seal + BullMQ add, 10 at a time), before the worker starts. */
  enqueue: { perSecond: number; p50Ms: number; p99Ms: number };
  /** Mails the sink accepted, distinct recipients among them, and the rest. */
  delivered: number;
  duplicates: number;
  missing: number;
  /** From the first to the last accepted mail. */
  firstToLastSeconds: number;
  deliveriesPerSecond: number;
  /** From "mail worker running" to the last accepted mail: includes opening the SMTP connections. */
  fromStartPerSecond: number;
  /** Jobs left failed in the queue afterwards (should be 0). */
  failedJobs: number;
  workerPeakRssMiB?: number;
}

export interface DeliveryBenchResult {
  mails: number;
  loadAverage: { start: number; end: number; cores: number };
  cases: DeliveryResult[];
}

/**
 * For each case: K mails enqueued with the pipeline's own MailSender under a
 * fresh queue prefix (no worker yet), then one `node dist/src/worker.js`
 * started with that concurrency and SMTP_URL, timed at a local SMTP server
 * from the first to the last acceptance. The queue is obliterated afterwards.
 */
export async function benchDeliveries(options: {
  mails: number;
  cases?: DeliveryCase[];
}): Promise<DeliveryBenchResult> {
  const loadAtStart = loadavg()[0];
  const sink = await new CountingSink().start();
  const secrets = SecretBox.fromSpec(BENCH_ENCRYPTION_KEYS);
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  const config = loadConfig({
    DATA_DIR: ':memory:',
    REDIS_URL: BENCH_REDIS_URL,
    LOG_LEVEL: 'warn',
    MFA_ENCRYPTION_KEYS: BENCH_ENCRYPTION_KEYS,
    SMTP_URL: sink.url,
  });
  const results: DeliveryResult[] = [];
  try {
    for (const c of options.cases ?? DELIVERY_CASES) {
      const queuePrefix = `bench-mail-${Date.now().toString(36)}-${c.id}`;
      process.stderr.write(
        `  worker concurrency ${c.concurrency}, SMTP_URL ${sink.url}${c.smtpQuery}: enqueueing ${options.mails} … `,
      );
      sink.reset();
      const pipeline = await createMailPipeline({
        config,
        redisUrl: BENCH_REDIS_URL,
        secrets,
        logger,
        startWorker: false,
        settings: { queuePrefix },
      });
      try {
        const enqueue = await enqueueMails(pipeline, options.mails, queuePrefix);
        process.stderr.write(`${enqueue.perSecond.toFixed(0)}/s; delivering … `);
        const worker = await startWorkerProcess({
          redisUrl: BENCH_REDIS_URL,
          smtpUrl: sink.url + c.smtpQuery,
          queuePrefix,
          concurrency: c.concurrency,
        });
        const startedAt = performance.now();
        const rss = sampleRss(worker.pid);
        let workerPeakRssMiB: number | undefined;
        try {
          await sink.waitFor(options.mails, 30_000);
        } finally {
          workerPeakRssMiB = rss.stop();
          await worker.stop();
        }
        const health = await pipeline.health();
        const first = sink.acceptedAt[0];
        const last = sink.acceptedAt[sink.acceptedAt.length - 1];
        const span = (last - first) / 1000;
        const delivered = sink.acceptedAt.length;
        const duplicates = delivered - sink.perRecipient.size;
        results.push({
          id: c.id,
          concurrency: c.concurrency,
          smtpUrlQuery: c.smtpQuery,
          mails: options.mails,
          enqueue,
          delivered,
          duplicates,
          missing: options.mails - sink.perRecipient.size,
          firstToLastSeconds: span,
          deliveriesPerSecond: span > 0 ? (delivered - 1) / span : 0,
          fromStartPerSecond: delivered / ((last - startedAt) / 1000),
          failedJobs: health.failed,
          workerPeakRssMiB,
        });
        process.stderr.write(`${results.at(-1)!.deliveriesPerSecond.toFixed(0)}/s\n`);
      } finally {
        await pipeline.queue.obliterate({ force: true }).catch(() => undefined);
        await pipeline.close();
      }
    }
  } finally {
    await sink.stop();
  }
  return {
    mails: options.mails,
    loadAverage: { start: loadAtStart, end: loadavg()[0], cores: cpus().length },
    cases: results,
  };
}

/** `mails` mfa-code mails to distinct addresses, 10 enqueues at a time, each timed; idempotency keys as the e-mail plugin gives them. */
async function enqueueMails(
  pipeline: MailPipeline,
  mails: number,
  queuePrefix: string,
): Promise<DeliveryResult['enqueue']> {
  const latencies: number[] = [];
  const started = performance.now();
  await mapLimit(
    Array.from({ length: mails }, (_, i) => i),
    10,
    async (i) => {
      const begin = performance.now();
      await pipeline.sender.send(
        {
          template: 'mfa-code',
          to: `bench-${i}@example.com`,
          params: { code: String(i % 1_000_000).padStart(6, '0'), minutes: 10 },
        },
        { idempotencyKey: `mfa-code:${queuePrefix}:${i}` },
      );
      latencies.push(performance.now() - begin);
    },
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { perSecond: mails / seconds, p50Ms: at(0.5), p99Ms: at(0.99) };
}

export function deliveriesReport(bench: DeliveryBenchResult): string {
  const fixed = (value: number | undefined, digits: number) => (value === undefined ? '–' : value.toFixed(digits));
  const rows = bench.cases.map((r) => [
    String(r.concurrency),
    r.smtpUrlQuery ? `maxConnections=10` : 'default (5)',
    fixed(r.deliveriesPerSecond, 0),
    fixed(r.fromStartPerSecond, 0),
    `${r.delivered}/${r.mails}`,
    `${r.duplicates} / ${r.missing} / ${r.failedJobs}`,
    fixed(r.workerPeakRssMiB, 0),
    `${fixed(r.enqueue.perSecond, 0)} (${fixed(r.enqueue.p50Ms, 2)} / ${fixed(r.enqueue.p99Ms, 2)})`,
  ]);
  let out = formatTable([
    [
      'concurrency',
      'SMTP pool',
      'deliveries/s',
      'from start/s',
      'delivered',
      'dup / missing / failed',
      'worker RSS MiB',
      'enqueue/s (p50 / p99 ms)',
    ],
    ...rows,
  ]);
  const { start, end, cores } = bench.loadAverage;
  out += `\n${bench.mails} mfa-code mails per row, enqueued before the worker (node dist/src/worker.js) starts; `;
  out += 'deliveries/s from the first to the last mail the SMTP server (in the bench process) accepted.\n';
  out += `Load average ${start.toFixed(1)} → ${end.toFixed(1)} on ${cores} cores: `;
  out += 'the bench, Redis, the worker and the SMTP server share them with other work, so figures are noisy.\n';
  const verdict = (rate: number | undefined) =>
    rate === undefined ? 'not measured' : rate >= DELIVERY_TARGET_PER_SECOND ? 'yes' : 'NO';
  const targetRows = bench.cases
    .filter((r) => r.concurrency === 10)
    .map((r) => {
      const clean = r.missing === 0 && r.duplicates === 0 && r.failedJobs === 0;
      return [
        `deliveries ≥ ${DELIVERY_TARGET_PER_SECOND}/s at concurrency 10 (${r.smtpUrlQuery ? 'maxConnections=10' : 'default pool'})`,
        fixed(r.deliveriesPerSecond, 0),
        clean ? verdict(r.deliveriesPerSecond) : 'NO (mails lost or repeated)',
      ];
    });
  return out + '\n' + formatTable([['target', 'measured', 'holds'], ...targetRows]);
}
