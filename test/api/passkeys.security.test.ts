import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { Types } from 'mongoose';
import { hashToken } from '../../src/crypto/opaque-token.js';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  BeginMfaDocument as BEGIN_MFA,
  BeginPasskeySignInDocument,
  CreateApiKeyDocument as CREATE_API_KEY,
  DeactivateUserDocument as DEACTIVATE_USER,
  LoginWithGraceDocument as LOGIN_WITH_GRACE,
  PasskeySignInDocument as PASSKEY_SIGN_IN,
  RequireUserPasswordResetDocument as REQUIRE_PASSWORD_RESET,
  SetMfaPolicyDocument as SET_MFA_POLICY,
  SetMfaPolicyStatusDocument as SET_MFA_POLICY_STATUS,
  SkipEnrollmentDocument as SKIP_ENROLLMENT,
  StepUpDocument as STEP_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { auditCount, failuresOf, retryAfter, storedFactors, tally } from '../support/attacker.js';
import { TestClock, enrollTotp, mfaToken } from '../support/mfa.js';
import {
  PASSKEY_ENV,
  PASSKEY_ORIGIN,
  acceptPasskey,
  assertionFor,
  beginMfa,
  beginPasskeySignIn,
  enablePasskey,
  enrollPasskey,
  type CreationOptions,
  type EnrolledPasskey,
} from '../support/passkeys.js';
import { enableMfaDocumentFor } from '../support/factor-probe.js';
import { SoftwarePasskey, type GetKnobs } from '../support/software-passkey.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const PARALLEL = 20;
const CEREMONY_TTL_MS = 5 * 60_000;
/** plugins/webauthn's RESPONSE_MAX_BYTES: no assertion or "none" attestation comes near it. */
const RESPONSE_MAX_BYTES = 16 * 1024;

interface PasskeyUser extends EnrolledPasskey {
  id: string;
  username: string;
  /** A full session, its second-factor proof fresh (accepting the passkey counts as one). */
  token: string;
}

