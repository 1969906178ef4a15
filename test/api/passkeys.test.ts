import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AuditEventsDocument as AUDIT_EVENTS,
  CreateApiKeyDocument as CREATE_API_KEY,
  DisableMfaDocument as DISABLE_MFA,
  EnableMfaDocument as ENABLE_MFA,
  LoginDocument as LOGIN,
  MeDocument as ME,
  MyMfaDocument as MY_MFA,
  PasskeySignInDocument as PASSKEY_SIGN_IN,
  RegenerateRecoveryCodesDocument as REGENERATE,
  SessionsDocument as SESSIONS,
  StepUpDocument as STEP_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { TEST_PASSWORD, signUpAndLogIn } from '../support/accounts.js';
import { storedFactors } from '../support/attacker.js';
import { CODE_SUBJECT, codeIn, enrollEmail, nextMail } from '../support/email.js';
import { TestClock, enrollTotp, mfaToken, totpCode, type EnrolledTotp } from '../support/mfa.js';
import {
  PASSKEY_ENV,
  PASSKEY_ORIGIN,
  acceptPasskey,
  assertionFor,
  beginMfa,
  beginPasskeySignIn,
  enablePasskey,
  enrollPasskey,
  type EnrolledPasskey,
} from '../support/passkeys.js';
import { SoftwarePasskey } from '../support/software-passkey.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { LIFTED_DELIVERY_CAPS, errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const STEP_UP_MAX_AGE_MS = 5 * 60_000;
const RP_ID = new URL(PASSKEY_ORIGIN).hostname;

