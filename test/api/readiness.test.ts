import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { RedisUnavailableError } from '../../src/redis.js';
import { LoginDocument as LOGIN, MeDocument as ME, SignUpDocument as SIGN_UP } from '../generated/graphql.js';
import { childEnv, compiled, exited, freePort, runNode, startRedisServer } from '../support/processes.js';
import { readiness, readinessBecomes } from '../support/readiness.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const REDIS_RETURN_TIMEOUT_MS = 6000; // ioredis retries at most every 2 s (src/redis.ts)

// Losing Redis degrades the service, it does not take it down: TOTP and recovery codes need only MongoDB.
describe('readiness when its Redis stops and comes back', () => {
  let port: number;
  let redis: ChildProcess;
  let app: TestApp;
  let token: string;
  const signIn = () => app.graphql(LOGIN, { variables: { input: { username: 'dora', password: 'dora password 1' } } });

  before(async () => {
    port = await freePort();
    redis = await startRedisServer(port);
    app = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}` });
    await app.graphql(SIGN_UP, { variables: { input: { username: 'dora', password: 'dora password 1' } } });
    token = (await signIn()).data!.login.accessToken!;
  });
  after(async () => {
    await app?.stop();
    redis?.kill('SIGKILL');
  });

  it('is ready while Redis answers', async () => {
    assert.deepEqual(await readiness(app), { status: 200, body: { status: 'ready', down: [], degraded: [] } });
  });

  it('reports degraded with 503 once Redis is gone', async () => {
    redis.kill('SIGKILL');
    await exited(redis, 5000);
    assert.deepEqual(await readinessBecomes(app, 503, 3000), {
      status: 503,
      body: { status: 'degraded', down: [], degraded: ['redis'] },
    });
  });

  it('still serves GraphQL, signed-in users and password sign-in without Redis', async () => {
    assert.deepEqual((await app.graphql('{ __typename }')).data, { __typename: 'Query' });
    assert.equal((await app.graphql(ME, { token })).data?.me?.username, 'dora');
    const login = await signIn(); // the throttle falls back to counting in memory
    assert.equal(errorCode(login), undefined);
    assert.match(login.data?.login.accessToken ?? '', /^mfa_at_/);
  });

  it('is ready again once Redis is back on its port', async () => {
    redis = await startRedisServer(port);
    assert.deepEqual(await readinessBecomes(app, 200, REDIS_RETURN_TIMEOUT_MS), {
      status: 200,
      body: { status: 'ready', down: [], degraded: [] },
    });
  });
});

describe('start without Redis', () => {
  it('refuses to start, saying how to start one', async () => {
    const port = await freePort();
    await assert.rejects(startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}` }), (error: Error) => {
      assert.ok(error instanceof RedisUnavailableError);
      assert.match(error.message, new RegExp(`not reachable at 127\\.0\\.0\\.1:${port}`));
      assert.match(error.message, /redis-server .*--port/);
      assert.match(error.message, /REDIS_URL/);
      return true;
    });
  });

  it('makes `npm start` exit 69 (EX_UNAVAILABLE) with that advice', async () => {
    const env = childEnv({ PORT: '0', DATA_DIR: ':memory:', REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    const run = await runNode(compiled('main.js'), [], { env });
    assert.equal(run.code, 69, run.stderr);
    assert.match(run.stdout, /Redis is not reachable at .*redis-server/);
  });
});
