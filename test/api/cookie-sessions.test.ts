import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashToken } from '../../src/crypto/opaque-token.js';
import {
  CreateApiKeyDocument as CREATE_API_KEY,
  LoginDocument as LOGIN,
  LoginWithGraceDocument as LOGIN_WITH_GRACE,
  LogoutDocument as LOGOUT,
  MeDocument as ME,
  PasskeySignInDocument as PASSKEY_SIGN_IN,
  RevokeOtherSessionsDocument as REVOKE_OTHER_SESSIONS,
  SetMfaPolicyStatusDocument as SET_STATUS,
  SignUpDocument as SIGN_UP,
  SkipEnrollmentDocument as SKIP_ENROLLMENT,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { userWithTotp, type MfaUser } from '../support/attacker.js';
import { TestClock, totpCode } from '../support/mfa.js';
import { PASSKEY_ENV, PASSKEY_ORIGIN, beginPasskeySignIn, enrollPasskey } from '../support/passkeys.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';
import { setPolicy } from '../support/trusted-devices.js';

const COOKIE = 'mfa_session';
const DAY_MS = 24 * 60 * 60_000;
const HOUR_MS = 60 * 60_000;
const TTL_MINUTES = 120;

interface Answer<T> {
  status: number;
  /** Every Set-Cookie header of the answer. */
  setCookies: string[];
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** POST /graphql as a browser's fetch sends it: JSON, with the cookie jar's `mfa_session` when there is one. */
async function post<T, V>(
  app: TestApp,
  operation: TypedDocumentNode<T, V>,
  options: { variables?: V; cookie?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.cookie ? { cookie: `${COOKIE}=${options.cookie}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query: print(operation), variables: options.variables }),
  });
  return {
    status: response.status,
    setCookies: response.headers.getSetCookie(),
    ...((await response.json()) as object),
  };
}

/** The one Set-Cookie of an answer, split into its value and attributes (in the order sent). */
function sessionCookieOf(answer: Answer<unknown>): { value: string; attributes: string[] } {
  assert.equal(answer.setCookies.length, 1, `one Set-Cookie: ${JSON.stringify(answer.setCookies)}`);
  const [pair, ...attributes] = answer.setCookies[0].split('; ');
  assert.ok(pair.startsWith(`${COOKIE}=`), pair);
  return { value: pair.slice(COOKIE.length + 1), attributes };
}

/** The Max-Age a session cookie set between `sentAt` and `receivedAt` may carry: what was left of the session then. */
function assertMaxAgeFits(attribute: string, absoluteExpiresAt: Date, sentAt: number, receivedAt: number): void {
  const maxAge = Number(/^Max-Age=(\d+)$/.exec(attribute)?.[1]);
  const end = absoluteExpiresAt.getTime();
  assert.ok(
    maxAge >= Math.floor((end - receivedAt) / 1000) && maxAge <= Math.ceil((end - sentAt) / 1000),
    `${attribute}: the session's remaining lifetime (ends ${absoluteExpiresAt.toISOString()})`,
  );
}

const CLEARED = ['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=0'];

describe('cookie sessions over plain-HTTP development (PUBLIC_URL http://…)', () => {
  const clock = new TestClock();
  let app: TestApp;
  let admin: MfaAdmin;
  let mia: MfaUser;
  const sessionOf = (token: string) =>
    app.database.connection
      .db!.collection<{ absoluteExpiresAt: Date; revokedAt?: Date; scope: string }>('sessions')
      .findOne({ tokenHash: hashToken(token) });
  /** Password sign-in asking for the cookie: the answer and the token the cookie carries. */
  const cookieLogin = async (username: string) => {
    const sentAt = Date.now();
    const answer = await post(app, LOGIN, {
      variables: { input: { username, password: TEST_PASSWORD, cookie: true } },
    });
    const receivedAt = Date.now();
    assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    return { answer, sentAt, receivedAt, ...sessionCookieOf(answer) };
  };
  const meWith = (cookie: string, headers?: Record<string, string>) => post(app, ME, { cookie, headers });

  before(async () => {
    app = await startTestApp({ ...ADMIN_ENV, SESSION_TTL_MINUTES: String(TTL_MINUTES) }, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
    await signUpAndLogIn(app, 'pat');
    mia = await userWithTotp(app, clock, 'mia');
  });
  after(() => app?.stop());

  it('login with cookie: true sets mfa_session (HttpOnly, SameSite=Strict, Path=/, the Max-Age of the session) and no token in the body', async () => {
    const { answer, value, attributes, sentAt, receivedAt } = await cookieLogin('pat');
    assert.equal(answer.status, 200);
    assert.equal(answer.data!.login.accessToken, null, 'no script can read the token');
    assert.equal(answer.data!.login.user?.username, 'pat');
    assert.match(value, /^mfa_at_[A-Za-z0-9_-]+$/);
    assert.deepEqual(attributes.slice(0, 3), ['HttpOnly', 'SameSite=Strict', 'Path=/']);
    assert.equal(attributes.length, 4, `no Secure over plain HTTP: ${attributes.join('; ')}`);
    const session = await sessionOf(value);
    assert.ok(session, 'the cookie holds the session the sign-in issued');
    assertMaxAgeFits(attributes[3], session.absoluteExpiresAt, sentAt, receivedAt);
    const maxAge = Number(attributes[3].slice('Max-Age='.length));
    assert.ok(maxAge <= TTL_MINUTES * 60 && maxAge > 0);
  });

  it('the cookie alone signs GraphQL requests in; without cookie: true the token comes in the body and no cookie', async () => {
    const { value } = await cookieLogin('pat');
    const me = await meWith(value);
    assert.equal(me.data?.me?.username, 'pat', JSON.stringify(me.errors));
    assert.deepEqual(me.setCookies, [], 'a request with a live cookie sets none');

    const plain = await post(app, LOGIN, { variables: { input: { username: 'pat', password: TEST_PASSWORD } } });
    assert.match(plain.data!.login.accessToken!, /^mfa_at_/);
    assert.deepEqual(plain.setCookies, []);
  });

  it('MFA: login with cookie: true sets nothing yet; verifyMfa with its mfaToken sets the cookie', async () => {
    const login = await post(app, LOGIN, {
      variables: { input: { username: 'mia', password: TEST_PASSWORD, cookie: true } },
    });
    assert.equal(login.data?.login.mfaRequired, true, JSON.stringify(login));
    assert.deepEqual(login.setCookies, [], 'no session yet: a password is one factor of two');
    const sentAt = Date.now();
    const verified = await post(app, VERIFY_MFA, {
      variables: {
        input: {
          mfaToken: login.data.login.mfaToken!,
          factorId: mia.totp.factorId,
          code: totpCode(mia.totp.secret, clock),
        },
      },
    });
    const receivedAt = Date.now();
    clock.nextStep();
    assert.equal(verified.errors, undefined, JSON.stringify(verified.errors));
    assert.equal(verified.data!.verifyMfa.accessToken, null);
    const { value, attributes } = sessionCookieOf(verified);
    assert.deepEqual(attributes.slice(0, 3), ['HttpOnly', 'SameSite=Strict', 'Path=/']);
    assertMaxAgeFits(attributes[3], (await sessionOf(value))!.absoluteExpiresAt, sentAt, receivedAt);
    assert.equal((await meWith(value)).data?.me?.username, 'mia');
  });

  it('MFA without cookie: true: verifyMfa answers with the token, even when the request carries a cookie', async () => {
    const { value: patCookie } = await cookieLogin('pat');
    const login = await post(app, LOGIN, { variables: { input: { username: 'mia', password: TEST_PASSWORD } } });
    const verified = await post(app, VERIFY_MFA, {
      cookie: patCookie,
      variables: {
        input: {
          mfaToken: login.data!.login.mfaToken!,
          factorId: mia.totp.factorId,
          code: totpCode(mia.totp.secret, clock),
        },
      },
    });
    clock.nextStep();
    assert.match(verified.data?.verifyMfa.accessToken ?? '', /^mfa_at_/, JSON.stringify(verified.errors));
    assert.deepEqual(verified.setCookies, [], "the sign-in's choice at login decides, not the request");
  });

  it('logout with the cookie ends the session and clears the cookie; with a Bearer token it sets no cookie', async () => {
    const { value } = await cookieLogin('pat');
    const out = await post(app, LOGOUT, { cookie: value });
    assert.equal(out.data?.logout, true, JSON.stringify(out.errors));
    const cleared = sessionCookieOf(out);
    assert.deepEqual(cleared, { value: '', attributes: CLEARED });
    assert.ok((await sessionOf(value))?.revokedAt, 'the session ended');

    const token = await logIn(app, 'pat');
    const bearerOut = await post(app, LOGOUT, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(bearerOut.data?.logout, true);
    assert.deepEqual(bearerOut.setCookies, []);
  });

  it('a cookie naming a dead session (revoked, logged out) gets 401 and the cookie cleared', async () => {
    const { value } = await cookieLogin('pat');
    const other = await logIn(app, 'pat');
    const revoked = await post(app, REVOKE_OTHER_SESSIONS, { headers: { authorization: `Bearer ${other}` } });
    assert.ok((revoked.data?.revokeOtherSessions ?? 0) >= 1, JSON.stringify(revoked.errors));

    const me = await meWith(value);
    assert.equal(me.status, 401);
    assert.equal(errorCode(me), 'UNAUTHENTICATED');
    assert.equal(me.data ?? null, null, 'the request is not run anonymously');
    assert.deepEqual(sessionCookieOf(me), { value: '', attributes: CLEARED });
  });

  it('a malformed cookie, two of them, or an API key as the cookie: 401 and cleared, never a viewer', async () => {
    const { value } = await cookieLogin('pat');
    const token = await logIn(app, 'pat');
    const key = await post(app, CREATE_API_KEY, {
      headers: { authorization: `Bearer ${token}` },
      variables: { input: { name: 'cookie-test' } },
    });
    const secret = key.data!.createApiKey.secret;
    for (const cookie of [
      `${COOKIE}=${value}; ${COOKIE}=${value}`,
      `${COOKIE}=${value}%00`,
      `${COOKIE}=${secret}`,
      `${COOKIE}=mfa_at_${'x'.repeat(43)}`,
    ]) {
      const me = await post(app, ME, { headers: { cookie } });
      assert.equal(me.status, 401, cookie.replace(value, '<token>'));
      assert.equal(me.data ?? null, null);
      assert.deepEqual(sessionCookieOf(me), { value: '', attributes: CLEARED });
    }
  });

  it('an Authorization header wins over the cookie: its user, its refusal, and the cookie is left alone', async () => {
    const { value } = await cookieLogin('pat');
    await post(app, SIGN_UP, { variables: { input: { username: 'quinn', password: TEST_PASSWORD } } });
    const quinn = await logIn(app, 'quinn');

    const asQuinn = await meWith(value, { authorization: `Bearer ${quinn}` });
    assert.equal(asQuinn.data?.me?.username, 'quinn');

    const malformed = await meWith(value, { authorization: 'Basic cGF0OnBhc3M=' });
    assert.equal(malformed.status, 401, 'a malformed header is not overruled by the cookie');
    assert.deepEqual(malformed.setCookies, [], 'the cookie was not what failed');

    const dead = await post(app, LOGOUT, { headers: { authorization: `Bearer ${quinn}` } });
    assert.equal(dead.data?.logout, true);
    const deadHeader = await meWith(value, { authorization: `Bearer ${quinn}` });
    assert.equal(deadHeader.status, 401);
    assert.deepEqual(deadHeader.setCookies, []);
    assert.equal((await meWith(value)).data?.me?.username, 'pat', 'the cookie session stands');
  });

  it('CSRF: a form post, a text/plain post and a GET carrying the cookie cannot run a mutation', async () => {
    const { value } = await cookieLogin('pat');
    const cookie = `${COOKIE}=${value}`;
    const mutation = 'mutation { logout }';
    const form = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: mutation }).toString(),
    });
    const text = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'text/plain' },
      body: JSON.stringify({ query: mutation }),
    });
    const simpleGet = await fetch(`${app.url}/graphql?query=${encodeURIComponent(mutation)}`, { headers: { cookie } });
    // A GET that passes CSRF prevention (a preflighted header) still may not run a mutation.
    const preflightedGet = await fetch(`${app.url}/graphql?query=${encodeURIComponent(mutation)}`, {
      headers: { cookie, 'apollo-require-preflight': 'true' },
    });
    for (const [what, response] of Object.entries({ form, text, simpleGet, preflightedGet })) {
      assert.ok(response.status >= 400 && response.status < 500, `${what}: ${response.status}`);
      assert.doesNotMatch(await response.text(), /"logout":true/, what);
    }
    const session = await sessionOf(value);
    assert.equal(session?.revokedAt, undefined, 'no logout ran');
    assert.equal((await meWith(value)).data?.me?.username, 'pat');
  });

  it('enrollment-scoped: login with cookie: true sets it; skipEnrollment replaces it, living until the deadline', async () => {
    const { id } = await signUpAndLogIn(app, 'eve');
    await setPolicy(app, admin, { enrollmentGraceDays: 7 });
    await admin.stepUp();
    const set = await post(app, SET_STATUS, {
      headers: { authorization: `Bearer ${admin.token}` },
      variables: { input: { userId: id, status: 'ENABLED' } },
    });
    assert.equal(set.data?.setMfaPolicyStatus.mfaPolicyStatus, 'ENABLED', JSON.stringify(set.errors));
    // An hour of grace left: the session skipEnrollment gives ends then, well before SESSION_TTL_MINUTES.
    clock.advance(7 * DAY_MS - HOUR_MS);

    const login = await post(app, LOGIN_WITH_GRACE, {
      variables: { input: { username: 'eve', password: TEST_PASSWORD, cookie: true } },
    });
    assert.equal(login.data?.login.enrollmentRequired, true, JSON.stringify(login));
    assert.equal(login.data.login.accessToken, null);
    const enrolling = sessionCookieOf(login);
    assert.equal((await sessionOf(enrolling.value))?.scope, 'ENROLLMENT');

    const sentAt = Date.now();
    const skipped = await post(app, SKIP_ENROLLMENT, { cookie: enrolling.value });
    const receivedAt = Date.now();
    assert.equal(skipped.errors, undefined, JSON.stringify(skipped.errors));
    assert.equal(skipped.data!.skipEnrollment.accessToken, null, 'the replacement comes as the cookie too');
    const full = sessionCookieOf(skipped);
    assert.notEqual(full.value, enrolling.value);
    const session = await sessionOf(full.value);
    assert.equal(session?.scope, 'FULL');
    assertMaxAgeFits(full.attributes[3], session.absoluteExpiresAt, sentAt, receivedAt);
    assert.ok(Number(full.attributes[3].slice('Max-Age='.length)) <= HOUR_MS / 1000, 'no longer than the grace');
    assert.equal((await meWith(full.value)).data?.me?.username, 'eve');
    assert.equal((await meWith(enrolling.value)).status, 401, 'the enrollment session was spent');
    await setPolicy(app, admin, { enrollmentGraceDays: 0 });
  });

  it('never logs the cookie or the token it carries', async () => {
    const { value } = await cookieLogin('pat');
    await meWith(value);
    await post(app, LOGOUT, { cookie: value });
    await meWith(value);
    assert.ok(app.logLines.length > 0, 'the app logs at debug level');
    assert.ok(!app.logLines.some((line) => line.includes(value)), 'the token is in no log line');
    assert.ok(!app.logLines.some((line) => line.includes(`${COOKIE}=`)), 'no Cookie header is logged');
  });
});

