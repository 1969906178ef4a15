import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { counterMayFollow } from '../../plugins/webauthn/assertion.js';
import webauthnFactor from '../../plugins/webauthn/index.js';
import { BUILT_IN_FACTOR_PLUGINS } from '../../src/built-in-factor-plugins.js';
import { loadConfig } from '../../src/config/config.js';
import { WebAuthnEnrollment } from '../../plugins/webauthn/webauthn-enrollment.type.js';
import { webauthnSettings } from '../../plugins/webauthn/webauthn-settings.js';
import type {
  AttemptPurpose,
  FactorOwner,
  FactorPlugin,
  FactorPluginOptions,
  StoredFactor,
  Verdict,
} from '../../src/plugin-kit.js';
import { SoftwarePasskey, type CreateKnobs, type GetKnobs } from '../support/software-passkey.js';

/*
 * The passkey plugin driven member by member, as the core would call it, against a software authenticator whose
 * signatures and CBOR are real: @simplewebauthn/server verifies them, nothing is mocked. The core's share (spending
 * the attempt state once, the compare-and-set of the state, unique credential ids, lockout) is not here; what is
 * here is every answer the plugin gives.
 */

const ORIGIN = 'https://mfa.example.com';
const RP_ID = 'mfa.example.com';
const now = new Date();
const keyedHash = (): string => {
  throw new Error('a passkey keeps no code to hash');
};

function pluginOptions(overrides: Partial<FactorPluginOptions> = {}): FactorPluginOptions {
  return {
    issuer: 'mfa-graphql test',
    mail: { send: () => Promise.reject(new Error('a passkey sends no mail')) },
    publicUrl: `${ORIGIN}/`,
    settings: {},
    production: true,
    ...overrides,
  };
}

const plugin = webauthnFactor(pluginOptions());
const alice: FactorOwner = { id: '65a1b2c3d4e5f60718293a4b', username: 'alice' };
const bob: FactorOwner = { id: '65a1b2c3d4e5f60718293a4c', username: 'bob' };

/** What the core does with a parsed GraphQL JSON value: the plugin never sees class instances. */
const json = <T>(value: T): unknown => JSON.parse(JSON.stringify(value)) as unknown;

const REFUSED: Verdict = { accepted: false };
/** A good signature whose counter did not grow: refused, and the audit trail is told why. */
const CLONED: Verdict = { accepted: false, reason: 'counter_not_increasing' };

function accepted(verdict: Verdict, message = 'the response was refused'): Extract<Verdict, { accepted: true }> {
  assert.equal(verdict.accepted, true, message);
  return verdict;
}

function creationOptionsOf(details: object): PublicKeyCredentialCreationOptionsJSON {
  assert.ok(details instanceof WebAuthnEnrollment);
  return details.creationOptions as unknown as PublicKeyCredentialCreationOptionsJSON;
}

let factorIds = 0;

/** enableMfa then acceptMfa: a new passkey, and the ACTIVE factor the core would store. */
async function register(
  knobs: Partial<CreateKnobs> = {},
  {
    owner = alice,
    existing = [],
    on = plugin,
  }: { owner?: FactorOwner; existing?: StoredFactor[]; on?: FactorPlugin } = {},
) {
  const enrollment = await on.enroll({ owner, input: {}, existing, now });
  const creation = creationOptionsOf(enrollment.details);
  const passkey = new SoftwarePasskey();
  const response = passkey.create(creation, { origin: ORIGIN, ...knobs });
  const pending: StoredFactor = { id: `pending-${++factorIds}`, owner, state: enrollment.state ?? {} };
  const verdict = accepted(
    await on.activate!({
      factor: pending,
      response: json(response),
      attemptState: enrollment.attemptState,
      purpose: 'enrollment',
      now,
      keyedHash,
    }),
  );
  assert.ok(verdict.state);
  const factor: StoredFactor = { id: `factor-${++factorIds}`, owner, state: verdict.state };
  return { passkey, factor, verdict, enrollment, creation, response };
}

/** enableMfa, and the pieces acceptMfa would take, without calling it. */
async function enrollment(owner = alice, on = plugin) {
  const enrolled = await on.enroll({ owner, input: {}, existing: [], now });
  const creation = creationOptionsOf(enrolled.details);
  const pending: StoredFactor = { id: `pending-${++factorIds}`, owner, state: enrolled.state ?? {} };
  /** With the enrollment's own attempt state, unless one (even undefined) is given. */
  const activate = (response: unknown, ...attemptState: [Record<string, unknown> | undefined] | []) =>
    on.activate!({
      factor: pending,
      response,
      attemptState: attemptState.length === 0 ? enrolled.attemptState : attemptState[0],
      purpose: 'enrollment',
      now,
      keyedHash,
    });
  return { enrolled, creation, pending, activate };
}

