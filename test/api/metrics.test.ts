import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { LoginDocument as LOGIN, SendEmailVerificationDocument, VerifyMfaDocument } from '../generated/graphql.js';
import { signUpAndLogIn, TEST_PASSWORD } from '../support/accounts.js';
import { listeningTcpPorts } from '../support/listening-sockets.js';
import { enrollTotp, mfaToken, signInWithTotp, TestClock, wrongTotpCode } from '../support/mfa.js';
import { exited, freePort, startRedisServer } from '../support/processes.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

/** What Prometheus expects for its text format (prom-client's Registry.contentType). */
const PROMETHEUS_TEXT = /^text\/plain; version=0\.0\.4; charset=utf-8$/;

const scrape = (url: string, headers: Record<string, string> = {}) => fetch(`${url}/metrics`, { headers });

/** The value of one sample line (`name{labels} value`), or undefined when the output has no such line. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const portOf = (url: string) => Number(new URL(url).port);

describe('GET /metrics when neither METRICS_TOKEN nor METRICS_PORT is set', () => {
  let app: TestApp;
  before(async () => (app = await startTestApp()));
  after(() => app?.stop());

  it('answers 404 as for any unknown path, with or without a bearer token', async () => {
    assert.equal((await scrape(app.url)).status, 404);
    assert.equal((await scrape(app.url, { authorization: 'Bearer anything' })).status, 404);
    assert.equal(app.metricsUrl, undefined);
  });

  it('opens no listener besides the public port', () => {
    assert.deepEqual(listeningTcpPorts(process.pid), [portOf(app.url)]);
  });
});

describe('GET /metrics on the public port with METRICS_TOKEN', () => {
  const metricsToken = randomBytes(32).toString('base64url');
  const clock = new TestClock();
  let app: TestApp;
  const metrics = async () => {
    const response = await scrape(app.url, { authorization: `Bearer ${metricsToken}` });
    assert.equal(response.status, 200);
    return response.text();
  };

  before(async () => (app = await startTestApp({ METRICS_TOKEN: metricsToken }, { clock: clock.now })));
  after(() => app?.stop());

  it('refuses a scrape without the token, or with a wrong one, with a bare 401', async () => {
    const { token: accessToken } = await signUpAndLogIn(app, 'metrics-401');
    const wrong: Array<Record<string, string>> = [
      {},
      { authorization: '' },
      { authorization: metricsToken },
      { authorization: `Bearer ${metricsToken.slice(0, -1)}` },
      { authorization: `Bearer ${metricsToken}x` },
      { authorization: `Bearer ${metricsToken.slice(0, -1)}${metricsToken.endsWith('A') ? 'B' : 'A'}` },
      { authorization: `Basic ${Buffer.from(`prometheus:${metricsToken}`).toString('base64')}` },
      { authorization: `Bearer ${accessToken}` },
    ];
    for (const headers of wrong) {
      const response = await scrape(app.url, headers);
      assert.equal(response.status, 401, JSON.stringify(headers));
      assert.equal(await response.text(), '', 'no hint whether the token was missing or wrong');
    }
  });

  it('serves Prometheus text with the token, Node metrics included', async () => {
    const response = await scrape(app.url, { authorization: `Bearer ${metricsToken}` });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', PROMETHEUS_TEXT);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const text = await response.text();
    assert.match(text, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    assert.match(text, /^# TYPE mfa_graphql_request_duration_seconds histogram$/m);
  });

  it('counts the credential cache: a miss, then hits, and a local invalidation at logout', async () => {
    const { token } = await signUpAndLogIn(app, 'metrics-cache');
    const me = () => app.graphql('query { me { id } }', { token });
    const before = await metrics();
    await me();
    await me();
    await me();
    await app.graphql('mutation { logout }', { token });
    const after = await metrics();
    const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
    assert.equal(delta('mfa_auth_cache_lookups_total{kind="session",result="miss"}'), 1);
    // The three checks after the first, logout's own included, are hits.
    assert.equal(delta('mfa_auth_cache_lookups_total{kind="session",result="hit"}'), 3);
    assert.ok(delta('mfa_auth_cache_invalidations_total{source="local"}') >= 1, 'logout invalidated');
    assert.match(after, /^mfa_auth_cache_entries \d+$/m);
  });

  it('counts a wrong and a right password among the sign-in events', async () => {
    await signUpAndLogIn(app, 'metrics-signin');
    const before = await metrics();
    const failed = await app.graphql(LOGIN, {
      variables: { input: { username: 'metrics-signin', password: 'not the password 1' } },
    });
    assert.equal(errorCode(failed), 'INVALID_CREDENTIALS');
    const succeeded = await app.graphql(LOGIN, {
      variables: { input: { username: 'metrics-signin', password: TEST_PASSWORD } },
    });
    assert.match(succeeded.data?.login.accessToken ?? '', /^mfa_at_/);
    const after = await metrics();
    for (const event of ['sign_in.failed', 'sign_in.succeeded']) {
      const series = `mfa_sign_in_events_total{event="${event}"}`;
      assert.equal(sample(after, series)! - sample(before, series)!, 1, series);
    }
    const series = 'mfa_graphql_requests_total{operation="mutation login",outcome="INVALID_CREDENTIALS"}';
    assert.equal((sample(after, series) ?? 0) - (sample(before, series) ?? 0), 1, series);
  });

  it('times verifyMfa under "mutation verifyMfa", by outcome, and counts the second factor', async () => {
    const { token } = await signUpAndLogIn(app, 'metrics-mfa');
    const totp = await enrollTotp(app, token, clock);
    const before = await metrics();
    const refused = await app.graphql(VerifyMfaDocument, {
      variables: {
        input: {
          mfaToken: await mfaToken(app, 'metrics-mfa'),
          factorId: totp.factorId,
          code: wrongTotpCode(totp.secret, clock),
        },
      },
    });
    assert.equal(errorCode(refused), 'INVALID_CODE');
    await signInWithTotp(app, 'metrics-mfa', totp, clock);
    const after = await metrics();
    const count = (outcome: string) =>
      `mfa_graphql_request_duration_seconds_count{operation="mutation verifyMfa",outcome="${outcome}"}`;
    assert.equal(sample(after, count('ok'))! - (sample(before, count('ok')) ?? 0), 1);
    assert.equal(sample(after, count('INVALID_CODE'))! - (sample(before, count('INVALID_CODE')) ?? 0), 1);
    assert.ok(
      sample(
        after,
        'mfa_graphql_request_duration_seconds_bucket{le="+Inf",operation="mutation verifyMfa",outcome="ok"}',
      )! >= 1,
    );
    for (const event of ['mfa.verification_failed', 'mfa.verification_succeeded', 'sign_in.mfa_required']) {
      const series = `mfa_sign_in_events_total{event="${event}"}`;
      assert.equal(sample(after, series)! - sample(before, series)!, event === 'sign_in.mfa_required' ? 2 : 1, series);
    }
  });

  it('labels by the root field in the schema, never by the operation name or aliases a client chose', async () => {
    const post = (body: object) =>
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const named = await post({
      query: 'query ClientLabelQx81 { aliasLabelQx82: __typename aliasLabelQx83: __typename }',
      operationName: 'ClientLabelQx81',
    });
    assert.equal(named.status, 200);
    // An operation name that names no operation of the document, and a field that does not exist.
    assert.equal(
      (await post({ query: 'query ClientLabelQx84 { me { id } }', operationName: 'ClientLabelQx85' })).status,
      400,
    );
    assert.equal((await post({ query: '{ clientLabelQx86 }' })).status, 400);
    assert.equal((await post({ query: 'mutation { clientLabelQx87(' })).status, 400);
    const fragments = await post({
      query: 'query { ...Qx88 } fragment Qx88 on Query { ... on Query { aliasQx89: mfaPolicy { passkeySignIn } } }',
    });
    assert.equal(fragments.status, 200);
    const text = await metrics();
    assert.doesNotMatch(text, /Qx8\d/i);
    assert.ok(sample(text, 'mfa_graphql_requests_total{operation="query __typename",outcome="ok"}')! >= 1);
    assert.ok(sample(text, 'mfa_graphql_requests_total{operation="invalid",outcome="BAD_USER_INPUT"}')! >= 3);
    assert.ok(sample(text, 'mfa_graphql_requests_total{operation="query mfaPolicy",outcome="UNAUTHENTICATED"}')! >= 1);
    const operations = new Set([...text.matchAll(/operation="([^"]*)"/g)].map((match) => match[1]));
    for (const operation of operations) assert.match(operation, /^(invalid|refused|(query|mutation) [_a-zA-Z]+)$/);
  });

  it('counts a request whose credential is refused before any operation runs', async () => {
    const series = 'mfa_graphql_requests_total{operation="refused",outcome="UNAUTHENTICATED"}';
    const before = sample(await metrics(), series) ?? 0;
    const refused = await app.graphql('query { me { id } }', { token: `mfa_at_${'x'.repeat(43)}` });
    assert.equal(refused.status, 401);
    assert.equal(sample(await metrics(), series)! - before, 1);
  });

  it('counts the other routes by their pattern and status class, and unknown paths as "unmatched"', async () => {
    assert.equal((await fetch(`${app.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${app.url}/pathLabelQx90/x`)).status, 404);
    const text = await metrics();
    assert.ok(sample(text, 'mfa_http_requests_total{route="/healthz",status="2xx"}')! >= 1);
    assert.ok(sample(text, 'mfa_http_requests_total{route="unmatched",status="4xx"}')! >= 1);
    assert.ok(sample(text, 'mfa_http_requests_total{route="/metrics",status="4xx"}')! >= 1, 'the 401s');
    assert.doesNotMatch(text, /Qx90|route="\/graphql"/);
  });

  it('shows the mail queue by state and counts the inline worker’s deliveries', async () => {
    const { token } = await signUpAndLogIn(app, 'metrics-mail');
    const before = sample(await metrics(), 'mfa_mail_deliveries_total{outcome="sent"}')!;
    const sent = await app.graphql(SendEmailVerificationDocument, { token });
    assert.equal(sent.errors, undefined, JSON.stringify(sent.errors));
    let text = await metrics();
    for (let tries = 0; sample(text, 'mfa_mail_deliveries_total{outcome="sent"}') === before && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      text = await metrics();
    }
    assert.equal(sample(text, 'mfa_mail_deliveries_total{outcome="sent"}'), before + 1);
    for (const state of ['waiting', 'active', 'delayed', 'failed'])
      assert.ok(Number.isInteger(sample(text, `mfa_mail_queue_jobs{state="${state}"}`)), state);
    assert.equal(sample(text, 'mfa_metrics_collect_errors_total{collector="mail_queue"}'), 0);
  });

  it('holds no username, e-mail address, password or token', async () => {
    const name = 'zqmarker-7731';
    const { token } = await signUpAndLogIn(app, name, 'zqmarker password 7731');
    const refused = await app.graphql(LOGIN, {
      variables: { input: { username: name, password: 'zqwrong 7731 pass' } },
    });
    assert.equal(errorCode(refused), 'INVALID_CREDENTIALS');
    await app.graphql(LOGIN, { variables: { input: { username: 'zqnobody-7731', password: 'zqwrong 7731 pass' } } });
    const text = await metrics();
    for (const secret of ['zqmarker', 'zqnobody', 'example.com', token, token.slice(7), metricsToken])
      assert.ok(!text.includes(secret), `the metrics contain ${secret.slice(0, 10)}…`);
    assert.doesNotMatch(text, /mfa_(at|mt|ak|dt)_/);
  });
});

describe('sign-in refusals by the password throttle', () => {
  let app: TestApp;
  before(async () => (app = await startTestApp({ METRICS_PORT: '0', LOGIN_RATE_PER_ADDRESS: '3' })));
  after(() => app?.stop());

  it('count each refusal, though the audit trail writes one event for them', async () => {
    const attempt = () =>
      app.graphql(LOGIN, { variables: { input: { username: 'metrics-nobody', password: 'a wrong password 1' } } });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push(errorCode(await attempt()));
    assert.deepEqual(codes, [
      'INVALID_CREDENTIALS',
      'INVALID_CREDENTIALS',
      'INVALID_CREDENTIALS',
      'TOO_MANY_ATTEMPTS',
      'TOO_MANY_ATTEMPTS',
    ]);
    const text = await (await scrape(app.metricsUrl!)).text();
    assert.equal(sample(text, 'mfa_sign_in_events_total{event="sign_in.failed"}'), 3);
    assert.equal(sample(text, 'mfa_sign_in_events_total{event="sign_in.throttled"}'), 2);
    assert.equal(sample(text, 'mfa_graphql_requests_total{operation="mutation login",outcome="TOO_MANY_ATTEMPTS"}'), 2);
  });
});

describe('METRICS_PORT: a listener of its own, without a token', () => {
  let app: TestApp;
  before(async () => (app = await startTestApp({ METRICS_PORT: '0' })));
  after(() => app?.stop());

  it('serves /metrics without a token on 127.0.0.1, and only /metrics', async () => {
    const metricsUrl = app.metricsUrl!;
    assert.equal(new URL(metricsUrl).hostname, '127.0.0.1');
    const response = await scrape(metricsUrl);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', PROMETHEUS_TEXT);
    assert.match(await response.text(), /^mfa_sign_in_events_total\{event="sign_in.failed"\} 0$/m);
    assert.equal((await fetch(`${metricsUrl}/graphql`)).status, 404);
    assert.equal((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status, 404);
  });

  it('leaves /metrics a 404 on the public port', async () => {
    assert.equal((await scrape(app.url)).status, 404);
    assert.deepEqual(
      listeningTcpPorts(process.pid),
      [portOf(app.url), portOf(app.metricsUrl!)].sort((a, b) => a - b),
    );
  });

  it('closes with the app', async () => {
    const metricsUrl = app.metricsUrl!;
    await app.stop();
    await assert.rejects(scrape(metricsUrl));
    assert.deepEqual(listeningTcpPorts(process.pid), []);
  });
});

describe('METRICS_TOKEN and METRICS_PORT together', () => {
  const metricsToken = randomBytes(32).toString('base64url');
  let app: TestApp;
  before(async () => (app = await startTestApp({ METRICS_TOKEN: metricsToken, METRICS_PORT: '0' })));
  after(() => app?.stop());

  it('serves both: the public port with the token, the private one without', async () => {
    assert.equal((await scrape(app.url, { authorization: `Bearer ${metricsToken}` })).status, 200);
    assert.equal((await scrape(app.url)).status, 401);
    assert.equal((await scrape(app.metricsUrl!)).status, 200);
  });
});

describe('a scrape while Redis is down', () => {
  let redis: ChildProcess;
  let app: TestApp;
  before(async () => {
    const port = await freePort();
    redis = await startRedisServer(port);
    app = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}`, METRICS_PORT: '0' });
  });
  after(async () => {
    await app?.stop();
    redis?.kill('SIGKILL');
  });

  it('still answers, without the queue gauges and with the failed collection counted', async () => {
    assert.match(await (await scrape(app.metricsUrl!)).text(), /^mfa_mail_queue_jobs\{state="waiting"\} \d+$/m);
    redis.kill('SIGKILL');
    await exited(redis, 5000);
    const response = await scrape(app.metricsUrl!);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.doesNotMatch(text, /^mfa_mail_queue_jobs\{/m);
    assert.equal(sample(text, 'mfa_metrics_collect_errors_total{collector="mail_queue"}'), 1);
    assert.match(text, /^nodejs_eventloop_lag_seconds \d/m);
  });
});
