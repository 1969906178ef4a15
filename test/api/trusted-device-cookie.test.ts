import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../src/crypto/opaque-token.js';
import {
  DeviceCookieLoginDocument as LOGIN,
  DeviceCookieVerifyMfaDocument as VERIFY_MFA,
  MeDocument as ME,
  RevokeTrustedDeviceDocument as REVOKE_DEVICE,
  TrustedDevicesDocument as TRUSTED_DEVICES,
} from '../generated/graphql.js';
import { TEST_PASSWORD, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { userWithTotp, type MfaUser } from '../support/attacker.js';
import { PASSKEY_ENV } from '../support/passkeys.js';
import { TestClock, totpCode } from '../support/mfa.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { setPolicy } from '../support/trusted-devices.js';

// "Remember this device" for a browser (the web console): the device token never reaches a script. A sign-in that
// asked for the session cookie gets it as the HttpOnly mfa_device cookie, which login(cookie: true) reads itself.

const DEVICE_COOKIE = 'mfa_device';
const SESSION_COOKIE = 'mfa_session';
const DAY_MS = 24 * 60 * 60_000;
const DAYS = 30;

interface Answer<T> {
  setCookies: string[];
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** A Set-Cookie split into its name, value and attributes (in the order sent). */
interface SetCookie {
  name: string;
  value: string;
  attributes: string[];
}

/** POST /graphql as the console's fetch sends it: JSON, with the given cookies. */
async function post<T, V>(
  app: TestApp,
  operation: TypedDocumentNode<T, V>,
  options: { variables?: V; cookies?: Record<string, string>; cookieHeader?: string; token?: string } = {},
): Promise<Answer<T>> {
  const cookie =
    options.cookieHeader ??
    Object.entries(options.cookies ?? {})
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(cookie ? { cookie } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify({ query: print(operation), variables: options.variables }),
  });
  return { setCookies: response.headers.getSetCookie(), ...((await response.json()) as object) };
}

function cookiesOf(answer: Answer<unknown>): Map<string, SetCookie> {
  const cookies = new Map<string, SetCookie>();
  for (const header of answer.setCookies) {
    const [pair, ...attributes] = header.split('; ');
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    assert.ok(!cookies.has(name), `one ${name} cookie: ${JSON.stringify(answer.setCookies)}`);
    cookies.set(name, { name, value: pair.slice(at + 1), attributes });
  }
  return cookies;
}

describe('remembered devices in a browser: the mfa_device cookie', () => {
  const clock = new TestClock();
  let app: TestApp;
  let admin: MfaAdmin;
  let mia: MfaUser;
  let bob: MfaUser;

  const login = (username: string, cookies: Record<string, string> = {}, cookie = true) => {
    const password = username === ADMIN_ENV.ADMIN_USERNAME ? ADMIN_ENV.ADMIN_PASSWORD : TEST_PASSWORD;
    return post(app, LOGIN, { variables: { input: { username, password, cookie } }, cookies });
  };

  /** login(cookie: true) then verifyMfa with rememberDevice: the answer, and the device cookie it set. */
  const rememberThisBrowser = async (user: MfaUser) => {
    const started = await login(user.username);
    assert.equal(started.data?.login.mfaRequired, true, JSON.stringify(started));
    const sentAt = Date.now();
    const verified = await post(app, VERIFY_MFA, {
      variables: {
        input: {
          mfaToken: started.data.login.mfaToken!,
          factorId: user.totp.factorId,
          code: totpCode(user.totp.secret, clock),
          rememberDevice: true,
        },
      },
    });
    const receivedAt = Date.now();
    clock.nextStep();
    assert.equal(verified.errors, undefined, JSON.stringify(verified.errors));
    const device = cookiesOf(verified).get(DEVICE_COOKIE);
    assert.ok(device, `an ${DEVICE_COOKIE} cookie: ${JSON.stringify(verified.setCookies)}`);
    return { verified, device, sentAt, receivedAt };
  };

  before(async () => {
    app = await startTestApp(ADMIN_ENV, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
    mia = await userWithTotp(app, clock, 'mia');
    bob = await userWithTotp(app, clock, 'bob');
    await signUpAndLogIn(app, 'pat');
  });
  after(() => app?.stop());

  it('login says with mfaRequired how long rememberDevice remembers: the policy, the same for an admin (no role told)', async () => {
    const off = await login('mia');
    assert.equal(off.data?.login.mfaRequired, true, JSON.stringify(off));
    assert.equal(off.data.login.trustedDeviceDays, 0, 'the policy remembers no devices by default');

    await setPolicy(app, admin, { trustedDeviceDays: DAYS });
    const on = await login('mia');
    assert.equal(on.data?.login.trustedDeviceDays, DAYS);
    const rootLogin = await login(ADMIN_ENV.ADMIN_USERNAME);
    assert.equal(rootLogin.data?.login.mfaRequired, true, JSON.stringify(rootLogin));
    // An answer to a password alone tells nothing of the role; the admin's device is refused at verifyMfa (below).
    assert.equal(rootLogin.data.login.trustedDeviceDays, DAYS);
    const withoutMfa = await login('pat');
    assert.equal(withoutMfa.data?.login.mfaRequired, false, JSON.stringify(withoutMfa));
    assert.equal(withoutMfa.data.login.trustedDeviceDays, null, 'only with mfaRequired');
  });

  it('verifyMfa with rememberDevice sets mfa_device (HttpOnly, SameSite=Strict, Path=/, the Max-Age of the device) and no token in the body', async () => {
    const { verified, device, sentAt, receivedAt } = await rememberThisBrowser(mia);
    assert.equal(verified.data!.verifyMfa.deviceToken, null, 'no script can read the device token');
    assert.equal(verified.data!.verifyMfa.accessToken, null);
    assert.ok(cookiesOf(verified).get(SESSION_COOKIE)?.value, 'the session comes as its cookie, alongside');
    assert.match(device.value, /^mfa_dt_[A-Za-z0-9_-]+$/);
    assert.deepEqual(device.attributes.slice(0, 3), ['HttpOnly', 'SameSite=Strict', 'Path=/']);
    assert.equal(device.attributes.length, 4, `no Secure over plain HTTP: ${device.attributes.join('; ')}`);
    const stored = await app.database.connection
      .db!.collection<{ expiresAt: Date; userId: unknown }>('trustedDevices')
      .findOne({ tokenHash: hashToken(device.value) });
    assert.ok(stored, 'the cookie holds the device token the service remembers');
    const maxAge = Number(/^Max-Age=(\d+)$/.exec(device.attributes[3])?.[1]);
    const end = stored.expiresAt.getTime();
    assert.ok(
      maxAge >= Math.floor((end - receivedAt) / 1000) - 1 && maxAge <= Math.ceil((end - sentAt) / 1000) + 1,
      `${device.attributes[3]}: the device's remaining life (ends ${stored.expiresAt.toISOString()})`,
    );
    assert.ok(Math.abs(end - clock.now().getTime() - DAYS * DAY_MS) < 60_000, `remembered for ${DAYS} days`);
  });

  it('the next login(cookie: true), no deviceToken argument, skips the second factor with the cookie alone', async () => {
    const { device } = await rememberThisBrowser(mia);
    const again = await login('mia', { [DEVICE_COOKIE]: device.value });
    assert.equal(again.errors, undefined, JSON.stringify(again.errors));
    assert.equal(again.data!.login.mfaRequired, false, 'signed in without a second factor');
    assert.equal(again.data!.login.user?.username, 'mia');
    assert.equal(again.data!.login.accessToken, null);
    const session = cookiesOf(again).get(SESSION_COOKIE);
    assert.ok(session?.value, 'the session as its cookie');
    assert.equal(cookiesOf(again).has(DEVICE_COOKIE), false, 'the device cookie stays as it is');
    const me = await post(app, ME, { cookies: { [SESSION_COOKIE]: session.value } });
    assert.equal(me.data?.me?.username, 'mia');

    // Without cookie: true the cookie is not read: an API client gives its deviceToken itself.
    const bearer = await login('mia', { [DEVICE_COOKIE]: device.value }, false);
    assert.equal(bearer.data?.login.mfaRequired, true, JSON.stringify(bearer));
  });

  it('a revoked device: the second factor is asked again, and the cookie is cleared', async () => {
    const { device } = await rememberThisBrowser(mia);
    const listed = await post(app, TRUSTED_DEVICES, { token: mia.token });
    // Newest first: the device this browser just remembered.
    const id = listed.data?.trustedDevices[0]?.id;
    assert.ok(id, JSON.stringify(listed));
    const revoked = await post(app, REVOKE_DEVICE, { token: mia.token, variables: { input: { id } } });
    assert.equal(revoked.errors, undefined, JSON.stringify(revoked.errors));

    const again = await login('mia', { [DEVICE_COOKIE]: device.value });
    assert.equal(again.data?.login.mfaRequired, true, JSON.stringify(again));
    assert.equal(cookiesOf(again).has(SESSION_COOKIE), false, 'no session');
    assert.deepEqual(cookiesOf(again).get(DEVICE_COOKIE), {
      name: DEVICE_COOKIE,
      value: '',
      attributes: ['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=0'],
    });
  });

  it("another user's device cookie does not help: bob is asked for his second factor", async () => {
    const { device } = await rememberThisBrowser(mia);
    const asBob = await login('bob', { [DEVICE_COOKIE]: device.value });
    assert.equal(asBob.data?.login.mfaRequired, true, JSON.stringify(asBob));
    assert.equal(asBob.data.login.user, null);
    assert.equal(cookiesOf(asBob).has(SESSION_COOKIE), false);
    // A wrong password gets nowhere near the cookie: it stays.
    const wrong = await post(app, LOGIN, {
      variables: { input: { username: 'mia', password: 'not the password', cookie: true } },
      cookies: { [DEVICE_COOKIE]: device.value },
    });
    assert.equal(wrong.errors?.[0]?.extensions?.code, 'INVALID_CREDENTIALS');
    assert.deepEqual(wrong.setCookies, []);
    // Mia's device still works for mia.
    const asMia = await login('mia', { [DEVICE_COOKIE]: device.value });
    assert.equal(asMia.data?.login.mfaRequired, false, JSON.stringify(asMia));
  });

  it('two mfa_device cookies, or a malformed one, count as none: the second factor is asked', async () => {
    const { device } = await rememberThisBrowser(mia);
    for (const header of [
      `${DEVICE_COOKIE}=${device.value}; ${DEVICE_COOKIE}=${device.value}`,
      `${DEVICE_COOKIE}=${device.value}!`,
      `${DEVICE_COOKIE}=mfa_at_${device.value.slice('mfa_dt_'.length)}`,
    ]) {
      const answer = await post(app, LOGIN, {
        variables: { input: { username: 'mia', password: TEST_PASSWORD, cookie: true } },
        cookieHeader: header,
      });
      assert.equal(answer.data?.login.mfaRequired, true, `${header}: ${JSON.stringify(answer)}`);
    }
    // The same cookie, alone and well formed, works.
    const alone = await login('mia', { [DEVICE_COOKIE]: device.value });
    assert.equal(alone.data?.login.mfaRequired, false, JSON.stringify(alone));
  });

  it('an admin ticking rememberDevice gets no cookie, and a sign-in without the cookie choice gets the token in the body', async () => {
    const rootLogin = await login(ADMIN_ENV.ADMIN_USERNAME);
    const verified = await post(app, VERIFY_MFA, {
      variables: {
        input: {
          mfaToken: rootLogin.data!.login.mfaToken!,
          factorId: admin.totp.factorId,
          code: totpCode(admin.totp.secret, clock),
          rememberDevice: true,
        },
      },
    });
    clock.nextStep();
    assert.equal(verified.errors, undefined, JSON.stringify(verified.errors));
    assert.equal(cookiesOf(verified).has(DEVICE_COOKIE), false);
    assert.equal(verified.data!.verifyMfa.deviceToken, null);

    const plain = await login('bob', {}, false);
    const bodyToken = await post(app, VERIFY_MFA, {
      variables: {
        input: {
          mfaToken: plain.data!.login.mfaToken!,
          factorId: bob.totp.factorId,
          code: totpCode(bob.totp.secret, clock),
          rememberDevice: true,
        },
      },
    });
    clock.nextStep();
    assert.match(bodyToken.data?.verifyMfa.deviceToken ?? '', /^mfa_dt_/, JSON.stringify(bodyToken.errors));
    assert.deepEqual(bodyToken.setCookies, []);
  });
});

describe('remembered devices behind HTTPS (PUBLIC_URL https://…): a Secure mfa_device', () => {
  const clock = new TestClock();
  let app: TestApp;

  before(async () => {
    app = await startTestApp({ ...ADMIN_ENV, ...PASSKEY_ENV }, { clock: clock.now });
  });
  after(() => app?.stop());

  it('the device cookie says Secure, as the session cookie does', async () => {
    const admin = await adminWithMfa(app, clock);
    await setPolicy(app, admin, { trustedDeviceDays: 7 });
    const sam = await userWithTotp(app, clock, 'sam');
    const started = await post(app, LOGIN, {
      variables: { input: { username: 'sam', password: TEST_PASSWORD, cookie: true } },
    });
    const verified = await post(app, VERIFY_MFA, {
      variables: {
        input: {
          mfaToken: started.data!.login.mfaToken!,
          factorId: sam.totp.factorId,
          code: totpCode(sam.totp.secret, clock),
          rememberDevice: true,
        },
      },
    });
    const device = cookiesOf(verified).get(DEVICE_COOKIE);
    assert.ok(device, JSON.stringify(verified));
    assert.equal(device.attributes.at(-1), 'Secure');
    assert.equal(cookiesOf(verified).get(SESSION_COOKIE)?.attributes.at(-1), 'Secure');
  });
});
