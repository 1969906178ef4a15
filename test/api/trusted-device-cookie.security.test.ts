import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEventType } from '../../src/audit/audit-event.model.js';
import { TEST_PASSWORD } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa } from '../support/admin.js';
import { auditCount, userWithTotp, type MfaUser } from '../support/attacker.js';
import { TestClock, totpCode } from '../support/mfa.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { setPolicy } from '../support/trusted-devices.js';

// The mfa_device cookie as an attacker meets it: a page of another site making the browser sign in with it (the
// browser sends it along with a form post or a GET), the cookie presented as a credential, and what login says
// before the password is proven.

const DEVICE_COOKIE = 'mfa_device';

describe('the mfa_device cookie, attacked', () => {
  const clock = new TestClock();
  let app: TestApp;
  let mia: MfaUser;
  /** The mfa_device cookie a browser of mia's holds. */
  let device: string;

  const post = (body: unknown, cookie: string) =>
    fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify(body),
    });

  const loginMutation = (username: string, password: string) =>
    `mutation { login(input: { username: ${JSON.stringify(username)}, password: ${JSON.stringify(password)}, ` +
    'cookie: true }) { mfaRequired trustedDeviceDays user { username } } }';

  const mfaTokenMutation = (username: string) =>
    `mutation { login(input: { username: ${JSON.stringify(username)}, password: ${JSON.stringify(TEST_PASSWORD)}, ` +
    'cookie: true }) { mfaToken } }';

  before(async () => {
    app = await startTestApp(ADMIN_ENV, { clock: clock.now });
    await setPolicy(app, await adminWithMfa(app, clock), { trustedDeviceDays: 30 });
    mia = await userWithTotp(app, clock, 'mia');
    const started = (await (await post({ query: mfaTokenMutation('mia') }, '')).json()) as {
      data: { login: { mfaToken: string } };
    };
    const mfaToken = started.data.login.mfaToken;
    const verified = await post(
      {
        query: 'mutation($input: VerifyMfaInput!) { verifyMfa(input: $input) { mfaRequired } }',
        variables: {
          input: {
            mfaToken,
            factorId: mia.totp.factorId,
            code: totpCode(mia.totp.secret, clock),
            rememberDevice: true,
          },
        },
      },
      '',
    );
    clock.nextStep();
    const cookie = verified.headers.getSetCookie().find((header) => header.startsWith(`${DEVICE_COOKIE}=`));
    assert.ok(cookie, JSON.stringify(verified.headers.getSetCookie()));
    device = cookie.slice(DEVICE_COOKIE.length + 1).split(';')[0];
    // The cookie works where it should: a JSON login(cookie: true) skips the second factor.
    const answer = (await (
      await post({ query: loginMutation('mia', TEST_PASSWORD) }, `${DEVICE_COOKIE}=${device}`)
    ).json()) as {
      data: { login: { mfaRequired: boolean } };
    };
    assert.equal(answer.data.login.mfaRequired, false, JSON.stringify(answer));
  });
  after(() => app?.stop());

  it('CSRF: a form post, a text/plain post and GETs carrying it sign nobody in and use no device', async () => {
    const used = await auditCount(app, mia.id, AuditEventType.TRUSTED_DEVICE_USED);
    const signedIn = await auditCount(app, mia.id, AuditEventType.SIGN_IN_SUCCEEDED);
    const cookie = `${DEVICE_COOKIE}=${device}`;
    const mutation = loginMutation('mia', TEST_PASSWORD);
    const answers = {
      form: await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: mutation }).toString(),
      }),
      text: await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'text/plain' },
        body: JSON.stringify({ query: mutation }),
      }),
      simpleGet: await fetch(`${app.url}/graphql?query=${encodeURIComponent(mutation)}`, { headers: { cookie } }),
      // Past CSRF prevention (a header only a preflighted request has), a GET still runs no mutation.
      preflightedGet: await fetch(`${app.url}/graphql?query=${encodeURIComponent(mutation)}`, {
        headers: { cookie, 'apollo-require-preflight': 'true' },
      }),
    };
    for (const [what, response] of Object.entries(answers)) {
      assert.ok(response.status >= 400 && response.status < 500, `${what}: ${response.status}`);
      assert.deepEqual(response.headers.getSetCookie(), [], `${what}: no session, the device cookie untouched`);
      assert.doesNotMatch(await response.text(), /"mfaRequired"/, what);
    }
    assert.equal(await auditCount(app, mia.id, AuditEventType.TRUSTED_DEVICE_USED), used, 'no device used');
    assert.equal(await auditCount(app, mia.id, AuditEventType.SIGN_IN_SUCCEEDED), signedIn, 'no sign-in');
  });

  it('is never a credential: alone it is anonymous, as the session cookie it is refused', async () => {
    const alone = await post({ query: '{ me { username } }' }, `${DEVICE_COOKIE}=${device}`);
    assert.equal(alone.status, 200);
    assert.doesNotMatch(await alone.text(), /"mia"/);
    const asSession = await post({ query: '{ me { username } }' }, `mfa_session=${device}`);
    assert.equal(asSession.status, 401);
    assert.doesNotMatch(await asSession.text(), /"mia"/);
  });

  it('before the password is proven, login says nothing of devices: no trustedDeviceDays, the cookie kept', async () => {
    for (const [username, password] of [
      ['mia', 'not the password'],
      ['nobody-here', TEST_PASSWORD],
    ]) {
      const response = await post({ query: loginMutation(username, password) }, `${DEVICE_COOKIE}=${device}`);
      const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
      assert.equal(body.errors?.[0]?.extensions?.code, 'INVALID_CREDENTIALS', `${username}: ${JSON.stringify(body)}`);
      assert.equal(body.data ?? null, null);
      assert.deepEqual(response.headers.getSetCookie(), [], username);
    }
  });
});
