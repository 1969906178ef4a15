import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { cpus, loadavg, tmpdir } from 'node:os';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAIL_QUEUE_NAME } from '../../src/mail/mail-job.js';
import { startSmtpSink } from '../../test/support/smtp-sink.js';
import { startDatabaseProcess, type DatabaseMode, type DatabaseProcess } from '../database-process.js';
import { BENCH_ENCRYPTION_KEYS, startWorkerProcess } from '../mail/worker-process.js';
import { ENQUEUE_TIMING_PRELOAD, enqueueTimingSnapshot, type EnqueueTiming } from './enqueue-timing.js';
import { FIXTURE_SIZES, FixtureSet } from './fixture-set.js';
import { benchFlood, type FloodBenchResult } from './flood.bench.js';
import { runLoad, type LoadResult } from './load.js';
import { procStatusMiB, sampleRss } from './rss.js';
import { SCENARIOS, type Baseline } from './scenarios.js';
import { BENCH_REDIS_URL, startServerProcess } from './server-process.js';

export interface HttpScenarioResult extends LoadResult {
  id: string;
  title: string;
  expectedErrorCode?: string;
  /** Responses that are not what the scenario means to measure (any error; for a wrong-code run anything but its expected code), plus connection errors. */
  unexpected: number;
  /** The server's largest resident set sampled during the measured run. */
  serverPeakRssMiB?: number;
  /** Operations per second over the baseline's requests per second in this run. */
  ratio?: number;
  /** What `ratio` divides by: the trivial query (the mean of its two runs) or the trivial GET. */
  ratioTo: Baseline;
  /** QueueMailSender.send timed inside the server during the measured run (sendMfaCode). */
  enqueue?: EnqueueTiming;
}

export interface HttpBenchResult {
  connections: number;
  durationSeconds: number;
  warmUpSeconds: number;
  /** Where the server's data lived: an embedded-mongo process of its own (over TCP), the server's process, or MONGODB_URI. */
  databaseMode: DatabaseMode | 'MONGODB_URI';
  database: string;
  /** The database process's peak resident set (VmHWM) over the run, with `--db=process`; not in the server's figures. */
  databasePeakRssMiB?: number;
  /** 1-minute load averages at start and end: other work on the machine competes for its cores. */
  loadAverage: { start: number; end: number; cores: number };
  /** The server's peak resident set over its whole life (VmHWM), preparation included. */
  serverPeakRssMiB?: number;
  scenarios: HttpScenarioResult[];
  /** The password flood, against a server of its own with the default limits (`flood`). */
  flood?: FloodBenchResult;
}

export const CONNECTIONS = 10;
const SETTLE_MS = 1_000;

/** Starts the service as a child process, prepares fixtures over GraphQL and drives each scenario with autocannon from this process. */
export async function benchHttp(options: {
  quick: boolean;
  durationSeconds: number;
  warmUpSeconds: number;
  scenarioIds?: string[];
  serverNodeArgs?: string[];
  /**
   * `process`: the server reaches an embedded-mongo process of its own through MONGODB_URI; `embedded`: the database
   * runs in the server's process. MONGODB_URI in the environment overrides both.
   */
  database: DatabaseMode;
}): Promise<HttpBenchResult> {
  const loadAtStart = loadavg()[0];
  const databaseMode = process.env.MONGODB_URI ? 'MONGODB_URI' : options.database;
  const databaseProcess = databaseMode === 'process' ? await startDatabaseProcess() : undefined;
  try {
    return await benchHttpWith(options, databaseMode, databaseProcess, loadAtStart);
  } finally {
    await databaseProcess?.stop();
  }
}

const DATABASE_DESCRIPTIONS: Record<DatabaseMode | 'MONGODB_URI', string> = {
  process: 'embedded-mongo in a process of its own (in memory), through MONGODB_URI over loopback TCP',
  embedded: "embedded in the server's process (in memory), through its private Unix socket",
  MONGODB_URI: 'MONGODB_URI from the environment',
};