/** Attacks on passkeys over the GraphQL API: the server must refuse them whatever a (malicious) client sends. */
describe('passkeys under attack', () => {
  const clock = new TestClock();
  let app: TestApp;
  let users = 0;

  let admin: MfaAdmin | undefined;
  /** The bootstrap admin, with an authenticator app (enrolled once, on first use). */
  const theAdmin = async () => (admin ??= await adminWithMfa(app, clock));
  const newUser = async (knobs: Parameters<typeof enrollPasskey>[2] = {}): Promise<PasskeyUser> => {
    const username = `user${++users}`;
    const { id, token } = await signUpAndLogIn(app, username);
    return { id, username, token, ...(await enrollPasskey(app, token, knobs)) };
  };
  const verify = (mfa: string, factorId: string | undefined, response: unknown) =>
    app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: mfa, ...(factorId ? { factorId } : {}), response } } });
  const stepUp = (token: string, factorId: string, response: unknown) =>
    app.graphql(STEP_UP, { token, variables: { input: { factorId, response } } });
  const passkeySignIn = (challengeId: string, response: unknown) =>
    app.graphql(PASSKEY_SIGN_IN, { variables: { input: { challengeId, response } } });
  /** A sign-in's mfaToken and an assertion for its beginMfa (the browser's knobs may make it a bad one). */
  const signInAttempt = async (user: PasskeyUser, knobs: Partial<GetKnobs> = {}) => {
    const token = await mfaToken(app, user.username);
    const response = await assertionFor(
      app,
      user.passkey,
      { mfaToken: token, factorId: user.factorId },
      undefined,
      knobs,
    );
    return { token, response };
  };
  const signIn = async (user: PasskeyUser) => {
    const { token, response } = await signInAttempt(user);
    const verified = await verify(token, user.factorId, response);
    assert.ok(verified.data?.verifyMfa.accessToken, JSON.stringify(verified.errors));
    return verified.data.verifyMfa.accessToken;
  };
  const passwordlessResponse = async (passkey: SoftwarePasskey, knobs: Partial<GetKnobs> = {}) => {
    const { challengeId, options } = await beginPasskeySignIn(app);
    return { challengeId, response: passkey.get(options, { origin: PASSKEY_ORIGIN, ...knobs }) };
  };
  const storedCounter = async (user: PasskeyUser) =>
    (
      (await storedFactors(app, user.id)).find((factor) => factor._id.toHexString() === user.factorId)!.state as {
        counter: number;
      }
    ).counter;
  const assertRefused = (response: GraphQLResponse<unknown>, what: string) =>
    assert.equal(errorCode(response), 'INVALID_CODE', `${what}: ${JSON.stringify(response)}`);

  before(async () => {
    app = await startTestApp({ ...PASSKEY_ENV, ...ADMIN_ENV }, { clock: clock.now });
  });
  after(() => app.stop());

  it('a replayed assertion is refused: the same response twice, on a new sign-in, and after a fresh beginMfa', async () => {
    const ann = await newUser();
    const { token, response } = await signInAttempt(ann);
    assert.ok((await verify(token, ann.factorId, response)).data?.verifyMfa.accessToken);
    assert.equal(errorCode(await verify(token, ann.factorId, response)), 'TOKEN_EXPIRED', 'its mfaToken is spent');

    const second = await mfaToken(app, ann.username);
    assertRefused(await verify(second, ann.factorId, response), 'replayed on a new sign-in, nothing begun');
    await beginMfa(app, { mfaToken: second, factorId: ann.factorId });
    assertRefused(await verify(second, ann.factorId, response), 'replayed after a fresh beginMfa');
    assert.equal(await failuresOf(app, ann.id), 2, 'every replay counts toward the lockout');

    const stepUpResponse = await assertionFor(app, ann.passkey, { factorId: ann.factorId }, ann.token);
    assert.equal((await stepUp(ann.token, ann.factorId, stepUpResponse)).data?.stepUp, true);
    assertRefused(await stepUp(ann.token, ann.factorId, stepUpResponse), 'a step-up replayed');
    await beginMfa(app, { factorId: ann.factorId }, ann.token);
    assertRefused(await stepUp(ann.token, ann.factorId, stepUpResponse), 'a step-up replayed after a fresh beginMfa');
    assert.equal(await failuresOf(app, ann.id), 2, 'the step-up cleared the count; its two replays are on it');
    assert.equal(await auditCount(app, ann.id, 'mfa.verification_failed'), 4);
  });

  it('a registration challenge or response never signs in, and an assertion never registers', async () => {
    const bea = await newUser();
    // Another passkey being added: its registration challenge is live while the attacker tries it.
    const pending = await enablePasskey(app, bea.token);
    const token = await mfaToken(app, bea.username);
    const { options } = await beginMfa(app, { mfaToken: token, factorId: bea.factorId });
    const overRegistration = bea.passkey.get(
      { ...options!, challenge: pending.creationOptions.challenge },
      { origin: PASSKEY_ORIGIN },
    );
    assertRefused(await verify(token, bea.factorId, overRegistration), 'an assertion over the registration challenge');
    const registration = new SoftwarePasskey().create(pending.creationOptions, { origin: PASSKEY_ORIGIN });
    assertRefused(await verify(token, bea.factorId, registration), 'a registration response at sign-in');
    const { challengeId } = await beginPasskeySignIn(app);
    assertRefused(await passkeySignIn(challengeId, overRegistration), 'passwordless, over the registration challenge');
    assertRefused(await passkeySignIn(challengeId, registration), 'passwordless, a registration response');

    const asRegistration = bea.passkey.get(
      { challenge: pending.creationOptions.challenge, rpId: pending.creationOptions.rp.id },
      { origin: PASSKEY_ORIGIN },
    );
    assertRefused(await acceptPasskey(app, bea.token, pending.token, asRegistration), 'an assertion at acceptMfa');
    assert.equal(
      (await storedFactors(app, bea.id)).filter((factor) => factor.status === 'ACTIVE').length,
      1,
      'nothing was registered',
    );
  });

  it("user A's assertion never serves user B's sign-in or session, and a ceremony is bound to where it was begun", async () => {
    const [cat, dan] = [await newUser(), await newUser()];
    const catToken = await mfaToken(app, cat.username);
    const catResponse = await assertionFor(app, cat.passkey, { mfaToken: catToken, factorId: cat.factorId });

    const danToken = await mfaToken(app, dan.username);
    assert.equal(
      errorCode(await verify(danToken, cat.factorId, catResponse)),
      'NOT_FOUND',
      "A's factor on B's mfaToken",
    );
    await beginMfa(app, { mfaToken: danToken, factorId: dan.factorId });
    assertRefused(await verify(danToken, dan.factorId, catResponse), "A's assertion for B's factor on B's mfaToken");
    assert.equal(
      errorCode(await stepUp(dan.token, cat.factorId, catResponse)),
      'NOT_FOUND',
      "A's factor in B's session",
    );
    assertRefused(await stepUp(dan.token, dan.factorId, catResponse), "A's assertion in B's session");
    assertRefused(
      await stepUp(cat.token, cat.factorId, catResponse),
      "A's own session, with the ceremony begun for A's sign-in",
    );

    const { challengeId } = await beginPasskeySignIn(app);
    assertRefused(await passkeySignIn(challengeId, catResponse), "A's sign-in assertion at passwordless sign-in");
    const { response: passwordlessResponseOfCat } = await passwordlessResponse(cat.passkey);
    assertRefused(
      await verify(catToken, cat.factorId, passwordlessResponseOfCat),
      'an assertion for a passwordless challenge at sign-in',
    );

    const signedIn = await verify(catToken, cat.factorId, catResponse);
    assert.ok(signedIn.data?.verifyMfa.accessToken, `A's sign-in still finishes: ${JSON.stringify(signedIn.errors)}`);
    assert.equal(await failuresOf(app, dan.id), 2, "B's failures count against B");
    assert.equal(await failuresOf(app, cat.id), 0, "A's success cleared the count of A's refused attempts");
    assert.equal(await auditCount(app, cat.id, 'mfa.verification_failed'), 3);
  });

  it("an assertion from one sign-in's beginMfa is refused on another sign-in's mfaToken", async () => {
    const eve = await newUser();
    const [first, second] = [await mfaToken(app, eve.username), await mfaToken(app, eve.username)];
    const response = await assertionFor(app, eve.passkey, { mfaToken: first, factorId: eve.factorId });
    assertRefused(await verify(second, eve.factorId, response), 'on a sign-in that began nothing');
    await beginMfa(app, { mfaToken: second, factorId: eve.factorId });
    assertRefused(await verify(second, eve.factorId, response), 'on a sign-in that began its own');
    assert.ok((await verify(first, eve.factorId, response)).data?.verifyMfa.accessToken, 'its own sign-in takes it');
  });

  it('refuses a wrong origin or RP ID at sign-in, passwordless sign-in and registration', async () => {
    const fay = await newUser();
    const wrong: Array<[string, Partial<GetKnobs>]> = [
      ['another site', { origin: 'https://evil.test' }],
      ['plain http', { origin: 'http://auth.example.test' }],
      ['another port', { origin: 'https://auth.example.test:8443' }],
      ['a look-alike subdomain', { origin: 'https://auth.example.test.evil.test' }],
      ['the parent domain as RP ID', { rpId: 'example.test' }],
      ['another RP ID', { rpId: 'evil.test' }],
    ];
    for (const [what, knobs] of wrong) {
      const token = await mfaToken(app, fay.username);
      const { options } = await beginMfa(app, { mfaToken: token, factorId: fay.factorId });
      assertRefused(
        await verify(token, fay.factorId, fay.passkey.get(options!, { origin: PASSKEY_ORIGIN, ...knobs })),
        what,
      );
      const { challengeId, response } = await passwordlessResponse(fay.passkey, knobs);
      assertRefused(await passkeySignIn(challengeId, response), `passwordless, ${what}`);
      // The ceremony survives a refused response: the real browser's answer still finishes the sign-in (and clears the count).
      const right = await verify(token, fay.factorId, fay.passkey.get(options!, { origin: PASSKEY_ORIGIN }));
      assert.ok(right.data?.verifyMfa.accessToken, `${what}: ${JSON.stringify(right.errors)}`);
    }
    for (const [what, knobs] of wrong) {
      const pending = await enablePasskey(app, fay.token);
      const response = new SoftwarePasskey().create(pending.creationOptions, {
        origin: PASSKEY_ORIGIN,
        ...knobs,
      });
      assertRefused(await acceptPasskey(app, fay.token, pending.token, response), `registration, ${what}`);
    }
  });

  it('a cloned authenticator is refused when its counter goes back or stays, and the audit trail says why', async () => {
    const gus = await newUser({ counter: 10 });
    const clone = gus.passkey.clone();
    await signIn(gus); // the genuine key moves on to 11
    assert.equal(await storedCounter(gus), 11);

    const cloned = { ...gus, passkey: clone };
    const equal = await signInAttempt(cloned); // the clone also says 11
    assertRefused(await verify(equal.token, gus.factorId, equal.response), 'a counter that stays');
    const behind = await signInAttempt(gus, { counter: 5 });
    assertRefused(await verify(behind.token, gus.factorId, behind.response), 'a counter that goes back');
    const passwordless = await passwordlessResponse(gus.passkey, { counter: 11 });
    assertRefused(
      await passkeySignIn(passwordless.challengeId, passwordless.response),
      'passwordless, a counter that stays',
    );
    assert.equal(await storedCounter(gus), 11, 'a refused counter is not stored');
    assert.equal(await auditCount(app, gus.id, 'mfa.verification_failed'), 3);
    const failures = await app.database.connection
      .db!.collection('auditEvents')
      .find({ type: 'mfa.verification_failed', userId: new Types.ObjectId(gus.id) })
      .toArray();
    assert.deepEqual(
      failures.map((event) => {
        const details = event.details as Record<string, unknown>;
        return [details.purpose, details];
      }),
      ['sign-in', 'sign-in', 'passwordless'].map((purpose) => [
        purpose,
        {
          purpose,
          factorId: gus.factorId,
          factorType: 'webauthn',
          assurance: 'phishing-resistant',
          reason: 'counter_not_increasing',
        },
      ]),
    );
  });

  it(`${PARALLEL} parallel verifyMfa with one assertion open exactly one session`, async () => {
    const hal = await newUser();
    const { token, response } = await signInAttempt(hal);
    const responses = await Promise.all(Array.from({ length: PARALLEL }, () => verify(token, hal.factorId, response)));
    const sessions = responses.filter((answer) => answer.data?.verifyMfa.accessToken);
    assert.equal(sessions.length, 1, JSON.stringify(tally(responses)));
    for (const code of Object.keys(tally(responses)))
      assert.ok(
        ['OK', 'INVALID_CODE', 'TOO_MANY_ATTEMPTS', 'TOKEN_EXPIRED'].includes(code),
        JSON.stringify(tally(responses)),
      );
    assert.equal(await auditCount(app, hal.id, 'mfa.verification_succeeded'), 1);
    assert.equal(
      await auditCount(app, hal.id, 'sign_in.succeeded'),
      2,
      'the password sign-in at sign-up, and this one',
    );
  });

  it('two beginMfa at once leave one live challenge, as a begin replaces the one before', async () => {
    const ned = await newUser();
    for (let round = 0; round < 3; round++) {
      const begun = await Promise.all(
        [0, 1].map(async () => (await beginMfa(app, { factorId: ned.factorId }, ned.token)).options!),
      );
      const answers = [];
      for (const options of begun)
        answers.push(await stepUp(ned.token, ned.factorId, ned.passkey.get(options, { origin: PASSKEY_ORIGIN })));
      assert.equal(
        answers.filter((answer) => answer.data?.stepUp).length,
        1,
        `round ${round}: ${JSON.stringify(tally(answers))}`,
      );
    }
  });

  it(`${PARALLEL} parallel passkeySignIn with one assertion open exactly one session`, async () => {
    const ida = await newUser();
    const { challengeId, response } = await passwordlessResponse(ida.passkey);
    const responses = await Promise.all(Array.from({ length: PARALLEL }, () => passkeySignIn(challengeId, response)));
    const sessions = responses.filter((answer) => answer.data?.passkeySignIn.accessToken);
    assert.equal(sessions.length, 1, JSON.stringify(tally(responses)));
    for (const code of Object.keys(tally(responses)))
      assert.ok(
        ['OK', 'INVALID_CODE', 'TOO_MANY_ATTEMPTS', 'TOKEN_EXPIRED'].includes(code),
        JSON.stringify(tally(responses)),
      );
    assert.equal(errorCode(await passkeySignIn(challengeId, response)), 'TOKEN_EXPIRED', 'the challenge is spent');
  });

  it('every kind of failure counts toward the lockout; the fifth locks sign-in, step-up and passkey sign-in', async () => {
    const jo = await newUser();
    const remaining: unknown[] = [];
    const record = (response: GraphQLResponse<unknown>, what: string) => {
      assertRefused(response, what);
      remaining.push(response.errors![0].extensions?.attemptsRemaining);
    };
    const tampered = await signInAttempt(jo, { tamperSignature: true });
    record(await verify(tampered.token, jo.factorId, tampered.response), 'a tampered signature');
    record(await verify(tampered.token, jo.factorId, { id: 'AAAA', rawId: 'AAAA' }), 'a malformed response');
    const unverified = await assertionFor(app, jo.passkey, { factorId: jo.factorId }, jo.token, {
      origin: 'https://evil.test',
    });
    record(await stepUp(jo.token, jo.factorId, unverified), 'a step-up from another site');
    assert.deepEqual(remaining, [4, 3, 2]);
    const noPresence = await passwordlessResponse(jo.passkey, { userVerified: false });
    const unverifiedSignIn = await passkeySignIn(noPresence.challengeId, noPresence.response);
    assertRefused(unverifiedSignIn, 'passwordless without user verification');
    assert.equal(
      unverifiedSignIn.errors![0].extensions?.attemptsRemaining,
      undefined,
      'passwordless refusals name no account: they say nothing of the attempts left',
    );
    assert.equal(await failuresOf(app, jo.id), 4, 'but they count');
    const fifth = await passwordlessResponse(jo.passkey, { tamperSignature: true });
    const locking = await passkeySignIn(fifth.challengeId, fifth.response);
    assertRefused(locking, 'the fifth');
    assert.equal(await auditCount(app, jo.id, 'mfa.locked_out'), 1);

    const assertLocked = (response: GraphQLResponse<unknown>, what: string) => {
      assert.equal(errorCode(response), 'TOO_MANY_ATTEMPTS', `${what}: ${JSON.stringify(response)}`);
      const seconds = retryAfter(response) as number;
      assert.ok(Number.isInteger(seconds) && seconds > 50 && seconds <= 60, `${what}: retryAfterSeconds ${seconds}`);
    };
    const valid = await signInAttempt(jo);
    assertLocked(await verify(valid.token, jo.factorId, valid.response), 'a valid assertion at sign-in');
    const validStepUp = await assertionFor(app, jo.passkey, { factorId: jo.factorId }, jo.token);
    assertLocked(await stepUp(jo.token, jo.factorId, validStepUp), 'a valid step-up');
    const validPasswordless = await passwordlessResponse(jo.passkey);
    assertLocked(
      await passkeySignIn(validPasswordless.challengeId, validPasswordless.response),
      'a valid passkey sign-in',
    );

    clock.advance(61_000);
    const afterLockout = await passkeySignIn(validPasswordless.challengeId, validPasswordless.response);
    assert.ok(afterLockout.data?.passkeySignIn.accessToken, `the lockout ends: ${JSON.stringify(afterLockout.errors)}`);
  });

  it("a deactivated user's passkey, or one whose password reset an admin demanded, is refused like an unknown one", async () => {
    const admin = await theAdmin();
    const [kim, lou] = [await newUser(), await newUser()];
    const signedInBefore = await auditCount(app, kim.id, 'sign_in.succeeded');
    const provenBefore = await auditCount(app, kim.id, 'mfa.verification_succeeded');
    await admin.stepUp();
    const deactivated = await app.graphql(DEACTIVATE_USER, {
      token: admin.token,
      variables: { input: { userId: kim.id } },
    });
    assert.equal(deactivated.data?.deactivateUser.active, false, JSON.stringify(deactivated.errors));
    const resetDemanded = await app.graphql(REQUIRE_PASSWORD_RESET, {
      token: admin.token,
      variables: { input: { userId: lou.id } },
    });
    assert.equal(resetDemanded.errors, undefined, JSON.stringify(resetDemanded.errors));

    const kims = await passwordlessResponse(kim.passkey);
    const refusedKim = await passkeySignIn(kims.challengeId, kims.response);
    const lous = await passwordlessResponse(lou.passkey);
    const refusedLou = await passkeySignIn(lous.challengeId, lous.response);
    const stranger = new SoftwarePasskey();
    const { challengeId, options } = await beginPasskeySignIn(app);
    // A key made for this site that was never registered here.
    stranger.create(
      {
        rp: { id: new URL(PASSKEY_ORIGIN).hostname, name: 'mfa-graphql' },
        user: { id: 'c3RyYW5nZXI', name: 'stranger', displayName: 'stranger' },
        challenge: 'c3RyYW5nZXI',
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      },
      { origin: PASSKEY_ORIGIN },
    );
    const refusedStranger = await passkeySignIn(challengeId, stranger.get(options, { origin: PASSKEY_ORIGIN }));
    assertRefused(refusedKim, 'deactivated');
    assertRefused(refusedStranger, 'unknown credential');
    assertRefused(refusedLou, 'password reset demanded');
    for (const refused of [refusedKim, refusedLou]) {
      assert.deepEqual(refused.errors![0].extensions, refusedStranger.errors![0].extensions);
      assert.equal(refused.errors![0].message, refusedStranger.errors![0].message);
      assert.equal(refused.data, refusedStranger.data);
    }
    assert.equal(await auditCount(app, kim.id, 'sign_in.failed'), 1, 'the refusal is audited for the account');
    assert.equal(await auditCount(app, kim.id, 'sign_in.succeeded'), signedInBefore);
    assert.equal(
      await auditCount(app, kim.id, 'mfa.verification_succeeded'),
      provenBefore,
      "a shut account's passkey is refused before it is checked: no success, no failure count cleared",
    );
  });

  it('MfaPolicy.passkeySignIn false turns passwordless sign-in off; passkeys still serve as a second factor', async () => {
    const admin = await theAdmin();
    const user = await newUser();
    await admin.stepUp();
    const off = await app.graphql(SET_MFA_POLICY, {
      token: admin.token,
      variables: { input: { passkeySignIn: false } },
    });
    assert.equal(off.data?.setMfaPolicy.passkeySignIn, false, JSON.stringify(off.errors));
    try {
      assert.equal(errorCode(await app.graphql(BeginPasskeySignInDocument)), 'FACTOR_TYPE_NOT_ALLOWED');
      assert.ok(await signIn(user), 'a passkey as second factor');
    } finally {
      await admin.stepUp();
      const on = await app.graphql(SET_MFA_POLICY, {
        token: admin.token,
        variables: { input: { passkeySignIn: true } },
      });
      assert.equal(on.data?.setMfaPolicy.passkeySignIn, true, JSON.stringify(on.errors));
    }
    const { challengeId, response } = await passwordlessResponse(user.passkey);
    assert.ok((await passkeySignIn(challengeId, response)).data?.passkeySignIn.accessToken, 'on again');
  });

  it('an admin cannot enroll a passkey for someone else, which would sign in as them without their password', async () => {
    const admin = await theAdmin();
    const uma = await newUser();
    await admin.stepUp();
    const enabled = await app.graphql(await enableMfaDocumentFor(app, 'WebAuthnEnrollment'), {
      token: admin.token,
      variables: { input: { factorType: 'webauthn', userId: uma.id } },
    });
    if (enabled.data) {
      // Had it been allowed: the admin's own authenticator would hold a discoverable credential of uma's.
      const adminsKey = new SoftwarePasskey();
      const response = adminsKey.create(enabled.data.enableMfa.details!.creationOptions as CreationOptions, {
        origin: PASSKEY_ORIGIN,
      });
      await acceptPasskey(app, admin.token, enabled.data.enableMfa.token, response);
      const { challengeId, options } = await beginPasskeySignIn(app);
      const takeover = await passkeySignIn(challengeId, adminsKey.get(options, { origin: PASSKEY_ORIGIN }));
      assert.fail(`enableMfa for another user's passkey was allowed; passkeySignIn then: ${JSON.stringify(takeover)}`);
    }
    assert.equal(errorCode(enabled), 'FORBIDDEN', JSON.stringify(enabled.errors));
    assert.equal((await storedFactors(app, uma.id)).length, 1, 'only her own passkey');
  });

  it('an unknown credential, or a response naming another credential, is refused', async () => {
    const lea = await newUser();
    const other = await newUser();
    const { token, response } = await signInAttempt(lea, { credentialId: other.passkey.credentialId });
    assertRefused(await verify(token, lea.factorId, response), "a response naming another user's credential");
    const named = await passwordlessResponse(lea.passkey, { credentialId: other.passkey.credentialId });
    assertRefused(await passkeySignIn(named.challengeId, named.response), "passwordless: lea's key under another id");
    const unknownId = await passwordlessResponse(lea.passkey, {
      credentialId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    const refused = await passkeySignIn(unknownId.challengeId, unknownId.response);
    assertRefused(refused, 'an unknown credential id');
    assert.equal(
      refused.errors![0].extensions?.attemptsRemaining,
      undefined,
      'no account is named, so none is counted',
    );
  });

  it('malformed responses of every shape are refused cleanly, never a 500', async () => {
    const max = await newUser();
    const token = await mfaToken(app, max.username);
    await beginMfa(app, { mfaToken: token, factorId: max.factorId });
    const shapes: Array<[string, unknown]> = [
      ['a string', 'not a credential'],
      ['a number', 42],
      ['true', true],
      ['an array', [1, 2, 3]],
      ['deep JSON within the size limit', JSON.parse('['.repeat(4_000) + ']'.repeat(4_000))],
      ['an empty object', {}],
      ['a credential with nothing in it', { id: 'AA', rawId: 'AA', type: 'public-key', response: {} }],
      ['wrong types inside', { id: 1, rawId: [], type: {}, response: 'x' }],
    ];
    // A successful proof between every few failures keeps the lockout out of the way of what is being tested.
    for (const [index, [what, response]] of shapes.entries()) {
      if (index % 4 === 3) await signIn(max);
      const answered = await verify(token, max.factorId, response);
      assert.equal(answered.status, 200);
      assertRefused(answered, `verifyMfa, ${what}`);
      const { challengeId } = await beginPasskeySignIn(app);
      assertRefused(await passkeySignIn(challengeId, response), `passkeySignIn, ${what}`);
    }
    await signIn(max);

    const huge = { id: 'AA', rawId: 'AA', type: 'public-key', padding: 'A'.repeat(RESPONSE_MAX_BYTES) };
    const before = await failuresOf(app, max.id);
    const fresh = await mfaToken(app, max.username);
    const tooLarge = async (response: unknown, what: string) => {
      const answers = [
        await verify(fresh, max.factorId, response),
        await stepUp(max.token, max.factorId, response),
        await passkeySignIn((await beginPasskeySignIn(app)).challengeId, response),
        await acceptPasskey(app, max.token, (await enablePasskey(app, max.token)).token, response),
      ];
      for (const answer of answers) {
        assert.equal(answer.status, 200, `${what}: ${JSON.stringify(answer)}`);
        assert.equal(errorCode(answer), 'BAD_USER_INPUT', `${what}: ${JSON.stringify(answer.errors)}`);
      }
    };
    await tooLarge(huge, 'huge JSON');
    // Nested deeper than JSON.stringify can go (in this process, or the server's): such bodies are written by hand,
    // with the response in place of the "DEEP" placeholder. 10 000 levels are 20 KB; 40 000 are within the body limit.
    const rawBody = (document: Parameters<typeof print>[0], variables: Record<string, unknown>, depth: number) =>
      JSON.stringify({ query: print(document), variables }).replace('"DEEP"', '['.repeat(depth) + ']'.repeat(depth));
    const sendRaw = async (body: string, token?: string) => {
      const answer = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body,
      });
      return { status: answer.status, ...((await answer.json()) as object) } as GraphQLResponse<unknown>;
    };
    for (const depth of [10_000, 40_000]) {
      const pending = await enablePasskey(app, max.token);
      for (const answer of [
        await sendRaw(
          rawBody(VERIFY_MFA, { input: { mfaToken: fresh, factorId: max.factorId, response: 'DEEP' } }, depth),
        ),
        await sendRaw(rawBody(STEP_UP, { input: { factorId: max.factorId, response: 'DEEP' } }, depth), max.token),
        await sendRaw(
          rawBody(
            PASSKEY_SIGN_IN,
            { input: { challengeId: (await beginPasskeySignIn(app)).challengeId, response: 'DEEP' } },
            depth,
          ),
        ),
        await sendRaw(rawBody(ACCEPT_MFA, { input: { token: pending.token, response: 'DEEP' } }, depth), max.token),
      ]) {
        assert.equal(answer.status, 200, `${depth} levels: ${JSON.stringify(answer).slice(0, 500)}`);
        assert.equal(errorCode(answer), 'BAD_USER_INPUT', `${depth} levels: ${JSON.stringify(answer.errors)}`);
      }
    }
    assert.equal(await failuresOf(app, max.id), before, 'input too large to be a response counts as no attempt');

    const both = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: fresh, factorId: max.factorId, code: '123456', response: {} } },
    });
    assert.equal(errorCode(both), 'BAD_USER_INPUT', 'a code and a response at once');
    const noResponse = await verify(fresh, max.factorId, null);
    assert.equal(errorCode(noResponse), 'BAD_USER_INPUT', 'null is no response at all');
    const nullAccept = await acceptPasskey(app, max.token, (await enablePasskey(app, max.token)).token, null);
    assert.equal(errorCode(nullAccept), 'BAD_USER_INPUT', 'acceptMfa with neither a code nor a response');
    const nullSignIn = await passkeySignIn((await beginPasskeySignIn(app)).challengeId, null);
    assert.equal(nullSignIn.status < 500, true);
    assert.equal(errorCode(nullSignIn), 'BAD_USER_INPUT', JSON.stringify(nullSignIn));
    assert.doesNotMatch(app.logLines.join(''), /"level":50.*(RangeError|Maximum call stack)/);
  });

  it('a credential id registered to A is refused for B, one at a time or racing', async () => {
    const [nia, oli] = [await newUser(), await newUser()];
    const pending = await enablePasskey(app, oli.token);
    const stolenId = new SoftwarePasskey().create(pending.creationOptions, {
      origin: PASSKEY_ORIGIN,
      credentialId: nia.passkey.credentialId,
    });
    const refused = await acceptPasskey(app, oli.token, pending.token, stolenId);
    assert.equal(errorCode(refused), 'BAD_USER_INPUT', JSON.stringify(refused));
    assert.deepEqual(
      (await storedFactors(app, oli.id)).filter((factor) => factor.lookupKey === nia.passkey.credentialId),
      [],
    );
    const again = await enablePasskey(app, nia.token);
    const twice = nia.passkey.clone().create(again.creationOptions, {
      origin: PASSKEY_ORIGIN,
      credentialId: nia.passkey.credentialId,
    });
    assert.equal(
      errorCode(await acceptPasskey(app, nia.token, again.token, twice)),
      'BAD_USER_INPUT',
      'nor twice to A',
    );
    // Nia's passkey still signs nia in.
    const { challengeId, response } = await passwordlessResponse(nia.passkey);
    assert.equal((await passkeySignIn(challengeId, response)).data?.passkeySignIn.user?.id, nia.id);

    // Racing registrations of one new credential id: WebAuthn §7.1 step 22 wants one of them, not two.
    const racers = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        const { id, token } = await signUpAndLogIn(app, `racer${i}`);
        return { id, token, started: await enablePasskey(app, token) };
      }),
    );
    const sharedId = Buffer.alloc(32, 7).toString('base64url');
    const answers = await Promise.all(
      racers.map(({ token, started }) =>
        acceptPasskey(
          app,
          token,
          started.token,
          new SoftwarePasskey().create(started.creationOptions, { origin: PASSKEY_ORIGIN, credentialId: sharedId }),
        ),
      ),
    );
    assert.equal(
      answers.filter((answer) => answer.data?.acceptMfa.status === 'ACTIVE').length,
      1,
      JSON.stringify(tally(answers)),
    );
    const holders = await app.database.connection.db!.collection('factors').countDocuments({ lookupKey: sharedId });
    assert.equal(holders, 1);
  });

  it('a garbage, unknown, expired or spent challengeId gets a clear error', async () => {
    const pat = await newUser();
    const response = (await passwordlessResponse(pat.passkey)).response;
    const garbage = await passkeySignIn('garbage', response);
    assert.equal(errorCode(garbage), 'BAD_USER_INPUT', JSON.stringify(garbage));
    assert.equal(garbage.errors![0].extensions?.field, 'challengeId');
    const unknown = await passkeySignIn(`mfa_pk_${'A'.repeat(43)}`, response);
    assert.equal(errorCode(unknown), 'TOKEN_EXPIRED');

    const expiring = await passwordlessResponse(pat.passkey);
    clock.advance(CEREMONY_TTL_MS + 1_000);
    assert.equal(errorCode(await passkeySignIn(expiring.challengeId, expiring.response)), 'TOKEN_EXPIRED', 'expired');
    assert.equal(await failuresOf(app, pat.id), 0, 'an expired challenge costs the owner nothing');

    const spent = await passwordlessResponse(pat.passkey);
    assert.ok((await passkeySignIn(spent.challengeId, spent.response)).data?.passkeySignIn.accessToken);
    const next = await passwordlessResponse(pat.passkey);
    assert.equal(errorCode(await passkeySignIn(spent.challengeId, next.response)), 'TOKEN_EXPIRED', 'spent');

    // A step-up ceremony dies with its 5 minutes too.
    const session = (await passkeySignIn(next.challengeId, next.response)).data!.passkeySignIn.accessToken!;
    const late = await assertionFor(app, pat.passkey, { factorId: pat.factorId }, session);
    clock.advance(CEREMONY_TTL_MS + 1_000);
    assertRefused(await stepUp(session, pat.factorId, late), 'a step-up ceremony past its time');
  });

  it("beginMfa with another user's factor is NOT_FOUND; an API key cannot beginMfa", async () => {
    const [quin, rex] = [await newUser(), await newUser()];
    const begin = (input: { factorId: string; mfaToken?: string }, token?: string) =>
      app.graphql(BEGIN_MFA, { token, variables: { input } });
    assert.equal(
      errorCode(await begin({ mfaToken: await mfaToken(app, rex.username), factorId: quin.factorId })),
      'NOT_FOUND',
    );
    assert.equal(errorCode(await begin({ factorId: quin.factorId }, rex.token)), 'NOT_FOUND');
    assert.equal(errorCode(await begin({ factorId: 'not an id' }, rex.token)), 'BAD_USER_INPUT');
    assert.equal(errorCode(await begin({ factorId: rex.factorId })), 'UNAUTHENTICATED', 'no session, no mfaToken');

    const key = await app.graphql(CREATE_API_KEY, { token: rex.token, variables: { input: { name: 'script' } } });
    const apiKey = key.data!.createApiKey.secret;
    assert.equal(errorCode(await begin({ factorId: rex.factorId }, apiKey)), 'FORBIDDEN');
    assert.equal(errorCode(await stepUp(apiKey, rex.factorId, {})), 'FORBIDDEN');
  });

  it('a first passkey needs a sign-in from the last 5 minutes; a first TOTP, or a passkey beside TOTP, does not', async () => {
    // A passkey signs in without the password, so a stolen session that adds one keeps a way in a password change
    // would not close. Sessions keep wall-clock times: the sign-in is aged in the database, not on the app's clock.
    const signedInMinutesAgo = (token: string, minutes: number) =>
      app.database.connection
        .db!.collection('sessions')
        .updateOne({ tokenHash: hashToken(token) }, { $set: { createdAt: new Date(Date.now() - minutes * 60_000) } });
    const enable = async (token: string) =>
      app.graphql(await enableMfaDocumentFor(app, 'WebAuthnEnrollment'), {
        token,
        variables: { input: { factorType: 'webauthn' } },
      });

    const { id: sal, token: stale } = await signUpAndLogIn(app, `user${++users}`);
    await signedInMinutesAgo(stale, 6);
    const refused = await enable(stale);
    assert.equal(errorCode(refused), 'STEP_UP_REQUIRED', JSON.stringify(refused));
    assert.match(refused.errors![0].message, /sign in again/i);
    assert.deepEqual(await storedFactors(app, sal), [], 'nothing was started');
    const fresh = await logIn(app, `user${users}`);
    await enrollPasskey(app, fresh);
    assert.equal((await storedFactors(app, sal)).filter((factor) => factor.status === 'ACTIVE').length, 1);

    const { token: old } = await signUpAndLogIn(app, `user${++users}`);
    await signedInMinutesAgo(old, 60);
    await enrollTotp(app, old, clock); // a first TOTP is no way in by itself: the password is still asked

    // With an ACTIVE factor the usual rule holds, whatever the sign-in's age: a second-factor proof from the last
    // 5 minutes (accepting the TOTP was one), and STEP_UP_REQUIRED once it is older.
    assert.equal(errorCode(await enable(old)), undefined, 'a fresh proof suffices');
    clock.advance(6 * 60_000);
    assert.equal(errorCode(await enable(old)), 'STEP_UP_REQUIRED', 'a stale proof does not');
  });

  it('skipEnrollment does not make an old sign-in recent: its session may not add a first passkey either', async () => {
    // The enrollment grace trades an enrollment-scoped session for a full one without the password: were the new
    // session's age taken for the sign-in's, a stolen enrollment session of any age could add a passkey through it.
    const admin = await theAdmin();
    const username = `user${++users}`;
    const { id } = await signUpAndLogIn(app, username);
    await admin.stepUp();
    const set = (input: { enrollmentGraceDays: number }) =>
      app.graphql(SET_MFA_POLICY, { token: admin.token, variables: { input } });
    assert.equal((await set({ enrollmentGraceDays: 7 })).errors, undefined);
    try {
      const required = await app.graphql(SET_MFA_POLICY_STATUS, {
        token: admin.token,
        variables: { input: { userId: id, status: 'ENABLED' } },
      });
      assert.equal(required.errors, undefined, JSON.stringify(required.errors));
      const login = await app.graphql(LOGIN_WITH_GRACE, {
        variables: { input: { username, password: TEST_PASSWORD } },
      });
      assert.equal(login.data?.login.enrollmentRequired, true, JSON.stringify(login));
      const enrollmentSession = login.data.login.accessToken!;
      await app.database.connection
        .db!.collection('sessions')
        .updateOne(
          { tokenHash: hashToken(enrollmentSession) },
          { $set: { createdAt: new Date(Date.now() - 6 * 60_000) } },
        );
      const skipped = await app.graphql(SKIP_ENROLLMENT, { token: enrollmentSession });
      const graceSession = skipped.data?.skipEnrollment.accessToken;
      assert.ok(graceSession, JSON.stringify(skipped));
      const refused = await app.graphql(await enableMfaDocumentFor(app, 'WebAuthnEnrollment'), {
        token: graceSession,
        variables: { input: { factorType: 'webauthn' } },
      });
      assert.equal(errorCode(refused), 'STEP_UP_REQUIRED', JSON.stringify(refused));
      assert.deepEqual(await storedFactors(app, id), []);
      await enrollPasskey(app, await logIn(app, username)); // a fresh sign-in, an enrollment session: allowed
    } finally {
      await admin.stepUp();
      await set({ enrollmentGraceDays: 0 });
    }
  });

  it('never logs a challenge id, an mfaToken or a session token', () => {
    assert.doesNotMatch(app.logLines.join(''), /mfa_(pk|mt|at|et|ak)_[A-Za-z0-9_-]{20}/);
  });
});