/** Passkeys end to end over HTTP, as a browser drives them: enrollment, sign-in, step-up, removal, passwordless. */
describe('passkeys over HTTP', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  /** Pia: passkeys only, on a laptop and then a phone. */
  let pia: { id: string; token: string };
  let laptop: EnrolledPasskey;
  let phone: EnrolledPasskey;
  /** Tom: an authenticator app first, a passkey beside it. */
  let tom: { id: string; token: string; totp?: EnrolledTotp; passkey?: EnrolledPasskey };

  const verifyWith = (input: { mfaToken: string; factorId: string; response: unknown }) =>
    app.graphql(VERIFY_MFA, { variables: { input } });
  const passkeySignIn = (challengeId: string, response: unknown) =>
    app.graphql(PASSKEY_SIGN_IN, { variables: { input: { challengeId, response } } });
  const createApiKey = (token: string, name: string) =>
    app.graphql(CREATE_API_KEY, { token, variables: { input: { name } } });
  /** A password sign-in finished with a passkey: login → mfaRequired → beginMfa → verifyMfa(response). */
  const signInWithPasskey = async (username: string, enrolled: EnrolledPasskey): Promise<string> => {
    const token = await mfaToken(app, username);
    const response = await assertionFor(app, enrolled.passkey, { mfaToken: token, factorId: enrolled.factorId });
    const verified = await verifyWith({ mfaToken: token, factorId: enrolled.factorId, response });
    assert.equal(verified.errors, undefined, JSON.stringify(verified.errors));
    return verified.data!.verifyMfa.accessToken!;
  };
  const passwordless = async (passkey: SoftwarePasskey) => {
    const { challengeId, options } = await beginPasskeySignIn(app);
    return passkeySignIn(challengeId, passkey.get(options, { origin: PASSKEY_ORIGIN }));
  };

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp(
      { ...PASSKEY_ENV, SMTP_URL: `smtp://127.0.0.1:${sink.port}`, ...LIFTED_DELIVERY_CAPS },
      { clock: clock.now },
    );
    pia = await signUpAndLogIn(app, 'pia');
    tom = await signUpAndLogIn(app, 'tom');
  });
  after(async () => {
    await app.stop();
    await sink.stop();
  });

  it('enrolls a passkey as the first factor: WebAuthn creation options, recovery codes, MFA ENABLED', async () => {
    const started = await enablePasskey(app, pia.token, 'laptop');
    const options = started.creationOptions;
    assert.equal(options.rp.id, RP_ID);
    assert.equal(options.user.name, 'pia');
    assert.equal(options.attestation, 'none');
    assert.deepEqual(options.authenticatorSelection, {
      residentKey: 'preferred',
      userVerification: 'preferred',
      requireResidentKey: false,
    });
    assert.deepEqual(options.excludeCredentials, []);
    assert.match(options.challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(
      options.pubKeyCredParams.some((param) => param.alg === -7),
      'ES256 is offered',
    );
    assert.equal(started.scratchCodes.length, 10, 'recovery codes come with the first factor');

    const passkey = new SoftwarePasskey();
    const accepted = await acceptPasskey(
      app,
      pia.token,
      started.token,
      passkey.create(options, { origin: PASSKEY_ORIGIN }),
    );
    assert.equal(accepted.errors, undefined, JSON.stringify(accepted.errors));
    assert.equal(accepted.data!.acceptMfa.status, 'ACTIVE');
    laptop = { factorId: accepted.data!.acceptMfa.id, passkey, scratchCodes: started.scratchCodes };

    const me = (await app.graphql(MY_MFA, { token: pia.token })).data!.me!;
    assert.equal(me.mfaPolicyStatus, 'ENABLED');
    assert.equal(me.mfaEnabled, true);
    assert.equal(me.recoveryCodesRemaining, 10);
    assert.deepEqual(
      me.factors.map(({ type, status, description }) => ({ type, status, description })),
      [{ type: 'webauthn', status: 'ACTIVE', description: 'laptop' }],
    );
    const [stored] = await storedFactors(app, pia.id);
    assert.equal(stored.lookupKey, passkey.credentialId, 'found by its credential id for passwordless sign-in');
  });

  it('a second passkey on another device needs a step-up, then its options exclude the first', async () => {
    clock.advance(STEP_UP_MAX_AGE_MS + 1_000);
    const stale = await app.graphql(ENABLE_MFA, { token: pia.token, variables: { input: { factorType: 'webauthn' } } });
    assert.equal(errorCode(stale), 'STEP_UP_REQUIRED');

    const response = await assertionFor(app, laptop.passkey, { factorId: laptop.factorId }, pia.token);
    const stepped = await app.graphql(STEP_UP, {
      token: pia.token,
      variables: { input: { factorId: laptop.factorId, response } },
    });
    assert.equal(stepped.data?.stepUp, true, JSON.stringify(stepped.errors));

    const started = await enablePasskey(app, pia.token, 'phone');
    assert.deepEqual(
      started.creationOptions.excludeCredentials?.map(({ id, type }) => ({ id, type })),
      [{ id: laptop.passkey.credentialId, type: 'public-key' }],
    );
    assert.deepEqual(started.scratchCodes, [], 'no new recovery codes for an added device');
    phone = await (async () => {
      const passkey = new SoftwarePasskey();
      const response = passkey.create(started.creationOptions, { origin: PASSKEY_ORIGIN });
      const accepted = await acceptPasskey(app, pia.token, started.token, response);
      assert.equal(accepted.errors, undefined, JSON.stringify(accepted.errors));
      return { factorId: accepted.data!.acceptMfa.id, passkey, scratchCodes: [] };
    })();
    const me = (await app.graphql(MY_MFA, { token: pia.token })).data!.me!;
    assert.deepEqual(me.factors.map((factor) => [factor.type, factor.status, factor.description]).sort(), [
      ['webauthn', 'ACTIVE', 'laptop'],
      ['webauthn', 'ACTIVE', 'phone'],
    ]);
    assert.equal(me.recoveryCodesRemaining, 10, 'the first set stands');
  });

  it('a passkey beside an authenticator app: sign-in offers both, and either finishes it', async () => {
    tom.totp = await enrollTotp(app, tom.token, clock);
    tom.passkey = await enrollPasskey(app, tom.token, { description: 'security key' });
    assert.deepEqual(tom.passkey.scratchCodes, [], 'the app brought the recovery codes');
    const login = await app.graphql(LOGIN, { variables: { input: { username: 'tom', password: TEST_PASSWORD } } });
    assert.equal(login.data?.login.mfaRequired, true);
    assert.deepEqual(login.data.login.factors!.map((factor) => factor.type).sort(), ['totp', 'webauthn']);
    assert.ok(await signInWithPasskey('tom', tom.passkey));
    const viaApp = await app.graphql(VERIFY_MFA, {
      variables: {
        input: {
          mfaToken: await mfaToken(app, 'tom'),
          factorId: tom.totp.factorId,
          code: totpCode(tom.totp.secret, clock),
        },
      },
    });
    assert.ok(viaApp.data?.verifyMfa.accessToken, JSON.stringify(viaApp.errors));
    clock.nextStep();
  });

  it('signs in: login → mfaRequired → beginMfa (options for that passkey) → verifyMfa with the assertion', async () => {
    const token = await mfaToken(app, 'pia');
    const { options, delivered } = await beginMfa(app, { mfaToken: token, factorId: phone.factorId });
    assert.equal(delivered, false);
    assert.ok(options);
    assert.equal(options.rpId, RP_ID);
    assert.equal(options.userVerification, 'preferred');
    assert.deepEqual(
      options.allowCredentials?.map(({ id }) => id),
      [phone.passkey.credentialId],
      'only the passkey being asked for',
    );
    const verified = await verifyWith({
      mfaToken: token,
      factorId: phone.factorId,
      response: phone.passkey.get(options, { origin: PASSKEY_ORIGIN }),
    });
    assert.equal(verified.errors, undefined, JSON.stringify(verified.errors));
    assert.equal(verified.data!.verifyMfa.mfaRequired, false);
    assert.equal(verified.data!.verifyMfa.user?.username, 'pia');
    const session = verified.data!.verifyMfa.accessToken!;
    assert.equal((await app.graphql(ME, { token: session })).data?.me?.username, 'pia');
    const current = (await app.graphql(SESSIONS, { token: session })).data!.sessions.find((s) => s.current)!;
    assert.equal(current.method, 'webauthn');
    assert.ok(current.mfaVerifiedAt);
    const [stored] = (await storedFactors(app, pia.id)).filter((factor) => factor._id.toHexString() === phone.factorId);
    assert.equal((stored.state as { counter: number }).counter, phone.passkey.counter, 'the counter is kept');
  });

  it('steps up a stale session: beginMfa without an mfaToken, then stepUp with the response', async () => {
    const session = await signInWithPasskey('pia', laptop);
    clock.advance(STEP_UP_MAX_AGE_MS + 1_000);
    assert.equal(errorCode(await createApiKey(session, 'stale')), 'STEP_UP_REQUIRED');
    const { options, delivered } = await beginMfa(app, { factorId: laptop.factorId }, session);
    assert.equal(delivered, false);
    const stepped = await app.graphql(STEP_UP, {
      token: session,
      variables: {
        input: { factorId: laptop.factorId, response: laptop.passkey.get(options!, { origin: PASSKEY_ORIGIN }) },
      },
    });
    assert.equal(stepped.data?.stepUp, true, JSON.stringify(stepped.errors));
    assert.ok((await createApiKey(session, 'after step-up')).data?.createApiKey.secret);
  });

  it('regenerateRecoveryCodes takes a passkey response in place of a code', async () => {
    const session = await signInWithPasskey('pia', laptop);
    clock.advance(STEP_UP_MAX_AGE_MS + 1_000);
    const { options } = await beginMfa(app, { factorId: phone.factorId }, session);
    const regenerated = await app.graphql(REGENERATE, {
      token: session,
      variables: {
        input: { factorId: phone.factorId, response: phone.passkey.get(options!, { origin: PASSKEY_ORIGIN }) },
      },
    });
    assert.equal(regenerated.errors, undefined, JSON.stringify(regenerated.errors));
    assert.equal(regenerated.data!.regenerateRecoveryCodes.length, 10);
    assert.notDeepEqual(regenerated.data!.regenerateRecoveryCodes, laptop.scratchCodes);
  });

  it('disableMfa with the password and a passkey response removes that passkey', async () => {
    const session = await signInWithPasskey('pia', laptop);
    const { options } = await beginMfa(app, { factorId: phone.factorId }, session);
    const disabled = await app.graphql(DISABLE_MFA, {
      token: session,
      variables: {
        input: {
          factorId: phone.factorId,
          password: TEST_PASSWORD,
          response: phone.passkey.get(options!, { origin: PASSKEY_ORIGIN }),
        },
      },
    });
    assert.equal(disabled.errors, undefined, JSON.stringify(disabled.errors));
    assert.deepEqual(
      disabled.data!.disableMfa.factors.map((factor) => factor.id),
      [laptop.factorId],
    );
    assert.equal(disabled.data!.disableMfa.mfaPolicyStatus, 'ENABLED', 'the laptop passkey still guards the account');
    assert.equal(errorCode(await passwordless(phone.passkey)), 'INVALID_CODE', 'the removed passkey signs in no more');
  });

  it('beginMfa for an authenticator app is a no-op, and for e-mail sends a code', async () => {
    const token = await mfaToken(app, 'tom');
    assert.deepEqual(await beginMfa(app, { mfaToken: token, factorId: tom.totp!.factorId }), {
      options: null,
      delivered: false,
    });

    const { token: erinToken } = await signUpAndLogIn(app, 'erin');
    const { factorId } = await enrollEmail(app, sink, erinToken, 'erin@example.com');
    const erinMfa = await mfaToken(app, 'erin');
    clock.advance(31_000); // the enrollment's code started the factor's 30 s cooldown; beginMfa sends within it
    const seen = sink.mails.length;
    assert.deepEqual(await beginMfa(app, { mfaToken: erinMfa, factorId }), { options: null, delivered: true });
    const code = codeIn(await nextMail(sink, 'erin@example.com', CODE_SUBJECT, seen));
    const verified = await app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: erinMfa, factorId, code } } });
    assert.ok(verified.data?.verifyMfa.accessToken, JSON.stringify(verified.errors));
  });

  it('a passkey response removes the authenticator app beside it (disableMfa takes a proof of any factor)', async () => {
    const session = await signInWithPasskey('tom', tom.passkey!);
    const { options } = await beginMfa(app, { factorId: tom.passkey!.factorId }, session);
    const disabled = await app.graphql(DISABLE_MFA, {
      token: session,
      variables: {
        input: {
          factorId: tom.totp!.factorId,
          password: TEST_PASSWORD,
          response: tom.passkey!.passkey.get(options!, { origin: PASSKEY_ORIGIN }),
        },
      },
    });
    assert.equal(disabled.errors, undefined, JSON.stringify(disabled.errors));
    assert.deepEqual(
      disabled.data!.disableMfa.factors.map((factor) => factor.type),
      ['webauthn'],
    );
  });

  it('passwordless: beginPasskeySignIn → passkeySignIn gives a full session, second factor included', async () => {
    const { challengeId, options } = await beginPasskeySignIn(app);
    assert.match(challengeId, /^mfa_pk_[A-Za-z0-9_-]{43}$/);
    assert.equal(options.rpId, RP_ID);
    assert.equal(options.userVerification, 'required');
    assert.deepEqual(options.allowCredentials ?? [], [], 'the browser offers whichever passkey of this site');
    const signedIn = await passkeySignIn(challengeId, laptop.passkey.get(options, { origin: PASSKEY_ORIGIN }));
    assert.equal(signedIn.errors, undefined, JSON.stringify(signedIn.errors));
    const payload = signedIn.data!.passkeySignIn;
    assert.equal(payload.mfaRequired, false);
    assert.equal(payload.enrollmentRequired, false);
    assert.equal(payload.mfaToken, null);
    assert.equal(payload.user?.username, 'pia');
    const session = payload.accessToken!;
    assert.equal((await app.graphql(ME, { token: session })).data?.me?.id, pia.id);
    assert.ok(
      (await createApiKey(session, 'right after a passkey')).data?.createApiKey.secret,
      'second-factor verified: a step-up-guarded change works at once',
    );
    const current = (await app.graphql(SESSIONS, { token: session })).data!.sessions.find((s) => s.current)!;
    assert.equal(current.method, 'webauthn:passwordless');
    assert.ok(current.mfaVerifiedAt);
  });

  it('a synced passkey (its counter always 0) signs in again and again, with and without a password', async () => {
    const { token } = await signUpAndLogIn(app, 'sam');
    const synced = await enrollPasskey(app, token, { counterStep: 0, backedUp: true });
    for (let i = 0; i < 3; i++) {
      const signedIn = await passwordless(synced.passkey);
      assert.ok(signedIn.data?.passkeySignIn.accessToken, `passwordless #${i + 1}: ${JSON.stringify(signedIn.errors)}`);
      assert.ok(await signInWithPasskey('sam', synced));
    }
    // Its only factor: verifyMfa may leave factorId out.
    const only = await mfaToken(app, 'sam');
    const response = await assertionFor(app, synced.passkey, { mfaToken: only, factorId: synced.factorId });
    const verified = await app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: only, response } } });
    assert.ok(verified.data?.verifyMfa.accessToken, JSON.stringify(verified.errors));
    const [stored] = await storedFactors(app, (await app.graphql(ME, { token })).data!.me!.id);
    assert.equal((stored.state as { counter: number }).counter, 0);
    assert.equal((stored.state as { backedUp: boolean }).backedUp, true);
  });

  it('the audit trail names the factor type and its assurance for every passkey proof', async () => {
    const events = (
      await app.graphql(AUDIT_EVENTS, { token: await signInWithPasskey('pia', laptop), variables: { first: 100 } })
    ).data!.auditEvents.edges.map((edge) => edge.node);
    const proofs = events.filter((event) => event.type === 'mfa.verification_succeeded');
    const purposes = new Set(proofs.map((event) => (event.details as { purpose: string }).purpose));
    assert.deepEqual([...purposes].sort(), ['disable-mfa', 'passwordless', 'sign-in', 'step-up']);
    for (const event of proofs)
      assert.deepEqual(
        {
          type: (event.details as Record<string, unknown>).factorType,
          assurance: (event.details as Record<string, unknown>).assurance,
        },
        { type: 'webauthn', assurance: 'phishing-resistant' },
        JSON.stringify(event),
      );
    const methods = new Set(
      events
        .filter((event) => event.type === 'sign_in.succeeded')
        .map((event) => (event.details as { method: string }).method),
    );
    assert.ok(methods.has('webauthn') && methods.has('webauthn:passwordless'), [...methods].join());
    const activated = events.filter((event) => event.type === 'mfa.factor_activated');
    assert.equal(activated.length, 2);
    for (const event of activated) assert.equal((event.details as Record<string, unknown>).factorType, 'webauthn');
  });
});