/** beginMfa: the attempt state the core keeps, and the options the client gets. */
async function begin(factor: StoredFactor, purpose: AttemptPurpose = 'sign-in', on = plugin) {
  const begun = await on.begin!({ factor, purpose, now, keyedHash });
  assert.ok(begun.attemptState && begun.clientOptions);
  return {
    attemptState: begun.attemptState,
    options: begun.clientOptions as unknown as PublicKeyCredentialRequestOptionsJSON,
  };
}

function verify(
  factor: StoredFactor,
  response: unknown,
  attemptState: Record<string, unknown> | undefined,
  purpose: AttemptPurpose = 'sign-in',
  on = plugin,
) {
  return on.verify({ factor, response, attemptState, purpose, now, keyedHash });
}

/** A whole sign-in attempt; on success the factor takes the new state, as the core's compare-and-set would. */
async function signIn(
  passkey: SoftwarePasskey,
  factor: StoredFactor,
  knobs: Partial<GetKnobs> = {},
  purpose: AttemptPurpose = 'sign-in',
): Promise<Verdict> {
  const { attemptState, options } = await begin(factor, purpose);
  const verdict = await verify(factor, json(passkey.get(options, { origin: ORIGIN, ...knobs })), attemptState, purpose);
  if (verdict.accepted && verdict.state) factor.state = verdict.state;
  return verdict;
}

describe('webauthn plugin: what it is', () => {
  it('is a phishing-resistant, JSON-answered factor of which a user may hold several, with passwordless sign-in', () => {
    assert.equal(plugin.type, 'webauthn');
    assert.equal(plugin.displayName, 'Passkey');
    assert.equal(plugin.assurance, 'phishing-resistant');
    assert.deepEqual(plugin.responseLimits, { kind: 'json', maxBytes: 16 * 1024 });
    assert.equal(plugin.multiplePerUser, true);
    assert.equal(plugin.detailsType, WebAuthnEnrollment);
    assert.equal(typeof plugin.discoverable?.begin, 'function');
    assert.equal(plugin.delivery, undefined);
  });
});

describe('webauthn plugin: registration with the service', () => {
  it('ships as the built-in "webauthn", and is not loaded unless FACTOR_PLUGINS names it', async () => {
    const module = await BUILT_IN_FACTOR_PLUGINS.webauthn();
    assert.equal(module.default, webauthnFactor);
    assert.deepEqual(loadConfig({}).mfa.factorPlugins, ['totp', 'email']);
  });
});

