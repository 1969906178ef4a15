import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { LoginDocument } from '../../test/generated/graphql.js';
import { startDatabaseProcess } from '../database-process.js';
import { BENCH_ENCRYPTION_KEYS } from '../mail/worker-process.js';
import { formatTable } from '../table.js';
import { BENCH_PASSWORD, signUp, usernames } from './fixtures.js';
import { graphql, requestBody } from './graphql-client.js';
import { procStatusMiB } from './rss.js';
import { BENCH_REDIS_URL, startServerProcess, type ServerProcess } from './server-process.js';

/** Users signed in over and over (round robin): a right password clears the per-name throttle each time. */
const USERS = 5;
/** Past this, a sample counts as never refused. A lost Redis message is bounded by AUTH_CACHE_MAX_AGE_MS (5 s). */
const POLL_DEADLINE_MS = 10_000;
/** Warm `me` calls on B before each logout, the second one a cache hit; a third (and fourth) if the metrics saw none. */
const MAX_WARM_CALLS = 4;
const ME_ID = requestBody('query MeId { me { id } }');
const LOGOUT = requestBody('mutation Logout { logout }');

export interface LatencySummary {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface RevocationResult {
  samples: number;
  database: string;
  /** From A's logout response to B's first 401, polling B with `me { id }` back to back. */
  otherProcess: LatencySummary & {
    /** 200s B gave after A had answered the logout (served from its cache before the invalidation arrived). */
    staleAnswers: number;
    samplesWithStaleAnswers: number;
    maxStaleAnswersInASample: number;
    /** Samples B never refused within the poll deadline (not in the quantiles). */
    timedOut: number;
  };
  /** From A's logout response to A's first 401: one `me` round trip when A refuses at once. */
  sameProcess: LatencySummary & { notRefusedAtOnce: number; timedOut: number };
  /** A warm `me { id }` on B (the second warm call): the scale of one poll. */
  warmMe: LatencySummary;
  /** Samples whose token B's metrics showed as a cache hit before the logout, and those it never did. */
  warm: { confirmed: number; notConfirmed: number };
  /** Each server's peak resident set (VmHWM); the database's is its own process's. */
  peakRssMiB: { a?: number; b?: number; database?: number };
}

interface Answer {
  status: number;
  body: string;
  /** performance.now() when the whole response had arrived. */
  at: number;
}

/** One request on a kept-alive connection of `agent`, resolved when the whole response has arrived. */
function send(
  agent: Agent,
  url: string,
  options: { method: 'GET' | 'POST'; body?: string; token?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const sent = request(url, { method: options.method, agent, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, at: performance.now() }));
    });
    sent.on('error', reject);
    sent.end(options.body);
  });
}

class Client {
  readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  readonly base: string;

  constructor(
    readonly server: ServerProcess,
    private readonly metricsToken: string,
  ) {
    this.base = server.graphqlUrl.replace(/\/graphql$/, '');
  }

  me(token: string): Promise<Answer> {
    return send(this.agent, this.server.graphqlUrl, { method: 'POST', body: ME_ID, token });
  }