describe('beginPasskeySignIn under a flood from one network', () => {
  const BUDGET = 3;
  let app: TestApp;
  /** beginPasskeySignIn from a client behind the trusted proxy, which reports it in X-Forwarded-For. */
  const beginFrom = (address: string) =>
    app.graphql(BeginPasskeySignInDocument, { headers: { 'x-forwarded-for': address } });

  before(async () => {
    app = await startTestApp({
      ...PASSKEY_ENV,
      LOGIN_RATE_PER_ADDRESS: String(BUDGET),
      TRUST_PROXY: '127.0.0.1, ::1',
    });
  });
  after(() => app.stop());

  it('counts the challenges per network: the addresses of one IPv6 /64 share one budget, another /64 has its own', async () => {
    // One host is given a whole /64 (RFC 6177): counted per address, it would have 2^64 budgets.
    const answers = [];
    for (const address of ['2001:db8:1:1::1', '2001:db8:1:1::2', '2001:db8:1:1:ffff:ffff:ffff:fffe'])
      answers.push(await beginFrom(address));
    assert.deepEqual(tally(answers), { OK: BUDGET }, JSON.stringify(answers));
    const flooded = await beginFrom('2001:db8:1:1:abcd::9');
    assert.equal(errorCode(flooded), 'TOO_MANY_ATTEMPTS', JSON.stringify(flooded));
    const wait = retryAfter(flooded);
    assert.ok(typeof wait === 'number' && wait > 0 && wait <= 60, `retryAfterSeconds: ${String(wait)}`);
    assert.equal(flooded.data, null, 'no challenge');

    assert.equal(errorCode(await beginFrom('2001:db8:1:2::1')), undefined, 'the next /64 is another network');
    assert.equal(errorCode(await beginFrom('203.0.113.7')), undefined, 'an IPv4 client is its own');
  });
});
