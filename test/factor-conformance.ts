import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Types } from 'mongoose';
import type { StartOptions } from '../src/app.js';
import type { FactorPlugin, FactorPluginOptions } from '../src/plugin-kit.js';
import {
  AuditEventsDocument,
  FactorTypesDocument,
  LoginDocument,
  MeDocument,
  MyMfaDocument,
} from './generated/graphql.js';
import { TEST_PASSWORD } from './support/accounts.js';
import { FactorClient, type Attempt, type Authenticator, type FactorAnswer } from './support/factor-client.js';
import {
  NULL_MAIL_SENDER,
  codePatternOf,
  databaseContains,
  instrumentPlugin,
  jsonBytes,
  objectTypeName,
  typeShape,
  type InstrumentedPlugin,
} from './support/factor-probe.js';
import { TestClock } from './support/mfa.js';
import {
  LIFTED_DELIVERY_CAPS,
  errorCode,
  startTestApp,
  type GraphQLResponse,
  type TestApp,
} from './support/test-app.js';

/*
 * The package's "./testing" export: the conformance suite every factor plugin, ours and third parties', must pass.
 * A plugin author gives the plugin and an Authenticator (the user's side of the factor: `codeAuthenticator` over a
 * CodeSource for typed codes, `passkeyAuthenticator` for WebAuthn, or their own).
 */
export {
  codeAuthenticator,
  type Attempt,
  type AttemptContext,
  type Authenticator,
  type CodeContext,
  type CodeSource,
  type ConformanceUser,
  type FactorAnswer,
  type FactorContext,
} from './support/factor-client.js';
export { passkeyAuthenticator, type PasskeyAuthenticatorOptions } from './support/passkey-authenticator.js';
export type { EnrollmentDetailsJson } from './support/factor-probe.js';
export type { TestApp } from './support/test-app.js';
export type { TestClock } from './support/mfa.js';

export interface FactorConformanceOptions {
  /**
   * The plugin under test. A string is a FACTOR_PLUGINS entry (a module path, a package name or a built-in name),
   * loaded by the app as a deployment loads it, with its `<NAME>_<KEY>` settings from `env`; a factory gets the app's
   * options (issuer, the mail queue's sender, PUBLIC_URL) as loaded plugins do.
   */
  plugin: string | FactorPlugin | ((options: FactorPluginOptions) => FactorPlugin);
  /** @default `factor plugin conformance: <type, or the FACTOR_PLUGINS entry>` */
  name?: string;
  /** The user's side of the factor: answers enrollments and attempts. */
  authenticator: Authenticator;
  /** Environment for the app under test (see src/config), e.g. PUBLIC_URL for a WebAuthn origin. */
  env?: Record<string, string>;
  /** Runs before the app starts (e.g. an SMTP sink that captures codes); may return more environment for it. */
  setup?(): void | Record<string, string> | Promise<void | Record<string, string>>;
  /** Runs after the app stopped. */
  teardown?(): void | Promise<void>;
  /** Mail queue settings for the app, e.g. one delivery at a time so mails arrive in the order they were sent. */
  mailSettings?: StartOptions['mailSettings'];
}

/** Lifetimes and limits the same for every factor type, written out here, not read from the plugin or the core, so a change to either shows. */
const ENROLLMENT_TOKEN_TTL_MS = 10 * 60_000;
const MFA_TOKEN_TTL_MS = 5 * 60_000;
const STEP_UP_AGE_MS = 5 * 60_000;
const FAILURES_BEFORE_LOCKOUT = 5;
const PARALLEL_REQUESTS = 20;

/** Strings no code factor's pattern may accept: codes are checked only in their exact form. */
const NON_CODES = [
  '',
  ' ',
  'abc',
  '１２３４５６',
  '١٢٣٤٥٦',
  '12345６',
  ' 123456',
  '123456 ',
  '123456\n',
  '\u0000'.repeat(6),
  'x'.repeat(64),
  "' OR 1=1 --",
];
/**
 * Malformed variants of a real code: what a core that trims or normalizes input beyond its one rule (ASCII spaces
 * and one dash out) would let through.
 */
const malformedVariants = (code: string) => [
  `\t${code}`,
  `${code}\n`,
  `\u00A0${code}`,
  `${code.slice(0, 2)}\u2009${code.slice(2)}`,
  `${code.slice(0, 2)}-${code.slice(2, 4)}-${code.slice(4)}`,
  `${code.slice(0, 3)}\u2010${code.slice(3)}`,
  fullWidth(code),
];
/** A code as an authenticator app or a mail may show it: halves apart, with a space or a dash. */
const grouped = (code: string, separator: string) =>
  `${code.slice(0, code.length / 2)}${separator}${code.slice(code.length / 2)}`;

/**
 * One suite every factor plugin must pass (like Lucia's adapter test suite): starts the whole service with only
 * this plugin and drives it over the public GraphQL API, as a generic client would (beginMfa before every proof),
 * with the authenticator's answers. Checks of the response's form follow the plugin's responseLimits.kind.
 */