  /** `me { id }` back to back from `since` until a 401; the 200s before it are counted. */
  async pollUntilRefused(token: string, since: number): Promise<{ ms?: number; served: number }> {
    let served = 0;
    for (;;) {
      const answer = await this.me(token);
      if (answer.status === 401) return { ms: answer.at - since, served };
      if (answer.status !== 200 || !answer.body.includes('"me":{"id"'))
        throw new Error(`unexpected answer to me: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
      served++;
      if (answer.at - since > POLL_DEADLINE_MS) return { served };
    }
  }

  /** Session look-ups this server answered from its credential cache so far (its /metrics). */
  async sessionCacheHits(): Promise<number> {
    const answer = await send(this.agent, `${this.base}/metrics`, { method: 'GET', token: this.metricsToken });
    if (answer.status !== 200) throw new Error(`/metrics answered HTTP ${answer.status}`);
    const match = /^mfa_auth_cache_lookups_total\{kind="session",result="hit"\} (\d+)/m.exec(answer.body);
    return match ? Number(match[1]) : 0;
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Revocation latency across two server processes sharing one database (an embedded-mongo process of its own) and one
 * Redis: a session signed in on A and warm in B's credential cache is logged out on A; how long does B still accept
 * it? B learns of the logout only through the Redis invalidation channel, so this is that channel's latency plus one
 * poll. A's own refusal is timed the same way, concurrently, as the same-process figure.
 */
export async function benchRevocation(options: { samples: number }): Promise<RevocationResult> {
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.flushdb(); // throttle counters of an earlier run
  redis.disconnect();
  const database = await startDatabaseProcess();
  const metricsToken = randomBytes(32).toString('base64url');
  const env = {
    MONGODB_URI: `${database.uri}mfa-bench-revocation`,
    MFA_ENCRYPTION_KEYS: BENCH_ENCRYPTION_KEYS,
    REDIS_KEY_PREFIX: `bench-revocation-${Date.now().toString(36)}`,
    METRICS_TOKEN: metricsToken,
    MAIL_WORKER: 'off',
    LOGIN_RATE_PER_ADDRESS: '1000000',
    SIGNUP_RATE_PER_ADDRESS: '1000000',
  };
  const servers: ServerProcess[] = [];
  const clients: Client[] = [];
  try {
    for (let i = 0; i < 2; i++) servers.push(await startServerProcess({ env }));
    const [a, b] = servers.map((server) => new Client(server, metricsToken));
    clients.push(a, b);
    const names = usernames('revoke', USERS);
    await signUp(a.server.graphqlUrl, names);

    const other: number[] = [];
    const same: number[] = [];
    const warmMe: number[] = [];
    let staleAnswers = 0;
    let samplesWithStaleAnswers = 0;
    let maxStaleAnswersInASample = 0;
    let otherTimedOut = 0;
    let sameTimedOut = 0;
    let notRefusedAtOnce = 0;
    let confirmed = 0;
    for (let sample = 0; sample < options.samples; sample++) {
      const { login } = await graphql(a.server.graphqlUrl, LoginDocument, {
        input: { username: names[sample % names.length], password: BENCH_PASSWORD },
      });
      const token = login.accessToken;
      if (!token) throw new Error('revocation bench: login gave no access token');
      // Warm B: the first `me` reads the database and fills B's cache, the second is answered from it. A fill is
      // dropped when an invalidation (here, of the sign-in's own writes) arrives during its read, so B's metrics say.
      const hitsBefore = await b.sessionCacheHits();
      let warm = false;
      for (let call = 1; call <= MAX_WARM_CALLS && !warm; call++) {
        const started = performance.now();
        const answer = await b.me(token);
        if (answer.status !== 200) throw new Error(`revocation bench: B refused a live session (${answer.status})`);
        if (call >= 2) {
          warm = (await b.sessionCacheHits()) > hitsBefore;
          if (warm) warmMe.push(answer.at - started);
        }
      }
      if (warm) confirmed++;

      const logout = await send(a.agent, a.server.graphqlUrl, { method: 'POST', body: LOGOUT, token });
      if (logout.status !== 200 || !logout.body.includes('"logout":true'))
        throw new Error(`revocation bench: logout failed: HTTP ${logout.status} ${logout.body.slice(0, 200)}`);
      const [onA, onB] = await Promise.all([
        a.pollUntilRefused(token, logout.at),
        b.pollUntilRefused(token, logout.at),
      ]);
      if (onA.ms === undefined) sameTimedOut++;
      else same.push(onA.ms);
      if (onA.served > 0) notRefusedAtOnce++;
      if (onB.ms === undefined) otherTimedOut++;
      else other.push(onB.ms);
      staleAnswers += onB.served;
      if (onB.served > 0) samplesWithStaleAnswers++;
      maxStaleAnswersInASample = Math.max(maxStaleAnswersInASample, onB.served);
      if ((sample + 1) % 50 === 0) process.stderr.write(`  ${sample + 1} of ${options.samples} samples\n`);
    }
    return {
      samples: options.samples,
      database: 'embedded-mongo in a process of its own (in memory), through MONGODB_URI over loopback TCP',
      otherProcess: {
        ...summary(other),
        staleAnswers,
        samplesWithStaleAnswers,
        maxStaleAnswersInASample,
        timedOut: otherTimedOut,
      },
      sameProcess: { ...summary(same), notRefusedAtOnce, timedOut: sameTimedOut },
      warmMe: summary(warmMe),
      warm: { confirmed, notConfirmed: options.samples - confirmed },
      peakRssMiB: {
        a: procStatusMiB(a.server.pid, 'VmHWM'),
        b: procStatusMiB(b.server.pid, 'VmHWM'),
        database: procStatusMiB(database.pid, 'VmHWM'),
      },
    };
  } finally {
    for (const client of clients) client.close();
    for (const server of servers) await server.stop();
    await database.stop();
  }
}

function summary(values: number[]): LatencySummary {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (quantile: number) => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1] ?? NaN };
}

export function revocationReport(result: RevocationResult): string {
  const ms = (value: number) => (Number.isNaN(value) ? '–' : value.toFixed(2));
  const row = (what: string, s: LatencySummary, notes: string) => [what, ms(s.p50Ms), ms(s.p99Ms), ms(s.maxMs), notes];
  const { otherProcess: b, sameProcess: a } = result;
  let out = `Revocation: logout on server A, then \`me { id }\` back to back until a 401 (${result.samples} samples)\n`;
  out += `Two server processes, one database (${result.database}), one Redis; the token was warm in B's cache.\n`;
  out += formatTable([
    ["from A's logout response to the first 401", 'p50 ms', 'p99 ms', 'max ms', 'notes'],
    row(
      'on B (another process: Redis invalidation)',
      b,
      `${b.staleAnswers} stale 200s in ${b.samplesWithStaleAnswers} samples (at most ${b.maxStaleAnswersInASample} in one)` +
        (b.timedOut ? `; !! ${b.timedOut} never refused within ${POLL_DEADLINE_MS / 1000} s` : ''),
    ),
    row(
      'on A (the same process)',
      a,
      a.notRefusedAtOnce === 0
        ? 'refused at the first poll every time'
        : `!! ${a.notRefusedAtOnce} samples answered 200 after A's own logout`,
    ),
    row('one warm me { id } on B, for scale', result.warmMe, 'each poll costs about this'),
  ]);
  out += `B's cache hit the token before ${result.warm.confirmed} of ${result.samples} logouts (its /metrics)`;
  out +=
    result.warm.notConfirmed > 0
      ? `; !! ${result.warm.notConfirmed} were not confirmed warm, so B may have read the database for them.\n`
      : '.\n';
  const mib = (value?: number) => (value === undefined ? '–' : value.toFixed(0));
  out += `Peak RSS (VmHWM): A ${mib(result.peakRssMiB.a)} MiB, B ${mib(result.peakRssMiB.b)} MiB, database process ${mib(result.peakRssMiB.database)} MiB.\n`;
  return out;
}
