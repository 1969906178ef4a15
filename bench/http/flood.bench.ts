import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { LoginDocument, SignUpDocument } from '../../test/generated/graphql.js';
import { formatTable } from '../table.js';
import { requestBody } from './graphql-client.js';
import type { FloodOrder } from './flood-worker.js';
import { procStatusMiB } from './rss.js';
import { startServerProcess } from './server-process.js';
import { timedPost as post, type Timed } from './timed-post.js';

/** Parallel sign-ins with made-up names from one address per round: the attack the per-address budget answers. */
export const FLOOD_SIZE = 300;
/** Sign-ins of a real user from another address during each round, one after another. */
const LEGIT_PER_ROUND = 4;
/** Clients sending the throttled requests of the storage run at once. */
const THROTTLED_CONCURRENCY = 50;
const LEGIT_ADDRESS = '127.0.0.2';
/** Idle time before the server's memory is read again after the throttled run. */
const SETTLE_MS = 10_000;
const LEGIT_USER = { username: 'flood-bench-user', password: 'a flood bench password 1' };

export interface FloodBenchResult {
  rounds: number;
  floodSize: number;
  /** The real user's sign-ins during the floods (all should succeed). */
  legit: { samples: number; failures: number; p50Ms: number; p99Ms: number; maxMs: number };
  /** The floods' answers by code, with their latencies. */
  flood: Record<string, { count: number; p50Ms: number; p99Ms: number }>;
  /** Sign-ins refused per address, sent one address's budget over, and the server's memory around them. */
  throttled: {
    requests: number;
    perSecond: number;
    answers: Record<string, number>;
    rssBeforeMiB?: number;
    rssAfterMiB?: number;
    rssSettledMiB?: number;
    peakRssMiB?: number;
  };
}

/**
 * The server with its default limits (LOGIN_RATE_PER_ADDRESS 60 a minute),
 * as a child process. Each round sends FLOOD_SIZE parallel `login`s with
 * made-up names from a fresh loopback address (127.0.1.N; all of 127/8 is
 * the loopback interface on Linux) while a real user signs in from
 * 127.0.0.2; then `throttledRequests` sign-ins from one more address, nearly
 * all over its budget, and the server's resident memory before and after.
 */