export function testFactorPlugin(options: FactorConformanceOptions): void {
  const title = options.name ?? `factor plugin conformance: ${pluginName(options.plugin)}`;

  describe(title, () => {
    const clock = new TestClock();
    const authenticator = options.authenticator;
    let app: TestApp;
    let client: FactorClient;
    let plugin: FactorPlugin;
    let spy: InstrumentedPlugin;
    let detailsTypeName: string;

    before(async () => {
      // The service's caps per destination and client address hold for every plugin alike (mail-caps.security.test.ts);
      // lifted here, so that the plugin's own limits are what this suite meets.
      const env = { ...LIFTED_DELIVERY_CAPS, ...options.env, ...((await options.setup?.()) ?? {}) };
      const given = options.plugin;
      const wrapFactorPlugins = (plugins: FactorPlugin[]) => {
        assert.equal(plugins.length, 1, 'the suite runs one plugin at a time');
        plugin = plugins[0];
        spy = instrumentPlugin(plugin);
        return [spy.plugin];
      };
      app =
        typeof given === 'string'
          ? await startTestApp(
              { ...env, FACTOR_PLUGINS: given },
              { clock: clock.now, wrapFactorPlugins, mailSettings: options.mailSettings },
            )
          : await startTestApp(env, {
              clock: clock.now,
              factorPlugins: (pluginOptions) => [typeof given === 'function' ? given(pluginOptions) : given],
              wrapFactorPlugins,
              mailSettings: options.mailSettings,
            });
      const name = objectTypeName(plugin.detailsType);
      assert.ok(name, 'detailsType must be a class decorated with @ObjectType');
      detailsTypeName = name;
      client = await FactorClient.connect(app, clock, plugin, authenticator, detailsTypeName);
    });
    after(async () => {
      await app?.stop();
      await options.teardown?.();
    });

    it('has the contract shape: type id, displayName, assurance, response limits, a details object type; the server lists it', async () => {
      assert.match(plugin.type, /^[a-z][a-z0-9-]{0,31}$/, 'type: lowercase letters, digits and dashes');
      assert.ok(
        typeof plugin.displayName === 'string' &&
          plugin.displayName.length > 0 &&
          plugin.displayName.trim() === plugin.displayName,
        'displayName',
      );
      assert.ok(['possession', 'phishing-resistant'].includes(plugin.assurance), `assurance ${plugin.assurance}`);
      const limits = plugin.responseLimits;
      if (limits.kind === 'code') {
        const pattern = limits.pattern;
        assert.ok(pattern instanceof RegExp, 'responseLimits.pattern is a RegExp');
        assert.ok(!pattern.global && !pattern.sticky, 'a g or y flag makes pattern.test() depend on the previous call');
        for (const code of NON_CODES)
          assert.equal(pattern.test(code), false, `the pattern accepts the non-code ${JSON.stringify(code)}`);
      } else {
        assert.equal(limits.kind, 'json', 'responseLimits.kind is "code" or "json"');
        assert.ok(Number.isInteger(limits.maxBytes) && limits.maxBytes > 0, 'responseLimits.maxBytes');
      }
      assert.ok(typeof plugin.detailsType === 'function' && plugin.detailsType.prototype, 'detailsType is a class');
      assert.equal(typeof plugin.enroll, 'function');
      assert.equal(typeof plugin.verify, 'function');
      for (const hook of ['begin', 'activate', 'parseEnrollmentInput', 'destination', 'provenEmail'] as const)
        assert.ok(plugin[hook] === undefined || typeof plugin[hook] === 'function', `${hook} is an optional hook`);
      if (plugin.delivery)
        assert.equal(
          typeof plugin.destination,
          'function',
          'a plugin that delivers codes names their destination, for the per-destination cap',
        );
      if (plugin.discoverable)
        assert.ok(
          typeof plugin.discoverable.begin === 'function' && typeof plugin.discoverable.lookupKey === 'function',
          'discoverable sign-in has begin and lookupKey',
        );

      const user = await client.newUser();
      const types = await app.graphql(FactorTypesDocument, { token: user.accessToken });
      assert.deepEqual(types.data?.factorTypes, [
        { type: plugin.type, displayName: plugin.displayName, allowed: true },
      ]);
      const union = await typeShape(app, 'EnrollmentDetails');
      assert.deepEqual(
        union?.possibleTypes?.map((type) => type.name),
        [detailsTypeName],
        'the details type is the EnrollmentDetails member',
      );
    });

    it('enrolls: enableMfa → PENDING → acceptMfa → ACTIVE, signs in, steps up, and is removed, each after beginMfa', async () => {
      const user = await client.newUser();
      const factor = await client.enable(user);
      assert.equal(factor.details.__typename, detailsTypeName);
      const enrolled = spy.enrollments.find((entry) => entry.ownerId === user.id);
      assert.ok(
        enrolled?.enrollment.details instanceof plugin.detailsType,
        'enroll returns an instance of detailsType',
      );
      assert.ok(factor.scratchCodes.length > 0, 'a first factor comes with recovery codes');
      const pending = (await app.graphql(MyMfaDocument, { token: user.accessToken })).data!.me!;
      assert.deepEqual(
        [pending.mfaEnabled, pending.factors.map((f) => [f.id, f.type, f.status])],
        [false, [[factor.factorId, plugin.type, 'PENDING']]],
      );

      const accepted = await client.accept(factor, await client.enrollmentAnswer(factor));
      assert.deepEqual(
        [accepted.data?.acceptMfa.id, accepted.data?.acceptMfa.status],
        [factor.factorId, 'ACTIVE'],
        JSON.stringify(accepted.errors),
      );
      const active = (await app.graphql(MyMfaDocument, { token: user.accessToken })).data!.me!;
      assert.deepEqual(
        [active.mfaEnabled, active.mfaPolicyStatus, active.factors.map((f) => f.status)],
        [true, 'ENABLED', ['ACTIVE']],
      );

      const login = await app.graphql(LoginDocument, {
        variables: { input: { username: user.username, password: TEST_PASSWORD } },
      });
      assert.equal(login.data?.login.accessToken, null, 'with MFA on, login never returns a session');
      assert.deepEqual(
        login.data?.login.factors?.map((f) => [f.id, f.type]),
        [[factor.factorId, plugin.type]],
      );
      const mfaToken = login.data.login.mfaToken!;
      const session = assertSignedIn(await client.verify(mfaToken, factor, await client.freshAnswer(factor, mfaToken)));
      assert.equal((await app.graphql(MeDocument, { token: session })).data?.me?.username, user.username);
      const stepUp = await client.stepUp(session, factor, (await client.attempt(factor, { session })).answer);
      assert.equal(stepUp.data?.stepUp, true, JSON.stringify(stepUp.errors));
      const disabled = await client.disable(session, factor, (await client.attempt(factor, { session })).answer);
      assert.deepEqual(
        [disabled.data?.disableMfa.factors, disabled.data?.disableMfa.mfaPolicyStatus],
        [[], 'DISABLED'],
        JSON.stringify(disabled.errors),
      );
    });

    it("refuses wrong responses with INVALID_CODE: at acceptMfa (5 end the token), at sign-in, and another user's", async () => {
      const user = await client.newUser();
      const doomed = await client.enable(user);
      const doomedAnswer = await client.enrollmentAnswer(doomed);
      for (let i = 0; i < 5; i++)
        assert.equal(
          errorCode(await client.accept(doomed, await client.wrongAnswer(doomed, doomedAnswer))),
          'INVALID_CODE',
        );
      assert.equal(
        errorCode(await client.accept(doomed, doomedAnswer)),
        'TOKEN_EXPIRED',
        'an enrollment token dies after 5 wrong responses',
      );

      const factor = await client.enable(user);
      const valid = await client.enrollmentAnswer(factor);
      assert.equal(errorCode(await client.accept(factor, await client.wrongAnswer(factor, valid))), 'INVALID_CODE');
      assert.equal(
        (await app.graphql(MyMfaDocument, { token: user.accessToken })).data!.me!.factors[0].status,
        'PENDING',
      );
      assertAccepted(await client.accept(factor, valid));

      // Another user's answer is taken first: taking it moves the clock, which must not age this user's.
      const other = await client.enroll(await client.newUser());
      const othersAnswer = await client.freshAnswer(other);
      const mfaToken = await client.logIn(user);
      const attempt = await client.attempt(factor, { mfaToken });
      assert.equal(
        errorCode(await client.verify(mfaToken, factor, await client.wrongAnswer(attempt, attempt.answer))),
        'INVALID_CODE',
      );
      assert.equal(
        errorCode(await client.verify(mfaToken, factor, othersAnswer)),
        'INVALID_CODE',
        "another user's response",
      );
      assertSignedIn(
        await client.verify(mfaToken, factor, attempt.answer),
        'a wrong response leaves the attempt usable',
      );
    });

    it('expires the enrollment token after 10 minutes and the mfaToken after 5', async () => {
      const user = await client.newUser();
      const late = await client.enable(user);
      clock.advance(ENROLLMENT_TOKEN_TTL_MS + 1000);
      assert.equal(errorCode(await client.accept(late, await client.enrollmentAnswer(late))), 'TOKEN_EXPIRED');
      const factor = await client.enable(user);
      clock.advance(ENROLLMENT_TOKEN_TTL_MS - 1000);
      assertAccepted(await client.accept(factor, await client.enrollmentAnswer(factor)));

      const stale = await client.logIn(user);
      clock.advance(MFA_TOKEN_TTL_MS + 1000);
      assert.equal(errorCode(await client.begin(factor, { mfaToken: stale })), 'TOKEN_EXPIRED', 'beginMfa');
      const mfaToken = await client.logIn(user);
      const { answer } = await client.attempt(factor, { mfaToken });
      assert.equal(errorCode(await client.verify(stale, factor, answer)), 'TOKEN_EXPIRED', 'verifyMfa');
      assertSignedIn(
        await client.verify(mfaToken, factor, answer),
        'a response refused with an expired mfaToken is not spent',
      );
    });

    it('accepts each response once: not the accepting one at sign-in, not a sign-in one twice', async () => {
      const factor = await client.enroll(await client.newUser());
      const mfaToken = await client.logIn(factor.user);
      assert.equal(
        errorCode(await client.verify(mfaToken, factor, factor.accepted)),
        'INVALID_CODE',
        'the response that confirmed the enrollment cannot sign in',
      );
      const { answer } = await client.attempt(factor, { mfaToken });
      assert.equal(
        errorCode(await client.verify(mfaToken, factor, factor.accepted)),
        'INVALID_CODE',
        'nor answer a begun sign-in',
      );
      const session = assertSignedIn(await client.verify(mfaToken, factor, answer));
      assert.equal(
        errorCode(await client.verify(await client.logIn(factor.user), factor, answer)),
        'INVALID_CODE',
        'a sign-in response cannot sign in again',
      );
      await client.attempt(factor, { session }); // a step-up begun, and answered with the old response
      assert.equal(errorCode(await client.stepUp(session, factor, answer)), 'INVALID_CODE', 'nor prove a step-up');
    });

    it(`accepts one response once under ${PARALLEL_REQUESTS} parallel requests: acceptMfa, verifyMfa with many mfaTokens, with one`, async () => {
      const user = await client.newUser();
      const factor = await client.enable(user);
      const enrollmentAnswer = await client.enrollmentAnswer(factor);
      const accepts = await parallel(() => client.accept(factor, enrollmentAnswer));
      // A factor named by its response (a passkey's credential id) may also be refused as registered already, by the winner.
      const acceptRefusals = ['INVALID_CODE', 'TOKEN_EXPIRED', ...(isJson(plugin) ? ['BAD_USER_INPUT'] : [])];
      assertExactlyOne(accepts, (data) => data.acceptMfa.status === 'ACTIVE', acceptRefusals);
      assert.deepEqual(
        (await app.graphql(MyMfaDocument, { token: user.accessToken })).data!.me!.factors.map((f) => f.status),
        ['ACTIVE'],
      );

      const mfaTokens: string[] = [];
      // One by one: parallel password attempts would meet the login throttle.
      for (let i = 0; i < PARALLEL_REQUESTS; i++) mfaTokens.push(await client.logIn(user));
      const { answer } = await client.attempt(factor, { mfaToken: mfaTokens[0] });
      const verifies = await Promise.all(mfaTokens.map((mfaToken) => client.verify(mfaToken, factor, answer)));
      const refusals = ['INVALID_CODE', 'TOO_MANY_ATTEMPTS'];
      if (isJson(plugin)) {
        // A structured response answers the attempt it was begun for (a passkey signs that sign-in's challenge): only
        // its own sign-in may take it, and the lockout's five reservations may all go to the others first.
        assertAtMostOne(verifies, (data) => Boolean(data.verifyMfa.accessToken), refusals);
        assert.ok(
          verifies.slice(1).every((response) => !response.data?.verifyMfa.accessToken),
          'a response begun for one sign-in finished another',
        );
      } else assertExactlyOne(verifies, (data) => Boolean(data.verifyMfa.accessToken), refusals);

      const other = await client.enroll(await client.newUser());
      const mfaToken = await client.logIn(other.user);
      const otherAnswer = await client.freshAnswer(other, mfaToken);
      const sameToken = await parallel(() => client.verify(mfaToken, other, otherAnswer));
      assertExactlyOne(sameToken, (data) => Boolean(data.verifyMfa.accessToken), [
        'INVALID_CODE',
        'TOKEN_EXPIRED',
        'TOO_MANY_ATTEMPTS',
      ]);
    });

    it('counts wrong responses: 5 lock the user, for valid responses and recovery codes alike, until the lock ends', async () => {
      const factor = await client.enroll(await client.newUser());
      const mfaToken = await client.logIn(factor.user);
      const attempt = await client.attempt(factor, { mfaToken });
      const wrong = await client.wrongAnswer(attempt, attempt.answer);
      for (let i = 0; i < FAILURES_BEFORE_LOCKOUT; i++) {
        const refused = await client.verify(mfaToken, factor, wrong);
        assert.deepEqual(
          [errorCode(refused), refused.errors?.[0]?.extensions?.attemptsRemaining],
          ['INVALID_CODE', FAILURES_BEFORE_LOCKOUT - 1 - i],
          `wrong response ${i + 1}`,
        );
      }
      const locked = await client.verify(mfaToken, factor, attempt.answer);
      assert.equal(errorCode(locked), 'TOO_MANY_ATTEMPTS', 'a valid response during the lockout');
      const retryAfterSeconds = locked.errors![0].extensions!.retryAfterSeconds;
      assert.ok(
        typeof retryAfterSeconds === 'number' && retryAfterSeconds > 0,
        `retryAfterSeconds: ${String(retryAfterSeconds)}`,
      );
      assert.equal(
        errorCode(await client.verifyRecoveryCode(mfaToken, factor.scratchCodes[0])),
        'TOO_MANY_ATTEMPTS',
        'a recovery code during the lockout',
      );

      clock.advance(retryAfterSeconds * 1000 + 1000);
      assertSignedIn(
        await client.verify(mfaToken, factor, await client.freshAnswer(factor, mfaToken)),
        'a fresh response once the lock ended',
      );
      const recovery = await client.verifyRecoveryCode(await client.logIn(factor.user), factor.scratchCodes[0]);
      assertSignedIn(recovery, 'the recovery code refused during the lockout was not spent');
    });

    it('adds a second factor of the type after a step-up, and both work (multiplePerUser); or refuses it (ALREADY_ENABLED)', async () => {
      const user = await client.newUser();
      const first = await client.enroll(user);
      if (!plugin.multiplePerUser) {
        assert.equal(errorCode(await client.tryEnable(user)), 'ALREADY_ENABLED', 'one factor of the type per user');
        return;
      }
      clock.advance(STEP_UP_AGE_MS + 1000); // the proof of the first enrollment ages
      assert.equal(errorCode(await client.tryEnable(user)), 'STEP_UP_REQUIRED', 'adding a factor needs a fresh proof');
      const stepUp = await client.stepUp(user.accessToken, first, (await client.attempt(first)).answer);
      assert.equal(stepUp.data?.stepUp, true, JSON.stringify(stepUp.errors));
      const second = await client.enroll(user);
      assert.notEqual(second.factorId, first.factorId);
      assert.equal(second.scratchCodes.length, 0, 'recovery codes come with the first factor only');
      const mine = (await app.graphql(MyMfaDocument, { token: user.accessToken })).data!.me!;
      assert.deepEqual(
        mine.factors.map((f) => [f.id, f.type, f.status]).sort(),
        [
          [first.factorId, plugin.type, 'ACTIVE'],
          [second.factorId, plugin.type, 'ACTIVE'],
        ].sort(),
      );
      for (const factor of [second, first]) {
        const mfaToken = await client.logIn(user);
        assertSignedIn(
          await client.verify(mfaToken, factor, await client.freshAnswer(factor, mfaToken)),
          `signs in with ${factor === first ? 'the first' : 'the second'}`,
        );
      }
      const mfaToken = await client.logIn(user);
      const { answer } = await client.attempt(first, { mfaToken });
      assert.equal(
        errorCode(await client.verify(mfaToken, second, answer)),
        'INVALID_CODE',
        "one factor's response does not prove the other",
      );
    });

    it('never returns the secret after enrollment, and stores it sealed (or nothing, when the plugin keeps none)', async () => {
      const user = await client.newUser();
      const factor = await client.enable(user);
      const pluginSecret = spy.enrollments.find((entry) => entry.ownerId === user.id)?.enrollment.secret;
      const secrets = [pluginSecret, authenticator.secret?.(factor.details)].filter(
        (secret): secret is string => typeof secret === 'string',
      );
      for (const secret of secrets)
        assert.ok(secret.length >= 16, `a secret of ${secret.length} characters is too short to search for`);

      const responses: unknown[] = [await client.accept(factor, await client.enrollmentAnswer(factor))];
      responses.push(
        await app.graphql(MyMfaDocument, { token: user.accessToken }),
        await app.graphql(MeDocument, { token: user.accessToken }),
      );
      const login = await app.graphql(LoginDocument, {
        variables: { input: { username: user.username, password: TEST_PASSWORD } },
      });
      const mfaToken = login.data!.login.mfaToken!;
      const attempt = await client.attempt(factor, { mfaToken });
      const verified = await client.verify(mfaToken, factor, attempt.answer);
      const session = assertSignedIn(verified);
      responses.push(login, attempt.context.challenge, verified, await app.graphql(MyMfaDocument, { token: session }));
      responses.push(await app.graphql(AuditEventsDocument, { token: session, variables: { userId: user.id } }));
      const record = await app.database.connection
        .collection('factors')
        .findOne({ _id: new Types.ObjectId(factor.factorId) });
      assert.ok(record, 'the factor record');
      if (pluginSecret === undefined)
        assert.equal(record.secret, undefined, 'a plugin that keeps no secret has none stored');
      else assert.ok(record.secret && typeof record.secret !== 'string', 'the factor record holds the secret sealed');
      for (const secret of secrets) {
        assert.ok(!JSON.stringify(responses).includes(secret), 'a response after enrollment contains the secret');
        assert.equal(
          await databaseContains(app.database.connection, secret),
          false,
          'the database holds the secret in plaintext',
        );
        assert.ok(!app.logLines.join('').includes(secret), 'a log line contains the secret');
      }
    });

    it("checks a response's form before the plugin sees it, by responseLimits.kind", async (t) => {
      if (plugin.responseLimits.kind === 'code') {
        await t.test(
          'code: takes ASCII spaces and one dash out before the form check; a wrong one still counts once',
          () => spacedCodes(),
        );
        await t.test('code: never hands a malformed code to verify: each is a failed attempt', () => malformedCodes());
      } else {
        await t.test(
          'json: null fields, wrong shapes and wrong kinds are failed attempts or bad input, never a crash',
          (t) => malformedResponses(t),
        );
        await t.test(
          'json: a response over maxBytes is BAD_USER_INPUT everywhere, counts nothing, never reaches the plugin',
          () => oversizedResponses(),
        );
      }
    });

    async function spacedCodes() {
      const user = await client.newUser();
      const factor = await client.enable(user);
      const enrollmentCode = codeOf(await client.enrollmentAnswer(factor));
      assertAccepted(await client.accept(factor, { code: ` ${grouped(enrollmentCode, ' ')} ` }));
      const mfaToken = await client.logIn(user);
      const attempt = await client.attempt(factor, { mfaToken });
      const code = codeOf(attempt.answer);
      assert.equal(
        errorCode(await client.verify(mfaToken, factor, { response: code })),
        'BAD_USER_INPUT',
        'a JSON response to a code factor',
      );
      const wrongCode = codeOf(await client.wrongAnswer(attempt, attempt.answer));
      const wrong = await client.verify(mfaToken, factor, { code: grouped(wrongCode, ' - ') });
      assert.deepEqual(
        [errorCode(wrong), wrong.errors?.[0]?.extensions?.attemptsRemaining],
        ['INVALID_CODE', FAILURES_BEFORE_LOCKOUT - 1],
        'a spaced wrong code is one attempt (and the JSON response none)',
      );
      assertSignedIn(await client.verify(mfaToken, factor, { code: grouped(code, '-') }), 'a dashed code signs in');
    }

    async function malformedCodes() {
      const pattern = codePatternOf(plugin);
      const user = await client.newUser();
      let factor = await client.enable(user);
      const malformed = [...NON_CODES, ...malformedVariants(codeOf(await client.enrollmentAnswer(factor)))];
      for (const code of malformed)
        assert.equal(pattern.test(code), false, `the pattern accepts ${JSON.stringify(code)}`);
      const seen = spy.verifiedCodes.length;
      // Four at a time: a fifth failure would end the enrollment token or lock the user.
      const batches = Array.from({ length: Math.ceil(malformed.length / 4) }, (_, i) =>
        malformed.slice(4 * i, 4 * i + 4),
      );
      for (const [i, batch] of batches.entries()) {
        if (i > 0) factor = await client.enable(user);
        for (const code of batch)
          assert.equal(
            errorCode(await client.accept(factor, { code })),
            'INVALID_CODE',
            `acceptMfa ${JSON.stringify(code)}`,
          );
      }
      assertAccepted(await client.accept(factor, await client.enrollmentAnswer(factor)));
      client.renewSendAllowance(); // 5 enrollments so far, 6 sign-ins to come
      for (const batch of batches) {
        const mfaToken = await client.logIn(user);
        for (const code of batch)
          assert.equal(
            errorCode(await client.verify(mfaToken, factor, { code })),
            'INVALID_CODE',
            `verifyMfa ${JSON.stringify(code)}`,
          );
        assertSignedIn(await client.verify(mfaToken, factor, await client.freshAnswer(factor, mfaToken)));
      }
      const mfaToken = await client.logIn(user);
      for (const code of malformed.slice(0, FAILURES_BEFORE_LOCKOUT))
        assert.equal(errorCode(await client.verify(mfaToken, factor, { code })), 'INVALID_CODE');
      const afterwards = await client.verify(mfaToken, factor, await client.freshAnswer(factor, mfaToken));
      assert.equal(errorCode(afterwards), 'TOO_MANY_ATTEMPTS', 'malformed codes count as failed attempts');

      assert.deepEqual(
        spy.verifiedCodes.slice(seen).filter((code) => malformed.includes(code)),
        [],
        'verify saw a malformed code',
      );
      assert.deepEqual(
        spy.verifiedCodes.filter((code) => !pattern.test(code)),
        [],
        'verify saw a code its pattern refuses',
      );
      assert.equal(
        spy.verifiedResponses.filter((response) => typeof response !== 'string').length,
        0,
        'verify saw a response that is no code',
      );
    }

    /**
     * Every mutation of a valid response (a field null, of another type, garbage or left out; the whole of it
     * replaced) at acceptMfa and verifyMfa. Each is INVALID_CODE counted once, or BAD_USER_INPUT counted not at all;
     * a field the plugin may go without (an optional one) may leave the response valid, and it is then accepted.
     */
    async function malformedResponses(t: TestContext) {
      const maxBytes = jsonMaxBytes(plugin);
      const acceptedAnyway: string[] = [];

      let user = await client.newUser();
      let factor = await client.enable(user);
      let failures = 0;
      for (const mutation of jsonMutations(responseOf(await client.enrollmentAnswer(factor)))) {
        const sent = await client.accept(factor, mutation.apply(responseOf(await client.enrollmentAnswer(factor))));
        if (sent.data?.acceptMfa.status === 'ACTIVE') {
          assert.ok(!mutation.whole, `acceptMfa took ${mutation.name}`);
          acceptedAnyway.push(`acceptMfa ${mutation.name}`);
          user = await client.newUser();
          factor = await client.enable(user);
          failures = 0;
          continue;
        }
        if (refusedAsMalformed(sent, failures, `acceptMfa ${mutation.name}`)) failures++;
        if (failures === FAILURES_BEFORE_LOCKOUT - 1) {
          factor = await client.enable(user);
          failures = 0;
        }
      }

      const active = await client.enroll(await client.newUser());
      let mfaToken = '';
      let attempt: Attempt | undefined;
      const restart = async () => {
        mfaToken = await client.logIn(active.user);
        attempt = await client.attempt(active, { mfaToken });
        failures = 0;
      };
      await restart();
      for (const mutation of jsonMutations(responseOf(attempt!.answer))) {
        const sent = await client.verify(mfaToken, active, mutation.apply(responseOf(attempt!.answer)));
        if (sent.data?.verifyMfa.accessToken) {
          assert.ok(!mutation.whole, `verifyMfa took ${mutation.name}`);
          acceptedAnyway.push(`verifyMfa ${mutation.name}`);
          await restart();
          continue;
        }
        if (refusedAsMalformed(sent, failures, `verifyMfa ${mutation.name}`)) failures++;
        if (failures === FAILURES_BEFORE_LOCKOUT - 1) {
          assertSignedIn(
            await client.verify(mfaToken, active, attempt!.answer),
            'the valid response, after malformed ones',
          );
          await restart();
        }
      }
      if (acceptedAnyway.length > 0) t.diagnostic(`valid without the mutated field: ${acceptedAnyway.join('; ')}`);
      assert.deepEqual(
        spy.verifiedResponses.filter((response) => jsonBytes(response) > maxBytes),
        [],
        'verify saw a response over maxBytes',
      );
    }

    /** A response just over maxBytes: refused as input before an attempt is reserved, at every mutation taking one. */
    async function oversizedResponses() {
      const maxBytes = jsonMaxBytes(plugin);
      const oversized = (answer: FactorAnswer): FactorAnswer => {
        const response = responseOf(answer);
        const padding = 'x'.repeat(maxBytes);
        return { response: isRecord(response) ? { ...response, padding } : [response, padding] };
      };
      const user = await client.newUser();
      const factor = await client.enable(user);
      const valid = await client.enrollmentAnswer(factor);
      assert.equal(errorCode(await client.accept(factor, oversized(valid))), 'BAD_USER_INPUT', 'acceptMfa');
      const wrong = await client.accept(factor, await client.wrongAnswer(factor, valid));
      assert.deepEqual(
        [errorCode(wrong), wrong.errors?.[0]?.extensions?.attemptsRemaining],
        ['INVALID_CODE', FAILURES_BEFORE_LOCKOUT - 1],
        'the over-size response at acceptMfa counted no try',
      );
      assertAccepted(await client.accept(factor, valid));

      const mfaToken = await client.logIn(user);
      const attempt = await client.attempt(factor, { mfaToken });
      assert.equal(
        errorCode(await client.verify(mfaToken, factor, oversized(attempt.answer))),
        'BAD_USER_INPUT',
        'verifyMfa',
      );
      const wrongSignIn = await client.verify(mfaToken, factor, await client.wrongAnswer(attempt, attempt.answer));
      assert.deepEqual(
        [errorCode(wrongSignIn), wrongSignIn.errors?.[0]?.extensions?.attemptsRemaining],
        ['INVALID_CODE', FAILURES_BEFORE_LOCKOUT - 1],
        'the over-size response at verifyMfa counted no attempt',
      );
      const session = assertSignedIn(await client.verify(mfaToken, factor, attempt.answer));
      const stepUp = await client.attempt(factor, { session });
      assert.equal(
        errorCode(await client.stepUp(session, factor, oversized(stepUp.answer))),
        'BAD_USER_INPUT',
        'stepUp',
      );
      assert.equal(
        errorCode(await client.disable(session, factor, oversized(stepUp.answer))),
        'BAD_USER_INPUT',
        'disableMfa',
      );
      const proven = await client.stepUp(session, factor, stepUp.answer);
      assert.equal(
        proven.data?.stepUp,
        true,
        `the attempt outlives over-size responses: ${JSON.stringify(proven.errors)}`,
      );
      assert.ok(spy.verifiedResponses.length > 0);
      assert.deepEqual(
        spy.verifiedResponses.filter((response) => jsonBytes(response) > maxBytes),
        [],
        'verify saw a response over maxBytes',
      );
    }
  });
}