describe('cookie sessions behind HTTPS (PUBLIC_URL https://…): Secure', () => {
  let app: TestApp;

  before(async () => {
    app = await startTestApp(PASSKEY_ENV);
  });
  after(() => app?.stop());

  it('login and passkeySignIn with cookie: true set a Secure cookie; logout clears it with the same attributes', async () => {
    const { token } = await signUpAndLogIn(app, 'sam');
    const login = await post(app, LOGIN, {
      variables: { input: { username: 'sam', password: TEST_PASSWORD, cookie: true } },
    });
    const cookie = sessionCookieOf(login);
    assert.deepEqual(cookie.attributes.slice(0, 3), ['HttpOnly', 'SameSite=Strict', 'Path=/']);
    assert.match(cookie.attributes[3], /^Max-Age=\d+$/);
    assert.equal(cookie.attributes[4], 'Secure');
    assert.equal(cookie.attributes.length, 5);

    const out = await post(app, LOGOUT, { cookie: cookie.value });
    assert.deepEqual(sessionCookieOf(out), { value: '', attributes: [...CLEARED, 'Secure'] });

    const { passkey } = await enrollPasskey(app, token);
    const { challengeId, options } = await beginPasskeySignIn(app);
    const signedIn = await post(app, PASSKEY_SIGN_IN, {
      variables: { input: { challengeId, response: passkey.get(options, { origin: PASSKEY_ORIGIN }), cookie: true } },
    });
    assert.equal(signedIn.errors, undefined, JSON.stringify(signedIn.errors));
    assert.equal(signedIn.data!.passkeySignIn.accessToken, null);
    const passkeyCookie = sessionCookieOf(signedIn);
    assert.equal(passkeyCookie.attributes.at(-1), 'Secure');
    const me = await post(app, ME, { cookie: passkeyCookie.value });
    assert.equal(me.data?.me?.username, 'sam');
  });
});
