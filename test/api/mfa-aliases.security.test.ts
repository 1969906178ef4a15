import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  EnableMfaDocument as ENABLE_MFA,
  StepUpDocument as STEP_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import {
  alignToFreshStep,
  auditCount,
  failuresOf,
  storedFactors,
  userWithTotp,
  type MfaUser,
} from '../support/attacker.js';
import { TestClock, mfaToken, totpCode, totpSecretOf, otherCode } from '../support/mfa.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

/** A literal GraphQL string: JSON's escaping is a subset of GraphQL's. */
const str = (value: string) => JSON.stringify(value);
/** A code that is well-formed and wrong right now. */
/** `count` aliased copies of one field in one mutation: what the typed documents cannot express. */
const aliased = (count: number, field: (i: number) => string) =>
  `mutation { ${Array.from({ length: count }, (_, i) => `a${i}: ${field(i)}`).join(' ')} }`;

/** Refused as a whole before anything runs: HTTP 400, BAD_USER_INPUT, no data. */
function assertRefusedWhole(response: GraphQLResponse<unknown>): void {
  assert.equal(response.status, 400, JSON.stringify(response));
  assert.equal(errorCode(response), 'BAD_USER_INPUT', JSON.stringify(response.errors));
  assert.equal(response.data, undefined);
}

/** One HTTP request, many guesses: aliases, fragments and batches must not multiply the attempts a request buys. */
describe('many second-factor checks in one request', () => {
  const clock = new TestClock();
  let app: TestApp;
  let hank: MfaUser;
  before(async () => {
    app = await startTestApp({}, { clock: clock.now });
    hank = await userWithTotp(app, clock, 'hank');
  });
  after(() => app.stop());

  it('20 aliased verifyMfa are refused before any code is checked; single wrong tries afterwards still count', async () => {
    const mfa = await mfaToken(app, 'hank');
    alignToFreshStep(clock);
    const right = totpCode(hank.totp.secret, clock);
    // a0 carries the right code: had anything run, it would have signed in and spent the step.
    const query = aliased(
      20,
      (i) =>
        `verifyMfa(input: { mfaToken: ${str(mfa)}, code: ${str(i === 0 ? right : otherCode(right))} }) { accessToken }`,
    );
    assertRefusedWhole(await app.graphql(query));
    assert.equal(await failuresOf(app, hank.id), 0, 'no attempt was reserved');
    assert.equal(await auditCount(app, hank.id, 'mfa.verification_failed'), 0);
    assert.equal(await auditCount(app, hank.id, 'mfa.verification_succeeded'), 0, 'nothing was signed in');

    for (const expected of [1, 2]) {
      const single = await app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: mfa, code: otherCode(right) } } });
      assert.equal(errorCode(single), 'INVALID_CODE');
      assert.equal(await failuresOf(app, hank.id), expected);
    }
    assert.equal(await auditCount(app, hank.id, 'mfa.verification_failed'), 2);
    const signedIn = await app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: mfa, code: right } } });
    assert.match(
      signedIn.data?.verifyMfa.accessToken ?? '',
      /^mfa_at_/,
      'the aliased request did not spend the right code',
    );
    assert.equal(await failuresOf(app, hank.id), 0);
  });

  it('two sensitive fields are refused too, however they are spelled: aliases, fragments, inline fragments, login + verifyMfa', async () => {
    const mfa = await mfaToken(app, 'hank');
    const field = `verifyMfa(input: { mfaToken: ${str(mfa)}, code: "000000" }) { accessToken }`;
    const shapes = [
      `mutation { a: ${field} b: ${field} }`,
      `mutation { ...F } fragment F on Mutation { a: ${field} b: ${field} }`,
      `mutation { a: ${field} ... on Mutation { b: ${field} } }`,
      `mutation { ...F ...G } fragment F on Mutation { a: ${field} } fragment G on Mutation { b: ${field} }`,
      `mutation { login(input: { username: "hank", password: "guess" }) { mfaToken } ${field} }`,
      `mutation { stepUp(input: { code: "000000" }) ${field} }`,
    ];
    for (const shape of shapes) assertRefusedWhole(await app.graphql(shape, { token: hank.token }));
    assert.equal(await failuresOf(app, hank.id), 0);
    assert.equal(
      await auditCount(app, hank.id, 'mfa.verification_failed'),
      2,
      'only the two single tries of the previous test',
    );
  });

  it('a JSON batch of verifyMfa is refused before any code is checked', async () => {
    const mfa = await mfaToken(app, 'hank');
    const body = Array.from({ length: 5 }, () => ({
      query: `mutation { verifyMfa(input: { mfaToken: ${str(mfa)}, code: "000000" }) { accessToken } }`,
    }));
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 400, await response.clone().text());
    assert.ok(((await response.json()) as { errors?: unknown[] }).errors?.length);
    assert.equal(await failuresOf(app, hank.id), 0);
  });

  it('20 aliased stepUp are refused before any code is checked; single wrong ones afterwards still count', async () => {
    alignToFreshStep(clock);
    const right = totpCode(hank.totp.secret, clock);
    const query = aliased(20, (i) => `stepUp(input: { code: ${str(i === 0 ? right : otherCode(right))} })`);
    assertRefusedWhole(await app.graphql(query, { token: hank.token }));
    assert.equal(await failuresOf(app, hank.id), 0);
    assert.equal(await auditCount(app, hank.id, 'session.stepped_up'), 0);
    assert.equal(
      errorCode(await app.graphql(STEP_UP, { token: hank.token, variables: { input: { code: otherCode(right) } } })),
      'INVALID_CODE',
    );
    assert.equal(await failuresOf(app, hank.id), 1);
    assert.equal(
      (await app.graphql(STEP_UP, { token: hank.token, variables: { input: { code: right } } })).data?.stepUp,
      true,
      'the right code was not spent',
    );
  });

  it('20 aliased acceptMfa are refused before any code is checked; the token keeps its five tries', async () => {
    const { id, token } = await signUpAndLogIn(app, 'iris');
    const enabled = (await app.graphql(ENABLE_MFA, { token, variables: { input: { factorType: 'totp' } } })).data!
      .enableMfa;
    alignToFreshStep(clock);
    const right = totpCode(totpSecretOf(enabled.details), clock);
    const query = aliased(
      20,
      (i) =>
        `acceptMfa(input: { token: ${str(enabled.token)}, code: ${str(i === 0 ? right : otherCode(right))} }) { id status }`,
    );
    assertRefusedWhole(await app.graphql(query, { token }));
    const [pending] = await storedFactors(app, id);
    assert.deepEqual([pending.status, pending.pending!.failures], ['PENDING', 0]);
    assert.equal(await auditCount(app, id, 'mfa.enrollment_code_failed'), 0);

    assert.equal(
      errorCode(
        await app.graphql(ACCEPT_MFA, {
          token,
          variables: { input: { token: enabled.token, code: otherCode(right) } },
        }),
      ),
      'INVALID_CODE',
    );
    assert.equal((await storedFactors(app, id))[0].pending!.failures, 1, 'a single wrong try is counted');
    const accepted = await app.graphql(ACCEPT_MFA, {
      token,
      variables: { input: { token: enabled.token, code: right } },
    });
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE', JSON.stringify(accepted.errors));
  });
});
