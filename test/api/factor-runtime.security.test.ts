import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import { Field, ObjectType } from 'type-graphql';
import { totpFactor } from '../../plugins/totp/index.js';
import type { FactorPlugin } from '../../src/mfa/factor-plugin.js';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  EnableMfaDocument as ENABLE_MFA,
  StepUpDocument as STEP_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { storedFactors } from '../support/attacker.js';
import { TestClock, mfaToken } from '../support/mfa.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const THE_CODE = '000000';

@ObjectType('FixedCodeEnrollment')
class FixedCodeEnrollment {
  @Field()
  hint!: string;
}

/**
 * A faulty third-party plugin: it accepts its one code with a bare `{ accepted: true }`, no replay key and no attempt
 * state, so nothing the core could spend would make its success single use.
 */
const fixedCode: FactorPlugin = {
  type: 'fixed-code',
  displayName: 'Fixed code',
  assurance: 'possession',
  responseLimits: { kind: 'code', pattern: /^\d{6}$/ },
  detailsType: FixedCodeEnrollment,
  enroll: () => Promise.resolve({ details: Object.assign(new FixedCodeEnrollment(), { hint: THE_CODE }) }),
  verify: ({ response }) => Promise.resolve(response === THE_CODE ? { accepted: true } : { accepted: false }),
};

/** The factor runtime against plugins that break its contract: their mistakes must not become the service's. */
describe('a plugin success that spends nothing', () => {
  const clock = new TestClock();
  let app: TestApp;
  const sessionsOf = (userId: string) =>
    app.database.connection.db!.collection('sessions').countDocuments({ userId: new Types.ObjectId(userId) });
  /** Refused as the service's fault: masked, and no token in the answer. */
  const assertFault = (response: GraphQLResponse<unknown>, what: string) => {
    assert.equal(errorCode(response), 'INTERNAL_SERVER_ERROR', `${what}: ${JSON.stringify(response)}`);
    assert.equal(response.errors![0].message, 'Internal server error', what);
    assert.doesNotMatch(JSON.stringify(response), /mfa_at_/, what);
  };

  before(async () => {
    app = await startTestApp(
      {},
      { clock: clock.now, factorPlugins: [totpFactor({ issuer: 'mfa-graphql' }), fixedCode] },
    );
  });
  after(() => app.stop());

  it('enrolls (the enrollment is single use itself), then is refused at every sign-in and step-up, never a session', async () => {
    const { id, token } = await signUpAndLogIn(app, 'pat');
    const enabled = await app.graphql(ENABLE_MFA, { token, variables: { input: { factorType: 'fixed-code' } } });
    assert.equal(enabled.errors, undefined, JSON.stringify(enabled.errors));
    const accepted = await app.graphql(ACCEPT_MFA, {
      token,
      variables: { input: { token: enabled.data!.enableMfa.token, code: THE_CODE } },
    });
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE', JSON.stringify(accepted.errors));
    const factorId = accepted.data.acceptMfa.id;

    const sessionsBefore = await sessionsOf(id);
    const signIn = await mfaToken(app, 'pat');
    for (const attempt of ['first', 'replayed'])
      assertFault(
        await app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: signIn, factorId, code: THE_CODE } } }),
        `verifyMfa, ${attempt}`,
      );
    assertFault(
      await app.graphql(VERIFY_MFA, {
        variables: { input: { mfaToken: await mfaToken(app, 'pat'), factorId, code: THE_CODE } },
      }),
      'verifyMfa on a new sign-in',
    );
    assert.equal(await sessionsOf(id), sessionsBefore, 'no session was opened');

    clock.advance(6 * 60_000); // the proof acceptMfa gave is stale: a step-up would renew it
    const stepUp = () => app.graphql(STEP_UP, { token, variables: { input: { factorId, code: THE_CODE } } });
    for (const attempt of ['first', 'replayed']) assertFault(await stepUp(), `stepUp, ${attempt}`);
    const [factor] = await storedFactors(app, id);
    assert.deepEqual(factor.lastUsedAt, factor.activatedAt, 'not used since its activation');
    assert.match(app.logLines.join(''), /accepted a response that spends nothing/, 'the operator learns why');
  });
});