function pluginName(plugin: FactorConformanceOptions['plugin']): string {
  if (typeof plugin === 'string') return plugin;
  if (typeof plugin !== 'function') return plugin.type;
  // Only to name the suite: the plugin under test is built by the app, with the app's options.
  return plugin({
    issuer: 'conformance',
    mail: NULL_MAIL_SENDER,
    publicUrl: 'http://localhost:4000',
    settings: {},
    production: false,
  }).type;
}

const isJson = (plugin: FactorPlugin) => plugin.responseLimits.kind === 'json';

function jsonMaxBytes(plugin: FactorPlugin): number {
  const limits = plugin.responseLimits;
  assert.equal(limits.kind, 'json');
  return limits.maxBytes;
}

function codeOf(answer: FactorAnswer): string {
  assert.ok('code' in answer, `not a code: ${JSON.stringify(answer)}`);
  return answer.code;
}

function responseOf(answer: FactorAnswer): unknown {
  assert.ok('response' in answer, `not a response: ${JSON.stringify(answer)}`);
  return answer.response;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A malformed variant of a valid response; `whole` ones replace all of it, so no plugin may take them. */
interface JsonMutation {
  name: string;
  whole: boolean;
  apply(valid: unknown): FactorAnswer;
}

type JsonPath = Array<string | number>;

/** The mutations of responses shaped like `sample`: the whole replaced, and each field (at any depth) broken. */
function jsonMutations(sample: unknown): JsonMutation[] {
  const whole = (name: string, response: unknown): JsonMutation => ({
    name,
    whole: true,
    apply: () => ({ response }),
  });
  let deep: unknown = 'bottom';
  for (let i = 0; i < 64; i++) deep = { a: deep };
  const mutations: JsonMutation[] = [
    whole('0', 0),
    whole('a string', 'response'),
    whole('true', true),
    whole('[]', []),
    whole('{}', {}),
    whole('an object 64 deep', deep),
    { name: 'the response in an array', whole: true, apply: (valid) => ({ response: [valid] }) },
    { name: 'a typed code instead', whole: true, apply: () => ({ code: '123456' }) },
  ];
  for (const path of fieldPaths(sample)) {
    const at = path.join('.');
    const field = (name: string, change: (value: unknown) => unknown): JsonMutation => ({
      name: `${at} ${name}`,
      whole: false,
      apply: (valid) => ({ response: changedAt(valid, path, change) }),
    });
    mutations.push(
      field('null', () => null),
      field('of another type', otherType),
    );
    if (typeof valueAt(sample, path) === 'string') mutations.push(field('garbage', () => '%00<script>\u0000'));
    if (typeof path.at(-1) === 'string') mutations.push(field('left out', () => LEFT_OUT));
  }
  return mutations;
}

const LEFT_OUT = Symbol('left out');

/** Every path to a field of `value`: object keys at any depth, and the first element of each array. */
function fieldPaths(value: unknown, prefix: JsonPath = []): JsonPath[] {
  if (Array.isArray(value)) return value.length === 0 ? [] : [[...prefix, 0], ...fieldPaths(value[0], [...prefix, 0])];
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([key, item]) => [[...prefix, key], ...fieldPaths(item, [...prefix, key])]);
}

