import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const LOGIN = 'mutation { login(input: {username: "nobody", password: "not the password"}) { mfaRequired } }';
const BUDGET = '3';

/** A failed login sent with `X-Forwarded-For` as a client (or a proxy) would write it; answers the error code. */
async function loginFrom(app: TestApp, forwardedFor: string): Promise<string | undefined> {
  return errorCode(await app.graphql(LOGIN, { headers: { 'x-forwarded-for': forwardedFor } }));
}

describe('client addresses behind a proxy (TRUST_PROXY)', () => {
  let direct: TestApp;
  let proxied: TestApp;
  before(async () => {
    direct = await startTestApp({ LOGIN_RATE_PER_ADDRESS: BUDGET });
    proxied = await startTestApp({ LOGIN_RATE_PER_ADDRESS: BUDGET, TRUST_PROXY: '127.0.0.1, ::1' });
  });
  after(() => Promise.all([direct.stop(), proxied.stop()]));

  it('ignores X-Forwarded-For when no proxy is trusted: a client cannot pick the address it is counted under', async () => {
    const answers = [];
    for (let i = 1; i <= 4; i++) answers.push(await loginFrom(direct, `203.0.113.${i}`));
    assert.deepEqual(answers, [
      'INVALID_CREDENTIALS',
      'INVALID_CREDENTIALS',
      'INVALID_CREDENTIALS',
      'TOO_MANY_ATTEMPTS',
    ]);
  });

  it('counts each client behind a trusted proxy under the address the proxy reports, and audits that address', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await loginFrom(proxied, '203.0.113.10'));
    assert.deepEqual(answers, [
      'INVALID_CREDENTIALS',
      'INVALID_CREDENTIALS',
      'INVALID_CREDENTIALS',
      'TOO_MANY_ATTEMPTS',
    ]);
    assert.equal(
      await loginFrom(proxied, '203.0.113.11'),
      'INVALID_CREDENTIALS',
      'another client behind the proxy keeps its own budget',
    );
    const event = await proxied.database.connection
      .collection('auditEvents')
      .findOne({ type: 'sign_in.failed', ip: '203.0.113.11' });
    assert.ok(event, 'the failed sign-in is audited with the forwarded address');
  });

  it('takes the address the proxy appended, not one the client wrote before it', async () => {
    // The client sent "X-Forwarded-For: 198.51.100.7"; the proxy appended the address it saw (203.0.113.10, out of budget).
    assert.equal(await loginFrom(proxied, '198.51.100.7, 203.0.113.10'), 'TOO_MANY_ATTEMPTS');
  });
});
