import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { print } from 'graphql';
import { LoginDocument as LOGIN, SignUpDocument as SIGN_UP } from '../generated/graphql.js';
import { childEnv, compiled, exited, sharedRedisUrl } from '../support/processes.js';
import { deleteKeys } from '../support/redis-keys.js';

const EXIT_TIMEOUT_MS = 5000;
const START_TIMEOUT_MS = 20_000;

/** `node dist/src/main.js` on a free port; its URL comes from the "listening" log line, as an operator would read it. */
async function startServer(redisKeyPrefix: string): Promise<{ server: ChildProcess; graphqlUrl: string; logs: string[] }> {
  const env = childEnv({ PORT: '0', DATA_DIR: ':memory:', REDIS_URL: sharedRedisUrl, REDIS_KEY_PREFIX: redisKeyPrefix, LOG_LEVEL: 'info' });
  const server = spawn(process.execPath, [compiled('main.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const logs: string[] = [];
  const graphqlUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within ${START_TIMEOUT_MS} ms:\n${logs.join('\n')}`)), START_TIMEOUT_MS);
    server.once('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${logs.join('\n')}`)));
    createInterface({ input: server.stdout! }).on('line', (line) => {
      logs.push(line);
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg !== 'mfa-graphql listening' || !entry.url) return;
      clearTimeout(timer);
      resolve(entry.url);
    });
  });
  return { server, graphqlUrl, logs };
}

// DESIGN.md, Reliability: on SIGTERM stop accepting, drain, then exit.
describe('SIGTERM', () => {
  let server: ChildProcess;
  let graphqlUrl: string;
  let logs: string[];
  let redis: Redis;
  // Unique per run: the server keeps its keys (the throttle's among them) in the shared Redis under a prefix of its own, deleted afterwards.
  const username = `drain-${process.pid}-${Date.now()}`;
  const redisKeyPrefix = `test-${username}`;
  const post = async (operation: Parameters<typeof print>[0], variables: unknown) => {
    const response = await fetch(graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: print(operation), variables }) });
    return { status: response.status, body: (await response.json()) as { data?: { login?: { accessToken?: string } }; errors?: unknown[] } };
  };

  before(async () => {
    ({ server, graphqlUrl, logs } = await startServer(redisKeyPrefix));
    redis = new Redis(sharedRedisUrl);
  });
  after(async () => {
    if (server?.exitCode === null) server.kill('SIGKILL');
    if (redis) await deleteKeys(redis, redisKeyPrefix);
    redis?.disconnect();
  });

  it('answers a sign-in that was in flight, then exits 0', async () => {
    const password = 'drain password 1';
    assert.equal((await post(SIGN_UP, { input: { username, password } })).status, 200);

    const inFlight = post(LOGIN, { input: { username, password } }).then((answer) => ({ ...answer, answeredAt: Date.now() }));
    // The sign-in reserves a throttle slot first and clears it after argon2 (~50-100 ms): while the key exists,
    // the server is in the middle of this request. Signalling then makes the test about draining, not timing.
    const throttleKey = `${redisKeyPrefix}:throttle:password:${username}|127.0.0.1`;
    const deadline = Date.now() + 2000;
    while (!(await redis.exists(throttleKey))) assert.ok(Date.now() < deadline, 'the sign-in never reached the server');
    const signalledAt = Date.now();
    server.kill('SIGTERM');

    const answer = await inFlight;
    assert.ok(answer.answeredAt > signalledAt, 'the sign-in was still running when SIGTERM arrived');
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.errors, undefined);
    assert.match(answer.body.data?.login?.accessToken ?? '', /^mfa_at_/);
    assert.deepEqual(await exited(server, EXIT_TIMEOUT_MS), { code: 0, signal: null });
    assert.ok(logs.some((line) => line.includes('stopping: draining in-flight requests')));
  });
});
