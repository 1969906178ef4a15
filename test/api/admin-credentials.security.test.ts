import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import { Role } from '../../src/accounts/user.model.js';
import {
  AcceptMfaDocument as ACCEPT_MFA,
  ApiKeysDocument as API_KEYS,
  AuditEventsDocument as AUDIT_EVENTS,
  CreateApiKeyDocument as CREATE_API_KEY,
  DisableMfaDocument as DISABLE_MFA,
  EnableMfaDocument as ENABLE_MFA,
  LoginDocument as LOGIN,
  MeDocument as ME,
  RevokeApiKeyDocument as REVOKE_API_KEY,
  RevokeUserSessionsDocument as REVOKE_USER_SESSIONS,
  SessionsDocument as SESSIONS,
  SetMfaPolicyStatusDocument as SET_MFA_POLICY_STATUS,
  StepUpDocument as STEP_UP,
  UserDocument as USER,
  UsersDocument as USERS,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { storedFactors, storedUser, userWithTotp, type MfaUser } from '../support/attacker.js';
import { TestClock, enrollTotp, mfaToken, totpCode, totpSecretOf, type EnrolledTotp } from '../support/mfa.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const OPS = { username: 'ops', password: 'ops admin password' };

describe('admins and the sessions and API keys of others', () => {
  const clock = new TestClock();
  let app: TestApp;
  let root: MfaAdmin;
  let gina: { id: string; token: string };
  let ivy: MfaUser;
  /** A second admin, enrolled in the test that shows an admin without a factor can do nothing. */
  let ops: { id: string; token: string; totp?: EnrolledTotp; key?: string };

  before(async () => {
    app = await startTestApp(ADMIN_ENV, { clock: clock.now });
    root = await adminWithMfa(app, clock);
    gina = await signUpAndLogIn(app, 'gina');
    ivy = await userWithTotp(app, clock, 'ivy');
    // The path `npm run create-admin` takes.
    const created = await app.services.accounts.createUser(OPS, Role.ADMIN);
    ops = { id: created._id.toHexString(), token: '' };
  });
  after(() => app.stop());

  const works = async (token: string) => errorCode(await app.graphql(ME, { token })) === undefined;
  const auditOf = (userId: string, type: string) =>
    app.database.connection
      .db!.collection('auditEvents')
      .find({ userId: new Types.ObjectId(userId), type })
      .sort({ _id: -1 })
      .toArray();
  /** auditEvents without userId, for an admin who does not pass the admin rule: their own events, as for a user. */
  const assertOwnEventsOnly = async (token: string, userId: string) => {
    const own = await app.graphql(AUDIT_EVENTS, { token, variables: { first: 100 } });
    assert.equal(errorCode(own), undefined, JSON.stringify(own.errors));
    const owners = new Set(own.data!.auditEvents.edges.map((edge) => edge.node.userId));
    assert.deepEqual([...owners], [userId], 'their own events, and nobody else’s');
  };
  /** Every read of other accounts an admin may make, aimed at `targetId`. */
  const adminReads = (targetId: string): Array<[string, (token: string) => Promise<GraphQLResponse<unknown>>]> => [
    ['users', (token) => app.graphql(USERS, { token })],
    ['user', (token) => app.graphql(USER, { token, variables: { id: targetId } })],
    ['auditEvents (everyone)', (token) => app.graphql(AUDIT_EVENTS, { token })],
    ['auditEvents(userId)', (token) => app.graphql(AUDIT_EVENTS, { token, variables: { userId: targetId } })],
    ['sessions(userId)', (token) => app.graphql(SESSIONS, { token, variables: { userId: targetId } })],
    ['apiKeys(userId)', (token) => app.graphql(API_KEYS, { token, variables: { userId: targetId } })],
  ];

  it('records where each session signed in from and how; users list their own, never anyone else’s', async () => {
    const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0';
    const login = await app.graphql(LOGIN, {
      variables: { input: { username: 'gina', password: TEST_PASSWORD } },
      headers: { 'user-agent': firefox },
    });
    const token = login.data!.login.accessToken!;
    await app.graphql(LOGIN, {
      variables: { input: { username: 'gina', password: TEST_PASSWORD } },
      headers: { 'user-agent': `x${'y'.repeat(5000)}` },
    });

    const listed = (await app.graphql(SESSIONS, { token })).data!.sessions;
    assert.equal(listed.length, 3, 'the sign-up sign-in and these two');
    const [long, mine] = listed; // newest first
    assert.deepEqual(
      [mine.current, mine.method, mine.userAgent, mine.mfaVerifiedAt],
      [true, 'password', firefox, null],
    );
    assert.match(mine.ip!, /127\.0\.0\.1|::1/);
    assert.equal(long.current, false);
    assert.equal(long.userAgent?.length, 256, 'a long header is cut, not refused or stored whole');
    assert.ok(!JSON.stringify(listed).includes(token.slice(7)), 'never a token');

    const viaTotp = (
      await app.graphql(VERIFY_MFA, {
        variables: { input: { mfaToken: await mfaToken(app, 'ivy'), code: totpCode(ivy.totp.secret, clock) } },
      })
    ).data!.verifyMfa.accessToken!;
    clock.nextStep();
    const viaRecovery = (
      await app.graphql(VERIFY_MFA, {
        variables: { input: { mfaToken: await mfaToken(app, 'ivy'), recoveryCode: ivy.totp.scratchCodes[0] } },
      })
    ).data!.verifyMfa.accessToken!;
    const ivys = (await app.graphql(SESSIONS, { token: viaTotp })).data!.sessions;
    assert.deepEqual(
      ivys.map((session) => [session.method, session.current, session.mfaVerifiedAt !== null]),
      [
        ['recovery_code', false, true],
        ['totp', true, true],
        ['password', false, true], // the sign-up session, which accepted the factor
      ],
    );
    assert.ok(await works(viaRecovery));

    // For a user, auditEvents without userId means their own events.
    for (const [name, read] of adminReads(ivy.id).filter(([name]) => name !== 'auditEvents (everyone)')) {
      assert.equal(errorCode(await read(gina.token)), 'FORBIDDEN', `gina: ${name}`);
    }
    assert.equal(
      errorCode(
        await app.graphql(REVOKE_USER_SESSIONS, { token: gina.token, variables: { input: { userId: gina.id } } }),
      ),
      'FORBIDDEN',
      'not even her own',
    );
    assert.equal(
      errorCode(await app.graphql(SESSIONS, { token: gina.token, variables: { userId: 'not-an-id' } })),
      'BAD_USER_INPUT',
    );
  });

  it("an admin with MFA lists a user's sessions and keys, revokes them, and is recorded as the actor; the user's keys outlive the sessions", async () => {
    const key = (await app.graphql(CREATE_API_KEY, { token: gina.token, variables: { input: { name: 'nightly' } } }))
      .data!.createApiKey;
    const other = (await app.graphql(CREATE_API_KEY, { token: gina.token, variables: { input: { name: 'hourly' } } }))
      .data!.createApiKey;
    const sessions = (await app.graphql(SESSIONS, { token: root.token, variables: { userId: gina.id } })).data!
      .sessions;
    assert.equal(sessions.length, 3);
    assert.ok(
      sessions.every((session) => !session.current),
      "none is the admin's",
    );
    const keys = (await app.graphql(API_KEYS, { token: root.token, variables: { userId: gina.id } })).data!.apiKeys;
    assert.deepEqual(
      keys.map((listed) => listed.id),
      [other.apiKey.id, key.apiKey.id],
    );

    await root.stepUp();
    assert.equal(
      (await app.graphql(REVOKE_API_KEY, { token: root.token, variables: { input: { id: key.apiKey.id } } })).data
        ?.revokeApiKey,
      true,
    );
    assert.equal(await works(key.secret), false);
    const [keyEvent] = await auditOf(gina.id, 'api_key.revoked');
    assert.equal(String(keyEvent.actorId), root.id);

    const revoked = await app.graphql(REVOKE_USER_SESSIONS, {
      token: root.token,
      variables: { input: { userId: gina.id } },
    });
    assert.equal(revoked.data?.revokeUserSessions, 3, JSON.stringify(revoked.errors));
    assert.equal(await works(gina.token), false);
    assert.equal(await works(other.secret), true, 'API keys are revoked one by one, not with the sessions');
    assert.deepEqual(
      (await app.graphql(SESSIONS, { token: root.token, variables: { userId: gina.id } })).data?.sessions,
      [],
    );
    const [sessionEvent] = await auditOf(gina.id, 'session.revoked');
    assert.equal(String(sessionEvent.actorId), root.id);
    assert.deepEqual(sessionEvent.details, { count: 3, reason: 'revoked_by_admin' });
    assert.equal(
      (await app.graphql(REVOKE_USER_SESSIONS, { token: root.token, variables: { input: { userId: gina.id } } })).data
        ?.revokeUserSessions,
      0,
    );
    assert.equal(
      (await auditOf(gina.id, 'session.revoked')).length,
      2,
      'an admin action is audited even when it ended nothing',
    );

    const unknown = new Types.ObjectId().toHexString();
    assert.equal(
      errorCode(
        await app.graphql(REVOKE_USER_SESSIONS, { token: root.token, variables: { input: { userId: unknown } } }),
      ),
      'NOT_FOUND',
    );
    assert.equal(
      errorCode(await app.graphql(REVOKE_API_KEY, { token: root.token, variables: { input: { id: unknown } } })),
      'NOT_FOUND',
    );
    assert.deepEqual(
      (await app.graphql(SESSIONS, { token: root.token, variables: { userId: unknown } })).data?.sessions,
      [],
      'reads of an unknown user find nothing',
    );
    assert.deepEqual(
      (await app.graphql(API_KEYS, { token: root.token, variables: { userId: unknown } })).data?.apiKeys,
      [],
    );
    gina.token = await logIn(app, 'gina');
  });

  it("a user still cannot touch someone else's key: NOT_FOUND, as if it did not exist", async () => {
    const key = (await app.graphql(CREATE_API_KEY, { token: ivy.token, variables: { input: { name: 'ivy script' } } }))
      .data!.createApiKey;
    assert.equal(
      errorCode(await app.graphql(REVOKE_API_KEY, { token: gina.token, variables: { input: { id: key.apiKey.id } } })),
      'NOT_FOUND',
    );
    assert.equal(await works(key.secret), true);
  });

  it('admin changes need a second factor at most 5 minutes old; reads need one passed in the session', async () => {
    const key = (await app.graphql(CREATE_API_KEY, { token: gina.token, variables: { input: { name: 'weekly' } } }))
      .data!.createApiKey;
    clock.advance(6 * 60_000);
    assert.equal(
      errorCode(
        await app.graphql(REVOKE_USER_SESSIONS, { token: root.token, variables: { input: { userId: gina.id } } }),
      ),
      'STEP_UP_REQUIRED',
    );
    assert.equal(
      errorCode(await app.graphql(REVOKE_API_KEY, { token: root.token, variables: { input: { id: key.apiKey.id } } })),
      'STEP_UP_REQUIRED',
    );
    assert.deepEqual([await works(gina.token), await works(key.secret)], [true, true], 'nothing was revoked');
    for (const [name, read] of adminReads(gina.id))
      assert.equal(errorCode(await read(root.token)), undefined, `root: ${name}`);
    await root.stepUp();
    assert.equal(
      (await app.graphql(REVOKE_API_KEY, { token: root.token, variables: { input: { id: key.apiKey.id } } })).data
        ?.revokeApiKey,
      true,
    );
  });

  it("an admin's API key reads and changes its own account only", async () => {
    await root.stepUp(); // createApiKey needs a fresh proof from an admin with MFA
    const adminKey = (
      await app.graphql(CREATE_API_KEY, { token: root.token, variables: { input: { name: 'admin script' } } })
    ).data!.createApiKey.secret;
    const ginaKey = (await app.graphql(CREATE_API_KEY, { token: gina.token, variables: { input: { name: 'target' } } }))
      .data!.createApiKey;
    assert.equal((await app.graphql(ME, { token: adminKey })).data?.me?.username, 'root');
    for (const [name, read] of adminReads(gina.id).filter(([name]) => name !== 'auditEvents (everyone)')) {
      assert.equal(errorCode(await read(adminKey)), 'FORBIDDEN', `admin key: ${name}`);
    }
    await assertOwnEventsOnly(adminKey, root.id);
    assert.equal(
      errorCode(
        await app.graphql(REVOKE_API_KEY, { token: adminKey, variables: { input: { id: ginaKey.apiKey.id } } }),
      ),
      'FORBIDDEN',
    );
    assert.equal(
      errorCode(
        await app.graphql(REVOKE_USER_SESSIONS, { token: adminKey, variables: { input: { userId: gina.id } } }),
      ),
      'FORBIDDEN',
    );
    assert.deepEqual([await works(gina.token), await works(ginaKey.secret)], [true, true]);

    const own = await app.graphql(AUDIT_EVENTS, { token: adminKey, variables: { userId: root.id } });
    assert.ok(own.data!.auditEvents.edges.every((edge) => edge.node.userId === root.id));
    assert.ok(
      (await app.graphql(API_KEYS, { token: adminKey })).data!.apiKeys.some((key) => key.name === 'admin script'),
    );
    assert.ok(
      (await app.graphql(SESSIONS, { token: adminKey })).data!.sessions.every((session) => !session.current),
      'a key is no session',
    );
  });

  it('an admin without a factor signs in only to enroll, and can read or change nothing of anyone else', async () => {
    const login = (await app.graphql(LOGIN, { variables: { input: OPS } })).data!.login;
    assert.deepEqual(
      [login.enrollmentRequired, login.mfaRequired],
      [true, false],
      'an admin is created with MFA ENABLED',
    );
    ops.token = login.accessToken!;
    for (const [name, read] of adminReads(gina.id))
      assert.equal(errorCode(await read(ops.token)), 'FORBIDDEN', `ops: ${name}`);
    assert.equal(
      errorCode(
        await app.graphql(REVOKE_USER_SESSIONS, { token: ops.token, variables: { input: { userId: gina.id } } }),
      ),
      'FORBIDDEN',
    );
    assert.equal(
      errorCode(
        await app.graphql(SET_MFA_POLICY_STATUS, {
          token: ops.token,
          variables: { input: { userId: ops.id, status: 'DISABLED' } },
        }),
      ),
      'FORBIDDEN',
    );
    assert.equal(await works(gina.token), true);

    ops.totp = await enrollTotp(app, ops.token, clock); // the first sign-in's enrollment
    for (const [name, read] of adminReads(gina.id))
      assert.equal(errorCode(await read(ops.token)), undefined, `ops with MFA: ${name}`);
    ops.key = (
      await app.graphql(CREATE_API_KEY, { token: ops.token, variables: { input: { name: 'ops script' } } })
    ).data!.createApiKey.secret;
  });

  it("an admin cannot act on another admin's MFA, sessions or keys, nor turn their own MFA off; reads are allowed", async () => {
    const opsKeyId = (await app.graphql(API_KEYS, { token: ops.token })).data!.apiKeys[0].id;
    const before = async () => ({
      factors: (await storedFactors(app, ops.id)).map((factor) => String(factor._id)),
      status: (await storedUser(app, ops.id)).mfaPolicyStatus,
    });
    const stored = await before();
    await root.stepUp();
    const attempts: Array<[string, () => Promise<GraphQLResponse<unknown>>]> = [
      [
        'setMfaPolicyStatus(ops, DISABLED)',
        () =>
          app.graphql(SET_MFA_POLICY_STATUS, {
            token: root.token,
            variables: { input: { userId: ops.id, status: 'DISABLED' } },
          }),
      ],
      [
        'setMfaPolicyStatus(ops, ENABLED)',
        () =>
          app.graphql(SET_MFA_POLICY_STATUS, {
            token: root.token,
            variables: { input: { userId: ops.id, status: 'ENABLED' } },
          }),
      ],
      [
        'setMfaPolicyStatus(self, DISABLED)',
        () =>
          app.graphql(SET_MFA_POLICY_STATUS, {
            token: root.token,
            variables: { input: { userId: root.id, status: 'DISABLED' } },
          }),
      ],
      [
        'enableMfa(ops)',
        () => app.graphql(ENABLE_MFA, { token: root.token, variables: { input: { userId: ops.id, recreate: true } } }),
      ],
      [
        'disableMfa(ops)',
        () => app.graphql(DISABLE_MFA, { token: root.token, variables: { input: { userId: ops.id } } }),
      ],
      [
        'disableMfa(ops, factorId)',
        () =>
          app.graphql(DISABLE_MFA, {
            token: root.token,
            variables: { input: { userId: ops.id, factorId: ops.totp!.factorId } },
          }),
      ],
      [
        'revokeUserSessions(ops)',
        () => app.graphql(REVOKE_USER_SESSIONS, { token: root.token, variables: { input: { userId: ops.id } } }),
      ],
      [
        'revokeApiKey(ops key)',
        () => app.graphql(REVOKE_API_KEY, { token: root.token, variables: { input: { id: opsKeyId } } }),
      ],
    ];
    for (const [name, attempt] of attempts) assert.equal(errorCode(await attempt()), 'FORBIDDEN', name);
    assert.deepEqual(await before(), stored);
    assert.deepEqual([await works(ops.token), await works(ops.key!)], [true, true]);
    assert.equal((await storedUser(app, root.id)).mfaPolicyStatus, 'ENABLED');
    assert.ok(
      (await app.graphql(SESSIONS, { token: root.token, variables: { userId: ops.id } })).data!.sessions.length > 0,
      "another admin's sessions may be read",
    );
  });

  it('an enrollment an admin started for a user who has become an admin since cannot be accepted', async () => {
    const kai = await signUpAndLogIn(app, 'kai');
    await root.stepUp();
    const enabled = (await app.graphql(ENABLE_MFA, { token: root.token, variables: { input: { userId: kai.id } } }))
      .data!.enableMfa;
    await app.database.connection
      .db!.collection('users')
      .updateOne({ _id: new Types.ObjectId(kai.id) }, { $set: { role: 'ADMIN' } });
    const accepted = await app.graphql(ACCEPT_MFA, {
      token: root.token,
      variables: { input: { token: enabled.token, code: totpCode(totpSecretOf(enabled.details), clock) } },
    });
    assert.equal(errorCode(accepted), 'FORBIDDEN');
    assert.deepEqual(
      (await storedFactors(app, kai.id)).map((factor) => factor.status),
      ['PENDING'],
    );
  });

  it("removing an admin's last factor keeps MFA ENABLED: that admin's next sign-in enrolls again, and the session reads nothing of others", async () => {
    const removed = await app.graphql(DISABLE_MFA, {
      token: ops.token,
      variables: { input: { password: OPS.password, code: totpCode(ops.totp!.secret, clock) } },
    });
    assert.deepEqual(
      [removed.data?.disableMfa.factors, removed.data?.disableMfa.mfaPolicyStatus],
      [[], 'ENABLED'],
      JSON.stringify(removed.errors),
    );
    for (const [name, read] of adminReads(gina.id).filter(([name]) => name !== 'auditEvents (everyone)')) {
      assert.equal(errorCode(await read(ops.token)), 'FORBIDDEN', `ops without a factor: ${name}`);
    }
    await assertOwnEventsOnly(ops.token, ops.id);
    const login = (await app.graphql(LOGIN, { variables: { input: OPS } })).data!.login;
    assert.deepEqual([login.enrollmentRequired, login.mfaRequired], [true, false]);
    const step = await app.graphql(STEP_UP, {
      token: ops.token,
      variables: { input: { code: totpCode(ops.totp!.secret, clock) } },
    });
    assert.notEqual(errorCode(step), undefined, 'the removed factor proves nothing');
  });
});

describe('admins stored with MFA off by an earlier version', () => {
  it('get MFA ENABLED at the next start, their password-only sessions end, and their next sign-in enrolls a factor', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'admin-mfa-'));
    try {
      const first = await startTestApp({ ...ADMIN_ENV, DATA_DIR: dataDir });
      const users = () => first.database.connection.db!.collection('users');
      assert.equal(
        (await users().findOne({ role: 'ADMIN' }))!.mfaPolicyStatus,
        'ENABLED',
        'the bootstrap admin is created with MFA on',
      );
      await users().updateOne({ role: 'ADMIN' }, { $set: { mfaPolicyStatus: 'DISABLED' } });
      const passwordOnly = await first.graphql(LOGIN, {
        variables: { input: { username: ADMIN_ENV.ADMIN_USERNAME, password: ADMIN_ENV.ADMIN_PASSWORD } },
      });
      const sessionToken = passwordOnly.data?.login.accessToken;
      assert.ok(sessionToken, 'with MFA off, the password alone made a session');
      await first.stop();

      const second = await startTestApp({ ...ADMIN_ENV, DATA_DIR: dataDir });
      try {
        assert.equal(
          (await second.database.connection.db!.collection('users').findOne({ role: 'ADMIN' }))!.mfaPolicyStatus,
          'ENABLED',
        );
        const login = await second.graphql(LOGIN, {
          variables: { input: { username: ADMIN_ENV.ADMIN_USERNAME, password: ADMIN_ENV.ADMIN_PASSWORD } },
        });
        assert.equal(login.data?.login.enrollmentRequired, true);
        assert.ok(second.logLines.some((line) => line.includes('turned MFA on for admins')));
        assert.equal(errorCode(await second.graphql(ME, { token: sessionToken })), 'UNAUTHENTICATED');
        // The full sessions: the one the password made while MFA was off (the sign-in above made an enrollment one).
        const sessions = await second.database.connection.db!.collection('sessions').find({ scope: 'FULL' }).toArray();
        assert.equal(sessions.length, 1);
        assert.ok(
          sessions[0].revokedAt instanceof Date,
          'the password-only session ended at the start, not merely paused',
        );
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