async function benchHttpWith(
  options: Parameters<typeof benchHttp>[0],
  databaseMode: DatabaseMode | 'MONGODB_URI',
  databaseProcess: DatabaseProcess | undefined,
  loadAtStart: number,
): Promise<HttpBenchResult> {
  const selected = (scenario: { id: string }) => !options.scenarioIds || options.scenarioIds.includes(scenario.id);
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.flushdb(); // throttle counters of an earlier run
  redis.disconnect();

  // Mail: codes go to an SMTP server in this process, through a worker process only while enrolling e-mail factors;
  // the server itself only enqueues (MAIL_WORKER=off), so sendMfaCode measures the enqueue.
  const sink = await startSmtpSink();
  const queuePrefix = `bench-${Date.now().toString(36)}`;
  const clearQueue = async () => {
    const queue = new Queue(MAIL_QUEUE_NAME, { connection: { url: BENCH_REDIS_URL }, prefix: queuePrefix });
    try {
      const { waiting = 0 } = await queue.getJobCounts('waiting');
      await queue.obliterate({ force: true });
      return waiting;
    } finally {
      await queue.close();
    }
  };
  const timingFile = join(tmpdir(), `mfa-bench-enqueue-${process.pid}.json`);
  // One load generator signs up, signs in and asks for codes for many users from one address: the per-address and
  // per-client limits would measure their refusals, not the operations.
  const lifted = {
    MAIL_CODES_PER_CLIENT_PER_HOUR: '100000',
    LOGIN_RATE_PER_ADDRESS: '1000000',
    SIGNUP_RATE_PER_ADDRESS: '1000000',
  };
  const server = await startServerProcess({
    nodeArgs: ['--import', ENQUEUE_TIMING_PRELOAD, ...(options.serverNodeArgs ?? [])],
    env: {
      SMTP_URL: sink.url,
      MAIL_WORKER: 'off',
      MFA_ENCRYPTION_KEYS: BENCH_ENCRYPTION_KEYS,
      REDIS_KEY_PREFIX: queuePrefix,
      BENCH_ENQUEUE_TIMING_FILE: timingFile,
      ...lifted,
      ...(databaseProcess ? { MONGODB_URI: `${databaseProcess.uri}mfa-bench` } : {}),
    },
  });
  const results: HttpScenarioResult[] = [];
  let serverPeakRssMiB: number | undefined;
  try {
    const fixtures = new FixtureSet(server.graphqlUrl, options.quick ? FIXTURE_SIZES.quick : FIXTURE_SIZES.full, {
      sink,
      startWorker: () =>
        startWorkerProcess({ redisUrl: BENCH_REDIS_URL, smtpUrl: sink.url, queuePrefix, concurrency: 10 }),
      clearQueue,
    });
    const load = { url: server.graphqlUrl, connections: CONNECTIONS };
    for (const scenario of SCENARIOS.filter(selected)) {
      process.stderr.write(`${scenario.title}\n`);
      const plan = await scenario.plan(fixtures);
      // Warm-up (JIT, connection pools, caches): a short run on at most a tenth of the fixtures, not recorded.
      await runLoad(plan, { ...load, durationSeconds: options.warmUpSeconds, fixtureShare: 0.1 });
      if (plan.operationsLeft && plan.operationsLeft() < CONNECTIONS)
        throw new Error(`${scenario.id}: the warm-up used up its fixtures`);
      if (plan.timesEnqueue) await enqueueTimingSnapshot(server.pid, timingFile); // starts its count over
      const rss = sampleRss(server.pid);
      const result = await runLoad(plan, { ...load, durationSeconds: options.durationSeconds });
      const serverPeakRssMiB = rss.stop();
      // autocannon drops its connections at the end, but the server finishes what it had started (argon2 queues):
      // let that drain so it neither counts against the next scenario nor meets the shutdown.
      await sleep(SETTLE_MS);
      const enqueue = plan.timesEnqueue ? await enqueueTimingSnapshot(server.pid, timingFile) : undefined;
      await plan.after?.();
      const failed = Object.values(result.errors).reduce((sum, count) => sum + count, 0);
      const answeredWrongly = scenario.expectedErrorCode
        ? result.requests - (result.errors[scenario.expectedErrorCode] ?? 0)
        : failed;
      const unexpected = answeredWrongly + result.socketErrors;
      results.push({
        id: scenario.id,
        title: scenario.title,
        ratioTo: scenario.baseline ?? 'trivial',
        expectedErrorCode: scenario.expectedErrorCode,
        ...result,
        unexpected,
        serverPeakRssMiB,
        enqueue,
      });
    }
    serverPeakRssMiB = procStatusMiB(server.pid, 'VmHWM');
  } finally {
    await server.stop();
    await sink.stop();
    await clearQueue().catch(() => undefined);
    await rm(timingFile, { force: true });
  }
  let flood: FloodBenchResult | undefined;
  if (selected({ id: 'flood' })) {
    process.stderr.write('flood of logins from one address (a server of its own, default limits)\n');
    flood = await benchFlood({
      ...(options.quick ? { rounds: 2, throttledRequests: 5_000 } : { rounds: 5, throttledRequests: 25_000 }),
      mongodbUri: databaseProcess && `${databaseProcess.uri}mfa-bench-flood`,
    });
  }
  const mean = (rates: number[]) =>
    rates.length > 0 ? rates.reduce((sum, rate) => sum + rate, 0) / rates.length : undefined;
  const clean = (ids: string[]) =>
    results.filter((result) => ids.includes(result.id) && result.unexpected === 0).map((r) => r.requestsPerSecond);
  const baselines: Record<Baseline, number | undefined> = {
    trivial: mean(clean(['trivial', 'trivial-end'])),
    'trivial-get': mean(clean(['trivial-get'])),
  };
  for (const result of results) {
    const baseline = baselines[result.ratioTo];
    if (baseline) result.ratio = result.operationsPerSecond / baseline;
  }
  return {
    connections: CONNECTIONS,
    durationSeconds: options.durationSeconds,
    warmUpSeconds: options.warmUpSeconds,
    databaseMode,
    database: DATABASE_DESCRIPTIONS[databaseMode],
    databasePeakRssMiB: databaseProcess && procStatusMiB(databaseProcess.pid, 'VmHWM'),
    loadAverage: { start: loadAtStart, end: loadavg()[0], cores: cpus().length },
    serverPeakRssMiB,
    scenarios: results,
    flood,
  };
}
