import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { print } from 'graphql';
import { LoginDocument as LOGIN, SignUpDocument as SIGN_UP } from '../generated/graphql.js';
import { childEnv, exited, sharedRedisUrl, startService } from '../support/processes.js';
import { deleteKeys } from '../support/redis-keys.js';
import { startTestApp } from '../support/test-app.js';

const EXIT_TIMEOUT_MS = 5000;

// On SIGTERM the service stops accepting, drains in-flight requests, then exits, so a rolling deploy loses no request.
describe('SIGTERM', () => {
  let server: ChildProcess;
  let graphqlUrl: string;
  let logs: string[];
  let redis: Redis;
  const username = 'drainer';
  // A prefix of its own: the throttle key below lives in the shared Redis, and only this run's keys are deleted.
  const redisKeyPrefix = `test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const post = async (operation: Parameters<typeof print>[0], variables: unknown) => {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(operation), variables }),
    });
    return {
      status: response.status,
      body: (await response.json()) as { data?: { login?: { accessToken?: string } }; errors?: unknown[] },
    };
  };

  before(async () => {
    ({
      child: server,
      graphqlUrl,
      logs,
    } = await startService(
      childEnv({
        PORT: '0',
        DATA_DIR: ':memory:',
        REDIS_URL: sharedRedisUrl,
        REDIS_KEY_PREFIX: redisKeyPrefix,
        LOG_LEVEL: 'info',
      }),
    ));
    redis = new Redis(sharedRedisUrl);
  });
  after(async () => {
    if (server?.exitCode === null) server.kill('SIGKILL');
    await deleteKeys(redis, redisKeyPrefix);
    redis?.disconnect();
  });

  it('answers a sign-in that was in flight, then exits 0', async () => {
    const password = 'drain password 1';
    assert.equal((await post(SIGN_UP, { input: { username, password } })).status, 200);

    const inFlight = post(LOGIN, { input: { username, password } }).then((answer) => ({
      ...answer,
      answeredAt: Date.now(),
    }));
    // The sign-in reserves a throttle slot first and clears it after argon2 (~50-100 ms): while the key exists,
    // the server is in the middle of this request. Signalling then makes the test about draining, not timing.
    // The throttle keys a name by the SHA-256 of its normalised form ('drainer' is already normalised).
    const throttleKey = `${redisKeyPrefix}:throttle:password:${createHash('sha256').update(username).digest('hex')}|127.0.0.1`;
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

describe('stop() with password-reset work that never finishes', () => {
  it('waits 5 s for it, logs that it went on, and closes everything else', async () => {
    const app = await startTestApp();
    // Stands for a look-up or a mail queue that hangs: the background work of an answered reset request never settles.
    app.services.passwordReset.settled = () => new Promise<void>(() => undefined);
    const started = Date.now();
    await app.stop();
    const tookMs = Date.now() - started;
    assert.ok(tookMs >= 4500 && tookMs < 9000, `stop took ${tookMs} ms`);
    assert.ok(
      app.logLines.some((line) => line.includes('shutdown went on with password reset requests still being handled')),
    );
  });
});
