import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  ApiKeysDocument as API_KEYS,
  AuditEventsDocument as AUDIT_EVENTS,
  CreateApiKeyDocument as CREATE_API_KEY,
  DisableMfaDocument as DISABLE_MFA,
  EnableMfaDocument as ENABLE_MFA,
  FactorTypesDocument as FACTOR_TYPES,
  LoginDocument as LOGIN,
  LogoutDocument as LOGOUT,
  MeDocument as ME,
  MfaPolicyDocument as MFA_POLICY,
  RegenerateRecoveryCodesDocument as REGENERATE,
  RevokeApiKeyDocument as REVOKE_API_KEY,
  SetAllowedFactorTypesDocument as SET_ALLOWED_FACTOR_TYPES,
  SetMfaPolicyStatusDocument as SET_MFA_POLICY_STATUS,
  StepUpDocument as STEP_UP,
  UpdateFactorDocument as UPDATE_FACTOR,
  UserDocument as USER,
  UsersDocument as USERS,
} from '../generated/graphql.js';
import { TEST_PASSWORD, signUpAndLogIn } from '../support/accounts.js';
import { failuresOf, storedFactors, userWithTotp, type MfaUser } from '../support/attacker.js';
import { TestClock, mfaToken, totpCode, totpSecretOf } from '../support/mfa.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const ROOT = { username: 'root', password: 'admin password 1' };