describe('webauthn plugin: enrollment', () => {
  it('offers creation options for our RP, a stable user handle, no attestation, and keeps the challenge for activate', async () => {
    const { enrolled, creation } = await enrollment();
    assert.equal(enrolled.secret, undefined, 'nothing secret: a passkey keeps a public key');
    assert.deepEqual(enrolled.attemptState, { ceremony: 'registration', challenge: creation.challenge });
    assert.match(creation.challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(creation.rp, { id: RP_ID, name: 'mfa-graphql test' });
    assert.equal(creation.user.name, 'alice');
    assert.equal(creation.attestation, 'none');
    assert.equal(creation.timeout, 5 * 60 * 1000);
    assert.equal(creation.authenticatorSelection?.residentKey, 'preferred');
    assert.equal(creation.authenticatorSelection?.userVerification, 'preferred');
    assert.deepEqual(creation.excludeCredentials, []);
    assert.ok(
      creation.pubKeyCredParams.some(({ alg }) => alg === -7),
      'ES256 is offered',
    );
    assert.ok(!creation.user.id.includes(alice.id) && Buffer.from(creation.user.id, 'base64url').length === 32);
  });

  it('gives all passkeys of one user the same user handle, and another user another', async () => {
    const [first, second, other] = await Promise.all([enrollment(alice), enrollment(alice), enrollment(bob)]);
    assert.equal(first.creation.user.id, second.creation.user.id);
    assert.notEqual(first.creation.user.id, other.creation.user.id);
    assert.notEqual(first.creation.challenge, second.creation.challenge, 'each enrollment has its own challenge');
  });

  it('excludes the passkeys the user already has, with their transports', async () => {
    const one = await register({ transports: ['usb', 'nfc'] });
    const two = await register();
    const { creation } = creationOptionsFor(
      await plugin.enroll({ owner: alice, input: {}, existing: [one.factor, two.factor], now }),
    );
    assert.deepEqual(creation.excludeCredentials, [
      { id: one.passkey.credentialId, transports: ['nfc', 'usb'], type: 'public-key' },
      { id: two.passkey.credentialId, transports: ['hybrid', 'internal'], type: 'public-key' },
    ]);
  });

  it('activates: keeps the public key, counter, transports and backup flags, and names the credential id as lookup key', async () => {
    const { passkey, verdict } = await register({ counter: 7, backedUp: true, transports: ['usb', 'bogus', 'usb', 5] });
    assert.equal(verdict.lookupKey, passkey.credentialId);
    assert.equal(verdict.replayKey, undefined);
    const state = verdict.state!;
    assert.equal(state.credentialId, passkey.credentialId);
    assert.match(state.publicKey as string, /^[A-Za-z0-9_-]{100,}$/);
    assert.equal(state.counter, 7);
    assert.deepEqual(state.transports, ['usb'], 'only the transports WebAuthn defines, once each');
    assert.equal(state.backedUp, true);
    assert.equal(state.deviceType, 'multiDevice');
    assert.equal(state.aaguid, '00000000-0000-0000-0000-000000000000');
  });

  it('activates a passkey that did not verify the user: a second factor needs possession only', async () => {
    const { verdict } = await register({ userVerified: false });
    assert.equal(verdict.state?.deviceType, 'singleDevice');
  });

  const refusedRegistrations: [string, Partial<CreateKnobs>][] = [
    ['from another origin', { origin: 'https://mfa.example.com.evil.test' }],
    ['from our host over http', { origin: 'http://mfa.example.com' }],
    ['from another port', { origin: 'https://mfa.example.com:8443' }],
    ['for another RP ID', { rpId: 'evil.test' }],
    ['for a parent of our RP ID', { rpId: 'example.com' }],
    ['over another challenge', { challenge: Buffer.alloc(32, 7).toString('base64url') }],
    ['of the wrong type (an assertion)', { type: 'webauthn.get' }],
    ['made in a frame of another site', { crossOrigin: true }],
    ['without user presence', { userPresent: false }],
  ];
  for (const [name, knobs] of refusedRegistrations) {
    it(`refuses a registration ${name}`, async () => {
      const { creation, activate } = await enrollment();
      const response = new SoftwarePasskey().create(creation, { origin: ORIGIN, ...knobs });
      assert.deepEqual(await activate(json(response)), REFUSED);
    });
  }

  it("refuses a registration over another enrollment's challenge, even the same user's", async () => {
    const first = await enrollment();
    const second = await enrollment();
    const response = new SoftwarePasskey().create(first.creation, { origin: ORIGIN });
    assert.deepEqual(await second.activate(json(response)), REFUSED);
    accepted(await first.activate(json(response)));
  });

  it('refuses a registration without attempt state, or with an authentication one', async () => {
    const { factor } = await register();
    const { creation, activate } = await enrollment();
    const response = json(new SoftwarePasskey().create(creation, { origin: ORIGIN }));
    assert.deepEqual(await activate(response, undefined), REFUSED);
    assert.deepEqual(await activate(response, {}), REFUSED);
    const { attemptState } = await begin(factor);
    assert.deepEqual(await activate(response, { ...attemptState, challenge: creation.challenge }), REFUSED);
  });

  it('refuses a registration whose named id is not the credential the authenticator created', async () => {
    const { creation, activate } = await enrollment();
    const response = new SoftwarePasskey().create(creation, { origin: ORIGIN });
    const other = Buffer.alloc(32, 1).toString('base64url');
    assert.deepEqual(await activate(json({ ...response, id: other, rawId: other })), REFUSED);
  });
});

function creationOptionsFor(enrolled: { details: object }) {
  return { creation: creationOptionsOf(enrolled.details) };
}

describe('webauthn plugin: sign-in, step-up, disabling MFA', () => {
  it('begins with request options for this passkey alone, and keeps challenge and purpose for verify', async () => {
    const { factor, passkey } = await register({ transports: ['internal'] });
    const { attemptState, options } = await begin(factor, 'step-up');
    assert.deepEqual(attemptState, { ceremony: 'authentication', challenge: options.challenge, purpose: 'step-up' });
    assert.equal(options.rpId, RP_ID);
    assert.equal(options.userVerification, 'preferred');
    assert.equal(options.timeout, 5 * 60 * 1000);
    assert.deepEqual(options.allowCredentials, [
      { id: passkey.credentialId, transports: ['internal'], type: 'public-key' },
    ]);
  });

  it('will not begin an attempt for enrollment or passwordless sign-in: those are not begun on a known passkey', async () => {
    const { factor } = await register();
    for (const purpose of ['enrollment', 'passwordless'] as const)
      await assert.rejects(plugin.begin!({ factor, purpose, now, keyedHash }), /cannot begin an attempt/);
  });

  for (const purpose of ['sign-in', 'step-up'] as const) {
    it(`accepts an assertion for ${purpose} and moves the counter on, keeping the rest of the state`, async () => {
      const { factor, passkey } = await register({ counter: 3 });
      const before = { ...factor.state };
      const verdict = accepted(await signIn(passkey, factor, {}, purpose));
      assert.deepEqual(verdict.state, { ...before, counter: 4 });
      assert.equal(verdict.replayKey, undefined, 'the challenge, spent by the core, is what is used once');
      accepted(await signIn(passkey, factor, {}, purpose));
      assert.equal(factor.state.counter, 5);
    });
  }

  const refusedAssertions: [string, Partial<GetKnobs>][] = [
    ['from another origin', { origin: 'https://mfa-example.com' }],
    ['from a subdomain that is not listed', { origin: 'https://evil.mfa.example.com' }],
    ['for another RP ID (hash)', { rpId: 'evil.test' }],
    ['with a tampered signature', { tamperSignature: true }],
    ['over another challenge', { challenge: Buffer.alloc(32, 9).toString('base64url') }],
    ['of the wrong type (a registration)', { type: 'webauthn.create' }],
    ['made in a frame of another site', { crossOrigin: true }],
    ['without user presence', { userPresent: false }],
    ["with another user's user handle", { userHandle: Buffer.alloc(32, 2).toString('base64url') }],
  ];
  for (const [name, knobs] of refusedAssertions) {
    it(`refuses an assertion ${name}`, async () => {
      const { factor, passkey } = await register();
      const before = structuredClone(factor.state);
      assert.deepEqual(await signIn(passkey, factor, knobs), REFUSED);
      assert.deepEqual(factor.state, before);
      accepted(await signIn(passkey, factor), 'the passkey still works');
    });
  }

  it("refuses an assertion over another attempt's challenge (both begun for the same factor and purpose)", async () => {
    const { factor, passkey } = await register();
    const first = await begin(factor);
    const second = await begin(factor);
    assert.notEqual(first.options.challenge, second.options.challenge);
    const response = json(passkey.get(first.options, { origin: ORIGIN }));
    assert.deepEqual(await verify(factor, response, second.attemptState), REFUSED);
    accepted(await verify(factor, response, first.attemptState));
  });

  it('refuses an assertion without attempt state, or with a registration one (a registration challenge never signs in)', async () => {
    const { factor, passkey, enrollment: enrolled } = await register();
    const { options } = await begin(factor);
    const overRegistration = { ...options, challenge: enrolled.attemptState!.challenge as string };
    const response = json(passkey.get(overRegistration, { origin: ORIGIN }));
    assert.deepEqual(await verify(factor, response, undefined), REFUSED);
    assert.deepEqual(await verify(factor, response, enrolled.attemptState), REFUSED);
    assert.deepEqual(await verify(factor, response, { ...enrolled.attemptState, purpose: 'sign-in' }), REFUSED);
  });

  it('refuses an assertion begun for one purpose and presented for another', async () => {
    const { factor, passkey } = await register();
    const purposes = ['sign-in', 'step-up'] as const;
    for (const begunFor of purposes) {
      const { attemptState, options } = await begin(factor, begunFor);
      const response = json(passkey.get(options, { origin: ORIGIN }));
      for (const presentedFor of [...purposes, 'enrollment', 'passwordless'] as const) {
        if (presentedFor === begunFor) continue;
        assert.deepEqual(
          await verify(factor, response, attemptState, presentedFor),
          REFUSED,
          `${begunFor} → ${presentedFor}`,
        );
      }
      accepted(await verify(factor, response, attemptState, begunFor));
    }
  });

  it("refuses another passkey's assertion over this factor's challenge, under its own id or this one's", async () => {
    const mine = await register();
    const theirs = await register({}, { owner: bob });
    const sameUser = await register();
    const { attemptState, options } = await begin(mine.factor);
    for (const other of [theirs.passkey, sameUser.passkey]) {
      assert.deepEqual(await verify(mine.factor, json(other.get(options, { origin: ORIGIN })), attemptState), REFUSED);
      const claimingMine = other.get(options, {
        origin: ORIGIN,
        credentialId: mine.passkey.credentialId,
        userHandle: null,
      });
      assert.deepEqual(await verify(mine.factor, json(claimingMine), attemptState), REFUSED);
    }
  });

  it('refuses a counter that goes back or stays, and takes one that grows', async () => {
    const { factor, passkey } = await register({ counter: 5 });
    for (const counter of [5, 4, 0])
      assert.deepEqual(await signIn(passkey, factor, { counter }), CLONED, `${counter} after 5`);
    assert.equal(factor.state.counter, 5);
    accepted(await signIn(passkey, factor, { counter: 9 }));
    assert.equal(factor.state.counter, 9);
    assert.deepEqual(await signIn(passkey, factor, { counter: 9 }), CLONED, 'a replay under a new challenge');
    accepted(await signIn(passkey, factor, { counter: 0xffffffff }));
  });

  it('refuses a clone: of two authenticators with one key, the one whose counter did not grow is caught', async () => {
    const { factor, passkey } = await register({ counter: 10 });
    const clone = passkey.clone();
    accepted(await signIn(passkey, factor));
    assert.equal(factor.state.counter, 11);
    assert.deepEqual(await signIn(clone, factor), CLONED, 'the clone also says 11');
  });

  it('accepts a synced passkey without a counter (always 0) again and again, but not 0 once a counter was seen', async () => {
    const { factor, passkey } = await register({ counter: 0, counterStep: 0, backedUp: true });
    accepted(await signIn(passkey, factor));
    accepted(await signIn(passkey, factor));
    assert.equal(factor.state.counter, 0);
    accepted(await signIn(passkey, factor, { counter: 2 }));
    assert.deepEqual(await signIn(passkey, factor), CLONED);
  });

  it("gives 20 parallel verifications of one assertion one answer: single use is the core's, by the attempt state", async () => {
    const { factor, passkey } = await register({ counter: 1 });
    const before = structuredClone(factor.state);
    const { attemptState, options } = await begin(factor);
    const response = json(passkey.get(options, { origin: ORIGIN }));
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => verify(factor, response, attemptState)));
    for (const verdict of verdicts) assert.deepEqual(verdict, { accepted: true, state: { ...before, counter: 2 } });
    assert.deepEqual(factor.state, before, 'verify changes nothing itself: the core writes the state it returns');
  });

  it('refuses an assertion whose backup eligibility differs from creation: BE never changes on one authenticator', async () => {
    const single = await register();
    assert.deepEqual(await signIn(single.passkey, single.factor, { backupEligible: true, backedUp: true }), REFUSED);
    const synced = await register({ backedUp: true, counterStep: 0 });
    assert.deepEqual(await signIn(synced.passkey, synced.factor, { backupEligible: false, backedUp: false }), REFUSED);
    accepted(await signIn(synced.passkey, synced.factor));
  });

  it('records a backup made after creation (BS set later)', async () => {
    const { factor, passkey } = await register({ backupEligible: true });
    assert.deepEqual([factor.state.deviceType, factor.state.backedUp], ['multiDevice', false]);
    accepted(await signIn(passkey, factor, { backedUp: true }));
    assert.equal(factor.state.backedUp, true);
  });

  it('states the counter rule as its own, not only as the library default', () => {
    const cases: [number, number, boolean][] = [
      [0, 0, true],
      [0, 1, true],
      [5, 6, true],
      [5, 0xffffffff, true],
      [5, 5, false],
      [5, 4, false],
      [5, 0, false],
      [1, 0, false],
    ];
    for (const [stored, received, expected] of cases)
      assert.equal(counterMayFollow(stored, received), expected, `${received} after ${stored}`);
  });

  it('takes an assertion without user verification for every purpose but passwordless sign-in', async () => {
    const { factor, passkey } = await register();
    for (const purpose of ['sign-in', 'step-up'] as const)
      accepted(await signIn(passkey, factor, { userVerified: false }, purpose));
    const { attemptState, clientOptions } = await plugin.discoverable!.begin({ now });
    const response = json(
      passkey.get(clientOptions as unknown as PublicKeyCredentialRequestOptionsJSON, {
        origin: ORIGIN,
        userVerified: false,
      }),
    );
    assert.deepEqual(await verify(factor, response, attemptState, 'passwordless'), REFUSED);
  });

  it('accepts an assertion without a user handle (null, as browsers send it) outside passwordless sign-in', async () => {
    const { factor, passkey } = await register();
    const { attemptState, options } = await begin(factor);
    const response = passkey.get(options, { origin: ORIGIN, userHandle: null });
    accepted(await verify(factor, { ...response, response: { ...response.response, userHandle: null } }, attemptState));
  });

  it('throws, rather than refusing, when the stored factor state is not a passkey: that is a fault of ours', async () => {
    const { factor, passkey } = await register();
    const { attemptState, options } = await begin(factor);
    const response = json(passkey.get(options, { origin: ORIGIN }));
    for (const state of [{}, { ...factor.state, publicKey: 42 }, { ...factor.state, counter: -1 }])
      await assert.rejects(
        verify({ ...factor, state }, response, attemptState),
        /stored factor state is not a passkey/,
      );
  });
});

