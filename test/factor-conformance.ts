import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import type { StartOptions } from '../src/app.js';
import type { FactorPlugin, FactorPluginOptions } from '../src/plugin-kit.js';
import {
  AuditEventsDocument,
  DisableMfaDocument,
  FactorTypesDocument,
  LoginDocument,
  MeDocument,
  MyMfaDocument,
  StepUpDocument,
} from './generated/graphql.js';
import { TEST_PASSWORD } from './support/accounts.js';
import { FactorClient, type CodeSource } from './support/factor-client.js';
import {
  NULL_MAIL_SENDER,
  codePatternOf,
  databaseContains,
  instrumentPlugin,
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

export type { CodeContext, CodeSource, ConformanceUser } from './support/factor-client.js';
export type { EnrollmentDetailsJson } from './support/factor-probe.js';

export interface FactorConformanceOptions {
  /** The plugin under test, or its factory: it gets the app's options (issuer, the mail queue's sender), as FACTOR_PLUGINS plugins do. */
  plugin: FactorPlugin | ((options: FactorPluginOptions) => FactorPlugin);
  /** @default `factor plugin conformance: <type>` */
  name?: string;
  /** Where the codes a real user would have come from. */
  codes: CodeSource;
  /** Environment for the app under test (see src/config). */
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
 * One suite every factor plugin, ours and third parties', must pass (like Lucia's adapter test suite):
 * starts the whole service with only this plugin and drives it over HTTP
 * through the generated operations, as a client would.
 */
export function testFactorPlugin(options: FactorConformanceOptions): void {
  const build = (pluginOptions: FactorPluginOptions) =>
    typeof options.plugin === 'function' ? options.plugin(pluginOptions) : options.plugin;
  // Only to name the suite: the plugin under test is built by the app, with the app's options.
  const title =
    options.name ??
    `factor plugin conformance: ${
      build({
        issuer: 'conformance',
        mail: NULL_MAIL_SENDER,
        publicUrl: 'http://localhost:4000',
        settings: {},
        production: false,
      }).type
    }`;

  describe(title, () => {
    const clock = new TestClock();
    let app: TestApp;
    let client: FactorClient;
    let plugin: FactorPlugin;
    let spy: InstrumentedPlugin;
    let detailsTypeName: string;

    before(async () => {
      // The service's caps per destination and client address hold for every plugin alike (mail-caps.security.test.ts);
      // lifted here, so that the plugin's own limits are what this suite meets.
      const env = { ...LIFTED_DELIVERY_CAPS, ...options.env, ...((await options.setup?.()) ?? {}) };
      const factorPlugins = (pluginOptions: FactorPluginOptions) => {
        plugin = build(pluginOptions);
        spy = instrumentPlugin(plugin);
        return [spy.plugin];
      };
      app = await startTestApp(env, { clock: clock.now, factorPlugins, mailSettings: options.mailSettings });
      const name = objectTypeName(plugin.detailsType);
      assert.ok(name, 'detailsType must be a class decorated with @ObjectType');
      detailsTypeName = name;
      client = await FactorClient.connect(app, clock, plugin, options.codes, detailsTypeName);
    });
    after(async () => {
      await app?.stop();
      await options.teardown?.();
    });

    it('has the contract shape: type id, displayName, exact code pattern, a details object type; the server lists it', async () => {
      assert.match(plugin.type, /^[a-z][a-z0-9-]{0,31}$/, 'type: lowercase letters, digits and dashes');
      assert.ok(
        typeof plugin.displayName === 'string' &&
          plugin.displayName.length > 0 &&
          plugin.displayName.trim() === plugin.displayName,
        'displayName',
      );
      const pattern = codePatternOf(plugin);
      assert.ok(pattern instanceof RegExp, 'responseLimits.pattern is a RegExp');
      assert.ok(!pattern.global && !pattern.sticky, 'a g or y flag makes pattern.test() depend on the previous call');
      for (const code of NON_CODES)
        assert.equal(pattern.test(code), false, `the pattern accepts the non-code ${JSON.stringify(code)}`);
      assert.ok(typeof plugin.detailsType === 'function' && plugin.detailsType.prototype, 'detailsType is a class');
      assert.equal(typeof plugin.enroll, 'function');
      assert.equal(typeof plugin.verify, 'function');
      assert.ok(plugin.begin === undefined || typeof plugin.begin === 'function', 'begin is an optional hook');
      if (plugin.delivery)
        assert.equal(
          typeof plugin.destination,
          'function',
          'a plugin that delivers codes names their destination, for the per-destination cap',
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

    it('enrolls: enableMfa → PENDING → acceptMfa → ACTIVE, signs in, steps up, and is removed with a code', async () => {
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

      const accepted = await client.accept(factor, await client.enrollmentCode(factor));
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
      const session = assertSignedIn(await client.verify(mfaToken, factor, await client.freshCode(factor, mfaToken)));
      assert.equal((await app.graphql(MeDocument, { token: session })).data?.me?.username, user.username);
      const stepUp = await app.graphql(StepUpDocument, {
        token: session,
        variables: { input: { factorId: factor.factorId, code: await client.freshCode(factor) } },
      });
      assert.equal(stepUp.data?.stepUp, true, JSON.stringify(stepUp.errors));
      const input = { factorId: factor.factorId, password: TEST_PASSWORD, code: await client.freshCode(factor) };
      const disabled = await app.graphql(DisableMfaDocument, { token: session, variables: { input } });
      assert.deepEqual(
        [disabled.data?.disableMfa.factors, disabled.data?.disableMfa.mfaPolicyStatus],
        [[], 'DISABLED'],
        JSON.stringify(disabled.errors),
      );
    });

    it("refuses wrong codes with INVALID_CODE: at acceptMfa (5 end the token), at sign-in, and another user's code", async () => {
      const user = await client.newUser();
      const doomed = await client.enable(user);
      const doomedCode = await client.enrollmentCode(doomed);
      for (let i = 0; i < 5; i++)
        assert.equal(
          errorCode(await client.accept(doomed, await client.wrongCode(doomed, doomedCode))),
          'INVALID_CODE',
        );
      assert.equal(
        errorCode(await client.accept(doomed, doomedCode)),
        'TOKEN_EXPIRED',
        'an enrollment token dies after 5 wrong codes',
      );

      const factor = await client.enable(user);
      const valid = await client.enrollmentCode(factor);
      assert.equal(errorCode(await client.accept(factor, await client.wrongCode(factor, valid))), 'INVALID_CODE');
      assert.equal(
        (await app.graphql(MyMfaDocument, { token: user.accessToken })).data!.me!.factors[0].status,
        'PENDING',
      );
      assertAccepted(await client.accept(factor, valid));

      // Another user's code is taken first: taking it moves the clock, which must not age this user's code.
      const other = await client.enroll(await client.newUser());
      const othersCode = await client.freshCode(other);
      const mfaToken = await client.logIn(user);
      const code = await client.freshCode(factor, mfaToken);
      assert.equal(
        errorCode(await client.verify(mfaToken, factor, await client.wrongCode(factor, code))),
        'INVALID_CODE',
      );
      assert.equal(errorCode(await client.verify(mfaToken, factor, othersCode)), 'INVALID_CODE', "another user's code");
      assertSignedIn(await client.verify(mfaToken, factor, code), 'a wrong code leaves the mfaToken usable');
    });

    it('expires the enrollment token after 10 minutes and the mfaToken after 5', async () => {
      const user = await client.newUser();
      const late = await client.enable(user);
      clock.advance(ENROLLMENT_TOKEN_TTL_MS + 1000);
      assert.equal(errorCode(await client.accept(late, await client.enrollmentCode(late))), 'TOKEN_EXPIRED');
      const factor = await client.enable(user);
      clock.advance(ENROLLMENT_TOKEN_TTL_MS - 1000);
      assertAccepted(await client.accept(factor, await client.enrollmentCode(factor)));

      const stale = await client.logIn(user);
      clock.advance(MFA_TOKEN_TTL_MS + 1000);
      const code = await client.freshCode(factor); // a factor that delivers codes sends it to the signed-in user: the mfaToken is dead
      assert.equal(errorCode(await client.verify(stale, factor, code)), 'TOKEN_EXPIRED');
      assertSignedIn(
        await client.verify(await client.logIn(user), factor, code),
        'a code refused with an expired mfaToken is not spent',
      );
    });

    it('accepts each code once: not the accepting code at sign-in, not a sign-in code twice', async () => {
      const factor = await client.enroll(await client.newUser());
      const mfaToken = await client.logIn(factor.user);
      assert.equal(
        errorCode(await client.verify(mfaToken, factor, factor.acceptedCode)),
        'INVALID_CODE',
        'the code that confirmed the enrollment cannot sign in',
      );
      const code = await client.freshCode(factor, mfaToken);
      const session = assertSignedIn(await client.verify(mfaToken, factor, code));
      assert.equal(
        errorCode(await client.verify(await client.logIn(factor.user), factor, code)),
        'INVALID_CODE',
        'a sign-in code cannot sign in again',
      );
      const stepUp = await app.graphql(StepUpDocument, {
        token: session,
        variables: { input: { factorId: factor.factorId, code } },
      });
      assert.equal(errorCode(stepUp), 'INVALID_CODE', 'nor prove a step-up');
    });

    it(`accepts one code once under ${PARALLEL_REQUESTS} parallel requests: acceptMfa, verifyMfa with many mfaTokens, with one`, async () => {
      const user = await client.newUser();
      const factor = await client.enable(user);
      const enrollmentCode = await client.enrollmentCode(factor);
      const accepts = await parallel(() => client.accept(factor, enrollmentCode));
      assertExactlyOne(accepts, (data) => data.acceptMfa.status === 'ACTIVE', ['INVALID_CODE', 'TOKEN_EXPIRED']);
      assert.deepEqual(
        (await app.graphql(MyMfaDocument, { token: user.accessToken })).data!.me!.factors.map((f) => f.status),
        ['ACTIVE'],
      );

      const mfaTokens: string[] = [];
      // One by one: parallel password attempts would meet the login throttle.
      for (let i = 0; i < PARALLEL_REQUESTS; i++) mfaTokens.push(await client.logIn(user));
      const code = await client.freshCode(factor, mfaTokens[0]);
      const verifies = await Promise.all(mfaTokens.map((mfaToken) => client.verify(mfaToken, factor, code)));
      assertExactlyOne(verifies, (data) => Boolean(data.verifyMfa.accessToken), ['INVALID_CODE', 'TOO_MANY_ATTEMPTS']);

      const other = await client.enroll(await client.newUser());
      const mfaToken = await client.logIn(other.user);
      const otherCode = await client.freshCode(other, mfaToken);
      const sameToken = await parallel(() => client.verify(mfaToken, other, otherCode));
      assertExactlyOne(sameToken, (data) => Boolean(data.verifyMfa.accessToken), [
        'INVALID_CODE',
        'TOKEN_EXPIRED',
        'TOO_MANY_ATTEMPTS',
      ]);
    });

    it('takes ASCII spaces and one dash out of a code before its form check; a wrong one still counts once', async () => {
      const user = await client.newUser();
      const factor = await client.enable(user);
      assertAccepted(await client.accept(factor, ` ${grouped(await client.enrollmentCode(factor), ' ')} `));
      const mfaToken = await client.logIn(user);
      const code = await client.freshCode(factor, mfaToken);
      const wrong = await client.verify(mfaToken, factor, grouped(await client.wrongCode(factor, code), ' - '));
      assert.deepEqual(
        [errorCode(wrong), wrong.errors?.[0]?.extensions?.attemptsRemaining],
        ['INVALID_CODE', FAILURES_BEFORE_LOCKOUT - 1],
        'a spaced wrong code is one attempt',
      );
      assertSignedIn(await client.verify(mfaToken, factor, grouped(code, '-')), 'a dashed code signs in');
    });

    it('locks the user after 5 wrong codes of this factor, for valid codes and recovery codes alike, until the lock ends', async () => {
      const factor = await client.enroll(await client.newUser());
      const mfaToken = await client.logIn(factor.user);
      const code = await client.freshCode(factor, mfaToken);
      const wrong = await client.wrongCode(factor, code);
      for (let i = 0; i < FAILURES_BEFORE_LOCKOUT; i++)
        assert.equal(errorCode(await client.verify(mfaToken, factor, wrong)), 'INVALID_CODE');
      const locked = await client.verify(mfaToken, factor, code);
      assert.equal(errorCode(locked), 'TOO_MANY_ATTEMPTS', 'a valid code during the lockout');
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
        await client.verify(mfaToken, factor, await client.freshCode(factor, mfaToken)),
        'a fresh code once the lock ended',
      );
      const recovery = await client.verifyRecoveryCode(await client.logIn(factor.user), factor.scratchCodes[0]);
      assertSignedIn(recovery, 'the recovery code refused during the lockout was not spent');
    });

    it('never hands a malformed code to verify: each is a failed attempt', async () => {
      const user = await client.newUser();
      let factor = await client.enable(user);
      const malformed = [...NON_CODES, ...malformedVariants(await client.enrollmentCode(factor))];
      for (const code of malformed)
        assert.equal(codePatternOf(plugin).test(code), false, `the pattern accepts ${JSON.stringify(code)}`);
      const seen = spy.verifiedCodes.length;
      // Four at a time: a fifth failure would end the enrollment token or lock the user.
      const batches = Array.from({ length: Math.ceil(malformed.length / 4) }, (_, i) =>
        malformed.slice(4 * i, 4 * i + 4),
      );
      for (const [i, batch] of batches.entries()) {
        if (i > 0) factor = await client.enable(user);
        for (const code of batch)
          assert.equal(
            errorCode(await client.accept(factor, code)),
            'INVALID_CODE',
            `acceptMfa ${JSON.stringify(code)}`,
          );
      }
      assertAccepted(await client.accept(factor, await client.enrollmentCode(factor)));
      client.renewSendAllowance(); // 5 enrollments so far, 6 sign-ins to come
      for (const batch of batches) {
        const mfaToken = await client.logIn(user);
        for (const code of batch)
          assert.equal(
            errorCode(await client.verify(mfaToken, factor, code)),
            'INVALID_CODE',
            `verifyMfa ${JSON.stringify(code)}`,
          );
        assertSignedIn(await client.verify(mfaToken, factor, await client.freshCode(factor, mfaToken)));
      }
      const mfaToken = await client.logIn(user);
      for (const code of malformed.slice(0, FAILURES_BEFORE_LOCKOUT))
        assert.equal(errorCode(await client.verify(mfaToken, factor, code)), 'INVALID_CODE');
      const afterwards = await client.verify(mfaToken, factor, await client.freshCode(factor, mfaToken));
      assert.equal(errorCode(afterwards), 'TOO_MANY_ATTEMPTS', 'malformed codes count as failed attempts');

      assert.deepEqual(
        spy.verifiedCodes.slice(seen).filter((code) => malformed.includes(code)),
        [],
        'verify saw a malformed code',
      );
      assert.deepEqual(
        spy.verifiedCodes.filter((code) => !codePatternOf(plugin).test(code)),
        [],
        'verify saw a code its pattern refuses',
      );
    });

    it('never returns the secret after enrollment, and stores it encrypted', async (t) => {
      const user = await client.newUser();
      const factor = await client.enable(user);
      const secrets = [
        spy.enrollments.find((entry) => entry.ownerId === user.id)?.enrollment.secret,
        options.codes.secret?.(factor.details),
      ].filter((secret): secret is string => typeof secret === 'string');
      if (secrets.length === 0) return t.skip('the plugin keeps no secret');
      for (const secret of secrets)
        assert.ok(secret.length >= 16, `a secret of ${secret.length} characters is too short to search for`);

      const responses: unknown[] = [await client.accept(factor, await client.enrollmentCode(factor))];
      responses.push(
        await app.graphql(MyMfaDocument, { token: user.accessToken }),
        await app.graphql(MeDocument, { token: user.accessToken }),
      );
      const login = await app.graphql(LoginDocument, {
        variables: { input: { username: user.username, password: TEST_PASSWORD } },
      });
      const mfaToken = login.data!.login.mfaToken!;
      const verified = await client.verify(mfaToken, factor, await client.freshCode(factor, mfaToken));
      const session = assertSignedIn(verified);
      responses.push(login, verified, await app.graphql(MyMfaDocument, { token: session }));
      responses.push(await app.graphql(AuditEventsDocument, { token: session, variables: { userId: user.id } }));
      const record = await app.database.connection
        .collection('factors')
        .findOne({ _id: new Types.ObjectId(factor.factorId) });
      assert.ok(record?.secret && typeof record.secret !== 'string', 'the factor record holds the secret sealed');
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
  });
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
  for (const response of responses.filter((response) => !(response.data && won(response.data)))) {
    assert.ok(refusals.includes(errorCode(response) ?? 'ok'), summary);
  }
}

/** ASCII letters and digits as their full-width Unicode forms (U+FF01…), which some keyboards type. */
function fullWidth(text: string): string {
  return text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}