/** No partial credential (mfaToken, enrollment token, enrollment-scoped session) and no API key reaches beyond its own step. */
describe('partial tokens and API keys', () => {
  const clock = new TestClock();
  let app: TestApp;
  let ned: MfaUser;
  let rootSession: string;
  const users = () => app.database.connection.db!.collection('users');
  const enrollmentSession = async (username: string, password = TEST_PASSWORD) => {
    await users().updateOne({ usernameKey: username }, { $set: { mfaPolicyStatus: 'ENABLED' } });
    const login = (await app.graphql(LOGIN, { variables: { input: { username, password } } })).data!.login;
    assert.deepEqual([login.enrollmentRequired, login.mfaRequired], [true, false]);
    return login.accessToken!;
  };

  /** Everything that manages factors, codes, keys or policy, or reads beyond the caller itself. */
  const managing = (
    code: string,
    targetId: string,
  ): Array<[string, (token: string) => Promise<GraphQLResponse<unknown>>]> => [
    ['apiKeys', (token) => app.graphql(API_KEYS, { token })],
    ['createApiKey', (token) => app.graphql(CREATE_API_KEY, { token, variables: { input: { name: 'exfiltrate' } } })],
    ['revokeApiKey', (token) => app.graphql(REVOKE_API_KEY, { token, variables: { input: { id: targetId } } })],
    ['auditEvents', (token) => app.graphql(AUDIT_EVENTS, { token })],
    ['stepUp', (token) => app.graphql(STEP_UP, { token, variables: { input: { code } } })],
    [
      'disableMfa',
      (token) => app.graphql(DISABLE_MFA, { token, variables: { input: { password: TEST_PASSWORD, code } } }),
    ],
    ['disableMfa(userId)', (token) => app.graphql(DISABLE_MFA, { token, variables: { input: { userId: targetId } } })],
    ['regenerateRecoveryCodes', (token) => app.graphql(REGENERATE, { token, variables: { input: { code } } })],
    [
      'updateFactor',
      (token) =>
        app.graphql(UPDATE_FACTOR, {
          token,
          variables: { input: { factorId: ned.totp.factorId, description: 'renamed by someone else' } },
        }),
    ],
    ['users', (token) => app.graphql(USERS, { token })],
    ['user', (token) => app.graphql(USER, { token, variables: { id: targetId } })],
    ['mfaPolicy', (token) => app.graphql(MFA_POLICY, { token })],
    [
      'setMfaPolicyStatus',
      (token) =>
        app.graphql(SET_MFA_POLICY_STATUS, { token, variables: { input: { userId: targetId, status: 'DISABLED' } } }),
    ],
    [
      'setAllowedFactorTypes',
      (token) => app.graphql(SET_ALLOWED_FACTOR_TYPES, { token, variables: { input: { types: ['totp'] } } }),
    ],
    ['enableMfa(userId)', (token) => app.graphql(ENABLE_MFA, { token, variables: { input: { userId: targetId } } })],
  ];

  before(async () => {
    app = await startTestApp({ ADMIN_USERNAME: ROOT.username, ADMIN_PASSWORD: ROOT.password }, { clock: clock.now });
    ned = await userWithTotp(app, clock, 'ned');
  });
  after(() => app.stop());

  it('a password alone reads no account data: login with mfaRequired answers user null, whatever the selection asks', async () => {
    const selection =
      'user { id username email role mfaPolicyStatus createdAt mfaEnabled recoveryCodesRemaining factors { id status } }';
    const login = await app.graphql<{ login: { mfaRequired: boolean; factors: Array<{ id: string }>; user: unknown } }>(
      `mutation { login(input: { username: "ned", password: "${TEST_PASSWORD}" }) { mfaRequired factors { id } ${selection} } }`,
    );
    assert.equal(login.errors, undefined, JSON.stringify(login.errors));
    assert.equal(login.data!.login.mfaRequired, true);
    assert.deepEqual(
      login.data!.login.factors.map((factor) => factor.id),
      [ned.totp.factorId],
      'the factors to choose from',
    );
    assert.equal(login.data!.login.user, null);
  });

  it('an mfaToken, an enrollment token or a look-alike sent as Authorization: Bearer is 401', async () => {
    const mfa = await mfaToken(app, 'ned');
    const { token } = await signUpAndLogIn(app, 'olga');
    const enrollmentToken = (await app.graphql(ENABLE_MFA, { token, variables: { input: {} } })).data!.enableMfa.token;
    const random = mfa.slice('mfa_mt_'.length);
    for (const credential of [
      mfa,
      enrollmentToken,
      `mfa_at_${random}`,
      `mfa_ak_${random}`,
      `mfa_at_${enrollmentToken.slice('mfa_et_'.length)}`,
    ]) {
      const response = await app.graphql(ME, { token: credential });
      assert.equal(response.status, 401, credential.slice(0, 10));
      assert.equal(errorCode(response), 'UNAUTHENTICATED');
      assert.equal(response.data, undefined);
    }
  });

  it("an enrollment-scoped session (even an admin's) reads me and factorTypes and may enroll; everything else is FORBIDDEN", async () => {
    for (const [username, password] of [
      [ROOT.username, ROOT.password],
      ['pia', TEST_PASSWORD],
    ]) {
      if (username === 'pia') await signUpAndLogIn(app, 'pia');
      const session = await enrollmentSession(username, password);
      assert.equal((await app.graphql(ME, { token: session })).data?.me?.username, username);
      assert.ok(
        (await app.graphql(FACTOR_TYPES, { token: session })).data?.factorTypes.some((type) => type.type === 'totp'),
      );
      for (const [name, call] of managing('123456', ned.id)) {
        const response = await call(session);
        assert.equal(errorCode(response), 'FORBIDDEN', `${username}: ${name} ${JSON.stringify(response.errors)}`);
      }
    }
    assert.equal((await storedFactors(app, ned.id)).length, 1, "ned's factor is untouched");
    assert.equal((await users().findOne({ usernameKey: 'ned' }))!.mfaPolicyStatus, 'ENABLED');
  });

  it('after acceptMfa the enrollment-scoped session is a full one', async () => {
    const session = await enrollmentSession(ROOT.username, ROOT.password);
    const enabled = (await app.graphql(ENABLE_MFA, { token: session, variables: { input: {} } })).data!.enableMfa;
    const accepted = await app.graphql(ACCEPT_MFA, {
      token: session,
      variables: { input: { token: enabled.token, code: totpCode(totpSecretOf(enabled.details), clock) } },
    });
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE');
    clock.nextStep();
    assert.equal(errorCode(await app.graphql(USERS, { token: session })), undefined);
    assert.equal(errorCode(await app.graphql(API_KEYS, { token: session })), undefined);
    rootSession = session;
  });

  it('logout ends an enrollment-scoped session', async () => {
    await signUpAndLogIn(app, 'quim');
    const session = await enrollmentSession('quim');
    assert.equal((await app.graphql(LOGOUT, { token: session })).data?.logout, true);
    assert.equal((await app.graphql(ME, { token: session })).status, 401);
  });

  it("API keys cannot manage factors, codes, keys or policy, even an admin's key", async () => {
    const adminKey = (
      await app.graphql(CREATE_API_KEY, { token: rootSession, variables: { input: { name: 'admin script' } } })
    ).data!.createApiKey;
    const nedKey = (
      await app.graphql(CREATE_API_KEY, { token: ned.token, variables: { input: { name: 'ned script' } } })
    ).data!.createApiKey;
    assert.ok(adminKey && nedKey);
    const recreate = (await app.graphql(ENABLE_MFA, { token: ned.token, variables: { input: { recreate: true } } }))
      .data!.enableMfa;
    const code = totpCode(ned.totp.secret, clock);
    for (const key of [adminKey, nedKey]) {
      assert.ok((await app.graphql(ME, { token: key.secret })).data?.me, 'the key itself is good');
      const calls = [
        ...managing(code, ned.id).filter(
          ([name]) => !['apiKeys', 'auditEvents', 'users', 'user', 'mfaPolicy'].includes(name),
        ),
        [
          'revokeApiKey (own key)',
          (token: string) => app.graphql(REVOKE_API_KEY, { token, variables: { input: { id: key.apiKey.id } } }),
        ] as const,
        [
          'enableMfa',
          (token: string) => app.graphql(ENABLE_MFA, { token, variables: { input: { recreate: true } } }),
        ] as const,
        [
          'acceptMfa',
          (token: string) =>
            app.graphql(ACCEPT_MFA, {
              token,
              variables: { input: { token: recreate.token, code: totpCode(totpSecretOf(recreate.details), clock) } },
            }),
        ] as const,
        ['logout', (token: string) => app.graphql(LOGOUT, { token })] as const,
      ];
      for (const [name, call] of calls)
        assert.equal(errorCode(await call(key.secret)), 'FORBIDDEN', `${key.apiKey.name}: ${name}`);
    }
    const factors = await storedFactors(app, ned.id);
    assert.deepEqual(
      factors.map((factor) => String(factor.status)).sort(),
      ['ACTIVE', 'PENDING'],
      'the recreate is still pending, the old factor still there',
    );
    assert.equal(await failuresOf(app, ned.id), 0, 'no stepUp ran');
    assert.equal(
      (await app.graphql(API_KEYS, { token: ned.token })).data?.apiKeys.length,
      1,
      'no key was created or revoked',
    );
    assert.equal((await users().findOne({ usernameKey: 'ned' }))!.mfaPolicyStatus, 'ENABLED');
    assert.ok((await app.graphql(ME, { token: nedKey.secret })).data?.me, 'logout with a key ended nothing');
  });
});