describe('webauthn plugin: passwordless sign-in', () => {
  async function passwordless(passkey: SoftwarePasskey, factor: StoredFactor, knobs: Partial<GetKnobs> = {}) {
    const { attemptState, clientOptions } = await plugin.discoverable!.begin({ now });
    const response = json(
      passkey.get(clientOptions as unknown as PublicKeyCredentialRequestOptionsJSON, { origin: ORIGIN, ...knobs }),
    );
    return {
      attemptState,
      clientOptions,
      response,
      verdict: await verify(factor, response, attemptState, 'passwordless'),
    };
  }

  it('begins for any discoverable passkey, with user verification required', async () => {
    const { attemptState, clientOptions } = await plugin.discoverable!.begin({ now });
    const options = clientOptions as unknown as PublicKeyCredentialRequestOptionsJSON;
    assert.deepEqual(options.allowCredentials, []);
    assert.equal(options.userVerification, 'required');
    assert.equal(options.rpId, RP_ID);
    assert.deepEqual(attemptState, {
      ceremony: 'authentication',
      challenge: options.challenge,
      purpose: 'passwordless',
    });
  });

  it("names the factor by the response's credential id, and accepts a verified user with the owner's user handle", async () => {
    const { factor, passkey } = await register();
    const { response, verdict } = await passwordless(passkey, factor);
    assert.equal(plugin.discoverable!.lookupKey(response), passkey.credentialId);
    assert.equal(accepted(verdict).state?.counter, 1);
  });

  it("refuses it without a user handle, or with another user's", async () => {
    const { factor, passkey } = await register();
    const bobs = await register({}, { owner: bob });
    assert.deepEqual((await passwordless(passkey, factor, { userHandle: null })).verdict, REFUSED);
    const otherHandle = bobs.creation.user.id;
    assert.deepEqual((await passwordless(passkey, factor, { userHandle: otherHandle })).verdict, REFUSED);
  });

  it('refuses a passwordless attempt state for a sign-in, and a sign-in one for passwordless', async () => {
    const { factor, passkey } = await register();
    const { attemptState, response } = await passwordless(passkey, factor);
    assert.deepEqual(await verify(factor, response, attemptState, 'sign-in'), REFUSED);
    const signInAttempt = await begin(factor);
    const signInResponse = json(passkey.get(signInAttempt.options, { origin: ORIGIN }));
    assert.deepEqual(await verify(factor, signInResponse, signInAttempt.attemptState, 'passwordless'), REFUSED);
  });

  it('finds no lookup key in anything but a well-formed, canonical credential id', () => {
    const id = Buffer.alloc(32, 5).toString('base64url');
    assert.equal(plugin.discoverable!.lookupKey({ id, rawId: id }), id);
    // Garbage around a well-formed id still names it: the core then finds no factor, or verify refuses the rest.
    assert.equal(plugin.discoverable!.lookupKey({ id: 'AAAA', rawId: 'AAAA', response: null }), 'AAAA');
    const malformed = GARBAGE.filter((response) => (response as { id?: unknown } | null)?.id !== 'AAAA');
    for (const response of [
      ...malformed,
      { id },
      { id, rawId: `${id}A` },
      { id: 'AB', rawId: 'AB' },
      { id: `${id}=`, rawId: `${id}=` },
    ])
      assert.equal(plugin.discoverable!.lookupKey(response), undefined, JSON.stringify(response)?.slice(0, 80));
    const long = Buffer.alloc(1024).toString('base64url');
    assert.equal(plugin.discoverable!.lookupKey({ id: long, rawId: long }), undefined, 'longer than WebAuthn allows');
  });
});