function valueAt(value: unknown, path: JsonPath): unknown {
  return path.reduce<unknown>((item, key) => (item as Record<string | number, unknown>)?.[key], value);
}

/** A copy of `value` with the field at `path` changed (or removed, when `change` gives LEFT_OUT). */
function changedAt(value: unknown, path: JsonPath, change: (value: unknown) => unknown): unknown {
  const copy = structuredClone(value);
  const parent = valueAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path.at(-1)!;
  const changed = change(parent[key]);
  if (changed === LEFT_OUT) delete parent[key];
  else parent[key] = changed;
  return copy;
}

function otherType(value: unknown): unknown {
  if (typeof value === 'string') return 12345;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return { 0: (value as unknown[])[0] };
  return ['an array'];
}

/** A malformed response's refusal: INVALID_CODE (counted: `failures` came before it) or BAD_USER_INPUT; true when counted. */
function refusedAsMalformed(response: GraphQLResponse<unknown>, failures: number, label: string): boolean {
  const code = errorCode(response);
  assert.ok(
    code === 'INVALID_CODE' || code === 'BAD_USER_INPUT',
    `${label}: HTTP ${response.status} ${JSON.stringify(response.errors)}`,
  );
  if (code === 'INVALID_CODE')
    assert.equal(
      response.errors?.[0]?.extensions?.attemptsRemaining,
      FAILURES_BEFORE_LOCKOUT - 1 - failures,
      `${label} counts one attempt`,
    );
  return code === 'INVALID_CODE';
}