export async function benchFlood(options: {
  rounds: number;
  throttledRequests: number;
  /** The database the HTTP scenarios' server uses out of process (`--db=process`), under a name of its own; unset: the server's own embedded one. */
  mongodbUri?: string;
}): Promise<FloodBenchResult> {
  const server = await startServerProcess({
    env: {
      REDIS_KEY_PREFIX: `bench-flood-${Date.now().toString(36)}`,
      ...(options.mongodbUri ? { MONGODB_URI: options.mongodbUri } : {}),
    },
  });
  try {
    const url = server.graphqlUrl;
    const signUp = await post(url, LEGIT_ADDRESS, requestBody(SignUpDocument, { input: LEGIT_USER }));
    if (signUp.code !== 'OK') throw new Error(`flood bench: the sign-up failed (${signUp.code})`);
    const legit: Timed[] = [];
    const flood: Timed[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const { sent, answers } = floodFromWorker({
        url,
        localAddress: `127.0.1.${round}`,
        size: FLOOD_SIZE,
        namePrefix: `made-up-${round}`,
      });
      await sent;
      for (let i = 0; i < LEGIT_PER_ROUND; i++)
        legit.push(await post(url, LEGIT_ADDRESS, loginBody(LEGIT_USER.username, LEGIT_USER.password)));
      flood.push(...(await answers));
    }

    const rssBeforeMiB = procStatusMiB(server.pid, 'VmRSS');
    const agent = new Agent({ keepAlive: true, maxSockets: THROTTLED_CONCURRENCY, localAddress: '127.0.2.1' });
    const throttled: Timed[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: THROTTLED_CONCURRENCY }, async () => {
        while (next < options.throttledRequests)
          throttled.push(await post(url, '127.0.2.1', loginBody(`made-up-throttled-${next++}`, 'some guess 1'), agent));
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    agent.destroy();
    const rssAfterMiB = procStatusMiB(server.pid, 'VmRSS');
    // What stays once V8 has collected: right after a burst the heap holds garbage it has not needed to collect yet.
    await sleep(SETTLE_MS);
    const legitMs = legit.filter((answer) => answer.code === 'OK').map((answer) => answer.ms);
    return {
      rounds: options.rounds,
      floodSize: FLOOD_SIZE,
      legit: {
        samples: legit.length,
        failures: legit.length - legitMs.length,
        p50Ms: quantile(legitMs, 0.5),
        p99Ms: quantile(legitMs, 0.99),
        maxMs: quantile(legitMs, 1),
      },
      flood: Object.fromEntries(
        Object.entries(byCode(flood)).map(([code, ms]) => [
          code,
          { count: ms.length, p50Ms: quantile(ms, 0.5), p99Ms: quantile(ms, 0.99) },
        ]),
      ),
      throttled: {
        requests: throttled.length,
        perSecond: throttled.length / seconds,
        answers: Object.fromEntries(Object.entries(byCode(throttled)).map(([code, ms]) => [code, ms.length])),
        rssBeforeMiB,
        rssAfterMiB,
        rssSettledMiB: procStatusMiB(server.pid, 'VmRSS'),
        peakRssMiB: procStatusMiB(server.pid, 'VmHWM'),
      },
    };
  } finally {
    await server.stop();
  }
}

export function floodReport(result: FloodBenchResult): string {
  const fixed = (value: number | undefined, digits = 0) => (value === undefined ? '–' : value.toFixed(digits));
  const { legit, throttled } = result;
  let out = `${result.rounds} rounds of ${result.floodSize} parallel logins with made-up names, each round from one fresh address, `;
  out += 'while a user signs in from another (LOGIN_RATE_PER_ADDRESS 60)\n';
  out += formatTable([
    ['answers', 'count', 'p50 ms', 'p99 ms'],
    [
      `user elsewhere: signed in (${legit.failures} failed)`,
      String(legit.samples - legit.failures),
      fixed(legit.p50Ms, 1),
      fixed(legit.p99Ms, 1),
    ],
    ...Object.entries(result.flood).map(([code, s]) => [
      `flood: ${code}`,
      String(s.count),
      fixed(s.p50Ms, 1),
      fixed(s.p99Ms, 1),
    ]),
  ]);
  const holds = legit.failures === 0 && legit.p99Ms < 1000;
  out += `target: the user's sign-in p99 < 1000 ms under the flood: ${fixed(legit.p99Ms, 1)} ms (max ${fixed(legit.maxMs, 1)}), ${holds ? 'holds' : 'NO'}\n`;
  out += `\n${throttled.requests} logins from one address, ${THROTTLED_CONCURRENCY} at a time: ${fixed(throttled.perSecond)} req/s; ${Object.entries(
    throttled.answers,
  )
    .map(([code, count]) => `${count} ${code}`)
    .join(', ')}\n`;
  out += `server RSS ${fixed(throttled.rssBeforeMiB)} MiB before, ${fixed(throttled.rssAfterMiB)} MiB right after, `;
  out += `${fixed(throttled.rssSettledMiB)} MiB ${SETTLE_MS / 1000} s later (peak over the server's life ${fixed(throttled.peakRssMiB)} MiB)\n`;
  return out;
}

const loginBody = (username: string, password: string) => requestBody(LoginDocument, { input: { username, password } });

/** Starts a flood in a worker thread; `sent` resolves once its requests are out, `answers` with their answers. */
function floodFromWorker(order: FloodOrder): { sent: Promise<void>; answers: Promise<Timed[]> } {
  const worker = new Worker(new URL('./flood-worker.js', import.meta.url), { workerData: order });
  let markSent!: () => void;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const answers = new Promise<Timed[]>((resolve, reject) => {
    worker.on('message', (message: { sent?: true; answers?: Timed[] }) =>
      message.answers ? resolve(message.answers) : markSent(),
    );
    worker.once('error', reject);
  });
  return { sent, answers: answers.finally(() => worker.terminate()) };
}

function byCode(answers: Timed[]): Record<string, number[]> {
  const groups: Record<string, number[]> = {};
  for (const answer of answers) (groups[answer.code] ??= []).push(answer.ms);
  return groups;
}

/** The q-quantile of `values` (nearest rank); 0 for none. */
function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}