const HUGE = 'A'.repeat(1_000_000);
/** What a client may send in place of a credential: JSON of every shape, and values past every limit. */
const GARBAGE: unknown[] = [
  null,
  undefined,
  0,
  -1,
  1e308,
  true,
  '',
  'a string',
  HUGE,
  [],
  [{}],
  {},
  { id: null },
  { id: 42, rawId: 42 },
  { id: 'not base64url!', rawId: 'not base64url!', type: 'public-key', response: {} },
  { id: HUGE, rawId: HUGE, type: 'public-key', response: {} },
  JSON.parse('{"__proto__": {"accepted": true}, "id": "AAAA", "rawId": "AAAA"}'),
  { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: null },
  { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: 'x' },
  { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: [] },
];

/** A genuine response with one value replaced. */
function withField(response: object, path: string[], value: unknown): unknown {
  const copy = json(response) as Record<string, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[path[path.length - 1]] = value;
  return copy;
}

const BAD_VALUES: unknown[] = [null, 0, -1, 1e308, true, '', ' ', '!!', 'A', 'AAAA', HUGE, [], {}, ['AAAA'], { a: 1 }];

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');

describe('webauthn plugin: garbage is refused, never thrown', () => {
  it('refuses every shape of garbage as a registration and as an assertion', async () => {
    const { factor } = await register();
    const { attemptState } = await begin(factor);
    const { activate } = await enrollment();
    for (const response of GARBAGE) {
      assert.deepEqual(await activate(response), REFUSED);
      assert.deepEqual(await verify(factor, response, attemptState), REFUSED);
    }
  });

  it('refuses a genuine assertion with any one field replaced by a bad value', async () => {
    const { factor, passkey } = await register();
    const { attemptState, options } = await begin(factor);
    const response = passkey.get(options, { origin: ORIGIN });
    const paths = [
      ['id'],
      ['rawId'],
      ['type'],
      ['response'],
      ['response', 'clientDataJSON'],
      ['response', 'authenticatorData'],
      ['response', 'signature'],
      ['response', 'userHandle'],
    ];
    for (const path of paths)
      for (const value of BAD_VALUES) {
        // A browser sends a null user handle when the authenticator returned none: allowed outside passwordless.
        if (path[1] === 'userHandle' && value === null) continue;
        assert.deepEqual(
          await verify(factor, withField(response, path, value), attemptState),
          REFUSED,
          `${path.join('.')} = ${String(value).slice(0, 20)}`,
        );
      }
    accepted(await verify(factor, json(response), attemptState));
  });

  it('refuses a genuine registration with any one field replaced by a bad value', async () => {
    const { creation, activate } = await enrollment();
    const response = new SoftwarePasskey().create(creation, { origin: ORIGIN });
    const paths = [
      ['id'],
      ['rawId'],
      ['type'],
      ['response'],
      ['response', 'clientDataJSON'],
      ['response', 'attestationObject'],
    ];
    for (const path of paths)
      for (const value of BAD_VALUES)
        assert.deepEqual(
          await activate(withField(response, path, value)),
          REFUSED,
          `${path.join('.')} = ${String(value).slice(0, 20)}`,
        );
    accepted(
      await activate(withField(response, ['response', 'transports'], HUGE)),
      'transports are hints: garbage ones are dropped',
    );
  });

  it('refuses well-formed base64url that decodes to nonsense', async () => {
    const { factor, passkey } = await register();
    const { attemptState, options } = await begin(factor);
    const response = passkey.get(options, { origin: ORIGIN });
    const clientData = (value: unknown) => b64(JSON.stringify(value));
    const nonsense: [string[], string][] = [
      [['response', 'clientDataJSON'], b64('not json')],
      [['response', 'clientDataJSON'], clientData([1, 2])],
      [['response', 'clientDataJSON'], clientData({ type: 'webauthn.get', challenge: 1, origin: ORIGIN })],
      [
        ['response', 'clientDataJSON'],
        clientData({ type: 'webauthn.get', challenge: options.challenge, origin: ORIGIN, topOrigin: ORIGIN }),
      ],
      [['response', 'authenticatorData'], b64(Buffer.alloc(36))],
      [['response', 'authenticatorData'], b64(Buffer.alloc(37, 0xff))],
      [['response', 'authenticatorData'], b64(Buffer.alloc(15_000, 0xc5))],
      [['response', 'signature'], b64(Buffer.alloc(72, 0x30))],
      [['response', 'signature'], b64(Buffer.alloc(64))],
    ];
    for (const [path, value] of nonsense)
      assert.deepEqual(
        await verify(factor, withField(response, path, value), attemptState),
        REFUSED,
        `${path.join('.')} = ${value.slice(0, 30)}`,
      );

    const { creation, activate } = await enrollment();
    const registration = new SoftwarePasskey().create(creation, { origin: ORIGIN });
    const cborNumber = b64(Buffer.from([0x18, 0x2a]));
    const truncated = registration.response.attestationObject.slice(0, -20);
    const packedWithoutStatement = b64(
      Buffer.from(registration.response.attestationObject, 'base64url').toString('latin1').replace('none', 'tpm!'),
    );
    for (const attestationObject of [
      b64('garbage'),
      cborNumber,
      truncated,
      packedWithoutStatement,
      b64(Buffer.alloc(15_000, 0xbf)),
    ])
      assert.deepEqual(
        await activate(withField(registration, ['response', 'attestationObject'], attestationObject)),
        REFUSED,
      );
    accepted(await activate(json(registration)));
  });
});