function parallel<T>(request: () => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: PARALLEL_REQUESTS }, request));
}

function assertAccepted(response: GraphQLResponse<{ acceptMfa: { status: string } }>) {
  assert.equal(response.data?.acceptMfa.status, 'ACTIVE', JSON.stringify(response.errors));
}

function assertSignedIn(
  response: GraphQLResponse<{ verifyMfa: { accessToken?: string | null } }>,
  message = 'signed in',
): string {
  assert.equal(response.errors, undefined, `${message}: ${JSON.stringify(response.errors)}`);
  assert.ok(response.data?.verifyMfa.accessToken, message);
  return response.data.verifyMfa.accessToken;
}

/** Exactly one request won; every other one was refused with one of `refusals` (never a crash, never a second success). */
function assertExactlyOne<T>(responses: GraphQLResponse<T>[], won: (data: T) => boolean, refusals: string[]) {
  const summary = JSON.stringify(responses.map((response) => errorCode(response) ?? 'ok'));
  assert.equal(responses.filter((response) => response.data && won(response.data)).length, 1, summary);
  assertRefused(responses, won, refusals, summary);
}

/** At most one request won; every other one was refused with one of `refusals`. */
function assertAtMostOne<T>(responses: GraphQLResponse<T>[], won: (data: T) => boolean, refusals: string[]) {
  const summary = JSON.stringify(responses.map((response) => errorCode(response) ?? 'ok'));
  assert.ok(responses.filter((response) => response.data && won(response.data)).length <= 1, summary);
  assertRefused(responses, won, refusals, summary);
}

function assertRefused<T>(
  responses: GraphQLResponse<T>[],
  won: (data: T) => boolean,
  refusals: string[],
  summary: string,
) {
  for (const response of responses.filter((response) => !(response.data && won(response.data))))
    assert.ok(refusals.includes(errorCode(response) ?? 'ok'), summary);
}

/** ASCII letters and digits as their full-width Unicode forms (U+FF01…), which some keyboards type. */
function fullWidth(text: string): string {
  return text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}
