import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  AuditEventsDocument as AUDIT_EVENTS,
  DisableMfaDocument as DISABLE_MFA,
  EnableMfaDocument as ENABLE_MFA,
  SetAllowedFactorTypesDocument as SET_ALLOWED_FACTOR_TYPES,
  SetMfaPolicyStatusDocument as SET_MFA_POLICY_STATUS,
  StepUpDocument as STEP_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { auditCount, storedFactors, storedUser, userWithTotp, type MfaUser } from '../support/attacker.js';
import { TestClock, enrollTotp, mfaToken, totpCode, type EnrolledTotp, totpSecretOf } from '../support/mfa.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const ROOT = { username: 'root', password: 'admin password 1' };

/** Acting on someone else through `userId`, a borrowed factorId or a borrowed enrollment token. */
describe('impersonation through ids and tokens', () => {
  const clock = new TestClock();
  let app: TestApp;
  let alice: MfaUser;
  let mallory: MfaUser;
  let bob: { id: string; token: string };
  let root: { id: string; token: string; totp?: EnrolledTotp };

  /** What an attack on alice or bob could change: compared before and after. */
  const targets = async () => ({
    aliceFactors: (await storedFactors(app, alice.id)).map((factor) => [
      String(factor._id),
      factor.status,
      factor.lastUsedStep,
    ]),
    aliceUser: await storedUser(app, alice.id).then((user) => [
      user.mfaPolicyStatus,
      user.recoveryCodes!.hashes.length,
      user.secondFactorFailures,
    ]),
    bobStatus: (await storedUser(app, bob.id)).mfaPolicyStatus,
  });
  /** The admin-only MFA changes, aimed at alice and bob. */
  const adminCalls = (token: string): Array<[string, () => Promise<GraphQLResponse<unknown>>]> => [
    [
      'enableMfa(alice)',
      () => app.graphql(ENABLE_MFA, { token, variables: { input: { userId: alice.id, recreate: true } } }),
    ],
    ['disableMfa(alice)', () => app.graphql(DISABLE_MFA, { token, variables: { input: { userId: alice.id } } })],
    [
      'disableMfa(alice, factorId)',
      () =>
        app.graphql(DISABLE_MFA, { token, variables: { input: { userId: alice.id, factorId: alice.totp.factorId } } }),
    ],
    [
      'setMfaPolicyStatus(alice)',
      () =>
        app.graphql(SET_MFA_POLICY_STATUS, { token, variables: { input: { userId: alice.id, status: 'DISABLED' } } }),
    ],
    [
      'setMfaPolicyStatus(bob)',
      () => app.graphql(SET_MFA_POLICY_STATUS, { token, variables: { input: { userId: bob.id, status: 'ENABLED' } } }),
    ],
    [
      'setAllowedFactorTypes',
      () => app.graphql(SET_ALLOWED_FACTOR_TYPES, { token, variables: { input: { types: ['totp'] } } }),
    ],
  ];

  before(async () => {
    app = await startTestApp({ ADMIN_USERNAME: ROOT.username, ADMIN_PASSWORD: ROOT.password }, { clock: clock.now });
    alice = await userWithTotp(app, clock, 'alice');
    mallory = await userWithTotp(app, clock, 'mallory');
    bob = await signUpAndLogIn(app, 'bob');
    const rootToken = await logIn(app, ROOT.username, ROOT.password);
    root = {
      id: String((await app.database.connection.db!.collection('users').findOne({ usernameKey: 'root' }))!._id),
      token: rootToken,
    };
  });
  after(() => app.stop());

  it("a non-admin, even with fresh MFA, passing someone else's userId is FORBIDDEN and nothing changes", async () => {
    const before = await targets();
    const calls = [
      ...adminCalls(mallory.token),
      [
        'enableMfa(root)',
        () => app.graphql(ENABLE_MFA, { token: mallory.token, variables: { input: { userId: root.id } } }),
      ],
      [
        'setMfaPolicyStatus(self)',
        () =>
          app.graphql(SET_MFA_POLICY_STATUS, {
            token: mallory.token,
            variables: { input: { userId: mallory.id, status: 'DISABLED' } },
          }),
      ],
      [
        'auditEvents(alice)',
        () => app.graphql(AUDIT_EVENTS, { token: mallory.token, variables: { userId: alice.id } }),
      ],
    ] as const;
    for (const [name, call] of calls) assert.equal(errorCode(await call()), 'FORBIDDEN', name);
    assert.deepEqual(await targets(), before);
    assert.equal((await storedFactors(app, root.id)).length, 0);
    assert.equal(
      await app.database.connection.db!.collection('auditEvents').countDocuments({ actorId: { $exists: true } }),
      0,
      'nothing was done on anyone’s behalf',
    );
  });

  it("disableMfa (self) with alice's factorId removes nothing of alice's", async () => {
    const before = await targets();
    const code = totpCode(mallory.totp.secret, clock);
    const response = await app.graphql(DISABLE_MFA, {
      token: mallory.token,
      variables: { input: { factorId: alice.totp.factorId, password: TEST_PASSWORD, code } },
    });
    assert.equal(errorCode(response), 'NOT_FOUND');
    assert.deepEqual(await targets(), before);
    assert.equal((await storedFactors(app, mallory.id)).length, 1);
  });

  it('an admin without MFA is FORBIDDEN to change MFA for others', async () => {
    const before = await targets();
    for (const [name, call] of adminCalls(root.token)) assert.equal(errorCode(await call()), 'FORBIDDEN', name);
    assert.deepEqual(await targets(), before);
  });

  it("verifyMfa with someone else's factorId or recovery code: an error and no session", async () => {
    const before = await targets();
    const signIns = await auditCount(app, mallory.id, 'sign_in.succeeded');
    const aliceCode = totpCode(alice.totp.secret, clock);
    const attempts = [
      { mfaToken: await mfaToken(app, 'mallory'), factorId: alice.totp.factorId, code: aliceCode },
      { mfaToken: await mfaToken(app, 'mallory'), recoveryCode: alice.totp.scratchCodes[0] },
      {
        mfaToken: await mfaToken(app, 'alice'),
        factorId: mallory.totp.factorId,
        code: totpCode(mallory.totp.secret, clock),
      },
    ];
    for (const input of attempts) {
      const response = await app.graphql(VERIFY_MFA, { variables: { input } });
      assert.ok(['NOT_FOUND', 'INVALID_CODE'].includes(errorCode(response)!), JSON.stringify(response));
      assert.equal(response.data, null);
    }
    assert.equal(await auditCount(app, mallory.id, 'sign_in.succeeded'), signIns);
    const after = await targets();
    assert.deepEqual(after.aliceFactors, before.aliceFactors, "alice's code was not spent");
    assert.deepEqual(after.aliceUser, before.aliceUser, "alice's recovery code was not spent, nor an attempt counted");
    const own = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: await mfaToken(app, 'alice'), code: aliceCode } },
    });
    assert.ok(own.data?.verifyMfa.accessToken, 'alice herself can still use the code');
    clock.nextStep();
  });

  it("acceptMfa with someone else's enrollment token is TOKEN_EXPIRED; their enrollment is untouched", async () => {
    const enabled = (await app.graphql(ENABLE_MFA, { token: bob.token, variables: { input: {} } })).data!.enableMfa;
    const stolen = await app.graphql(ACCEPT_MFA, {
      token: mallory.token,
      variables: { input: { token: enabled.token, code: totpCode(totpSecretOf(enabled.details), clock) } },
    });
    assert.equal(errorCode(stolen), 'TOKEN_EXPIRED');
    const [pending] = await storedFactors(app, bob.id);
    assert.deepEqual([pending.status, pending.pending!.failures], ['PENDING', 0]);
    assert.equal((await storedFactors(app, mallory.id)).length, 1);
    await app.database.connection.db!.collection('factors').deleteOne({ _id: pending._id }); // leave bob as the other tests expect him
  });

  it('an admin with MFA whose proof is older than 5 minutes gets STEP_UP_REQUIRED, until a stepUp in that session', async () => {
    root.totp = await enrollTotp(app, root.token, clock);
    const fresh = await app.graphql(SET_MFA_POLICY_STATUS, {
      token: root.token,
      variables: { input: { userId: bob.id, status: 'ENABLED' } },
    });
    assert.equal(fresh.data?.setMfaPolicyStatus.mfaPolicyStatus, 'ENABLED', 'the fresh proof of acceptMfa suffices');
    clock.advance(5 * 60_000 + 1_000);
    const before = await targets();
    for (const [name, call] of adminCalls(root.token)) assert.equal(errorCode(await call()), 'STEP_UP_REQUIRED', name);
    assert.deepEqual(await targets(), before);

    assert.equal(
      (
        await app.graphql(STEP_UP, {
          token: root.token,
          variables: { input: { code: totpCode(root.totp.secret, clock) } },
        })
      ).data?.stepUp,
      true,
    );
    const after = await app.graphql(SET_MFA_POLICY_STATUS, {
      token: root.token,
      variables: { input: { userId: bob.id, status: 'DISABLED' } },
    });
    assert.equal(after.data?.setMfaPolicyStatus.mfaPolicyStatus, 'DISABLED');
  });
});