describe('webauthn plugin: settings', () => {
  const settings = (overrides: Partial<FactorPluginOptions>) => webauthnSettings(pluginOptions(overrides));

  it('defaults to PUBLIC_URL: its host as RP ID, its origin, and MFA_ISSUER as RP name', () => {
    assert.deepEqual(settings({ publicUrl: 'https://MFA.Example.com:443/auth/' }), {
      rpId: 'mfa.example.com',
      origins: ['https://mfa.example.com'],
      rpName: 'mfa-graphql test',
    });
  });

  it('takes WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS (comma-separated) and WEBAUTHN_RP_NAME', () => {
    assert.deepEqual(
      settings({
        settings: {
          RP_ID: 'Example.com',
          ORIGINS: 'https://example.com, https://login.example.com:8443/',
          RP_NAME: ' ACME ',
        },
      }),
      { rpId: 'example.com', origins: ['https://example.com', 'https://login.example.com:8443'], rpName: 'ACME' },
    );
    assert.deepEqual(
      settings({ publicUrl: 'http://localhost:4000' }).origins,
      ['http://localhost:4000'],
      'http on localhost',
    );
    assert.deepEqual(settings({ publicUrl: 'http://mfa.test', production: false }).origins, ['http://mfa.test']);
  });

  it('accepts passkeys from every listed origin, and only from those', async () => {
    const on = webauthnFactor(
      pluginOptions({ settings: { RP_ID: 'example.com', ORIGINS: 'https://a.example.com,https://b.example.com' } }),
    );
    for (const origin of ['https://a.example.com', 'https://b.example.com']) {
      const { creation, activate } = await enrollment(alice, on);
      assert.equal(creation.rp.id, 'example.com');
      accepted(await activate(json(new SoftwarePasskey().create(creation, { origin }))));
    }
    const { creation, activate } = await enrollment(alice, on);
    assert.deepEqual(
      await activate(json(new SoftwarePasskey().create(creation, { origin: 'https://example.com' }))),
      REFUSED,
    );
  });

  const wrong: [string, Partial<FactorPluginOptions>, RegExp][] = [
    ['an origin with a path', { settings: { ORIGINS: 'https://mfa.example.com/login' } }, /path, query or fragment/],
    ['an origin with a query', { settings: { ORIGINS: 'https://mfa.example.com?x' } }, /path, query or fragment/],
    ['an origin that is not http(s)', { settings: { ORIGINS: 'ftp://mfa.example.com' } }, /not an http\(s\) URL/],
    ['an origin that is not a URL', { settings: { ORIGINS: 'mfa.example.com' } }, /not a URL/],
    ['an origin with credentials', { settings: { ORIGINS: 'https://u:p@mfa.example.com' } }, /credentials/],
    ['an empty origin', { settings: { ORIGINS: 'https://mfa.example.com,' } }, /empty entry/],
    [
      'an origin off the RP ID',
      { settings: { RP_ID: 'example.com', ORIGINS: 'https://evilexample.com' } },
      /not on the RP ID/,
    ],
    [
      'an RP ID that is not the host or a parent of it',
      { settings: { RP_ID: 'other.example.com' } },
      /not on the RP ID/,
    ],
    ['a top-level RP ID', { settings: { RP_ID: 'com' } }, /top-level domain/],
    ['an IP address as RP ID', { publicUrl: 'https://127.0.0.1' }, /IP address/],
    ['an RP ID that is no domain name', { settings: { RP_ID: 'exa mple.com' } }, /not a domain name/],
    ['an http origin in production', { publicUrl: 'http://mfa.example.com' }, /not https, which production requires/],
    ['an unknown setting', { settings: { ORIGIN: 'https://mfa.example.com' } }, /unknown setting WEBAUTHN_ORIGIN\b/],
    ['an empty RP name', { settings: { RP_NAME: '  ' } }, /WEBAUTHN_RP_NAME/],
    ['no PUBLIC_URL and no origins', { publicUrl: undefined }, /PUBLIC_URL is not set/],
  ];
  for (const [name, overrides, message] of wrong) {
    it(`refuses to start with ${name}`, () => {
      assert.throws(
        () => webauthnFactor(pluginOptions(overrides)),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.match(error.message, /^webauthn factor: /);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }
});
