import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import { DEMOTION_MARK_STALE_MS, LastAdminGuard } from '../../src/accounts/last-admin-guard.js';
import { Role, type UserModel } from '../../src/accounts/user.model.js';
import { STEP_UP_MAX_AGE_MS } from '../../src/mfa/step-up.js';
import {
  CreateApiKeyDocument as CREATE_API_KEY,
  DeactivateUserDocument as DEACTIVATE,
  DeleteUserDocument as DELETE,
  EnableMfaDocument as ENABLE_MFA,
  FindUsersDocument as FIND_USERS,
  LoginDocument as LOGIN,
  ReactivateUserDocument as REACTIVATE,
  SetUserRoleDocument as SET_ROLE,
  UnlockUserDocument as UNLOCK,
  UserByIdOrNameDocument as USER,
} from '../generated/graphql.js';
import { logIn, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { storedUser, tally, userWithTotp, type MfaUser } from '../support/attacker.js';
import { TestClock, enrollTotp, mfaToken, totpCode, type EnrolledTotp } from '../support/mfa.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const OPS = { username: 'ops', password: 'ops admin password' };

describe('admin user management: who may do it, admins on admins, and races', () => {
  const clock = new TestClock();
  let app: TestApp;
  let root: MfaAdmin;
  /** A second admin with MFA, made as `npm run create-admin` makes one. */
  let ops: { id: string; token: string; totp: EnrolledTotp; stepUp(): Promise<void> };
  let mia: MfaUser;
  /** Admins that may act, by id: root, ops, and ada once promoted. */
  const actors = new Map<string, { token: string; stepUp(): Promise<void> }>();

  before(async () => {
    app = await startTestApp(ADMIN_ENV, { clock: clock.now });
    root = await adminWithMfa(app, clock);
    mia = await userWithTotp(app, clock, 'mia');
    const created = await app.services.accounts.createUser(OPS, Role.ADMIN);
    const token = await logIn(app, OPS.username, OPS.password); // enrollment-scoped: admins must use MFA
    const totp = await enrollTotp(app, token, clock);
    ops = {
      id: created._id.toHexString(),
      token,
      totp,
      async stepUp() {
        await proveFresh(token, totp);
      },
    };
    actors.set(root.id, root).set(ops.id, ops);
  });
  after(() => app.stop());

  const proveFresh = async (token: string, totp: EnrolledTotp) => {
    const stepped = await app.graphql('mutation StepUp($input: StepUpInput!) { stepUp(input: $input) }', {
      token,
      variables: { input: { code: totpCode(totp.secret, clock) } },
    });
    assert.equal(errorCode(stepped), undefined, JSON.stringify(stepped.errors));
    clock.nextStep();
  };
  const admins = () => app.database.connection.db!.collection('users').countDocuments({ role: 'ADMIN' });
  /** What a refused change must leave as it was. */
  const snapshot = async (id: string) => {
    const user = await app.database.connection.db!.collection('users').findOne({ _id: new Types.ObjectId(id) });
    const events = await app.database.connection.db!.collection('auditEvents').countDocuments({
      userId: new Types.ObjectId(id),
      type: /^account\.(unlocked|deactivated|reactivated|deleted|role_changed)$/,
    });
    return { user, events };
  };

  /** Every admin operation, aimed at `targetId` (reactivation at a deactivated account, `dormantId`). */
  const operations = (targetId: string, dormantId: string) =>
    [
      ['user', false, (token?: string) => app.graphql(USER, { token, variables: { id: targetId } })],
      ['users', false, (token?: string) => app.graphql(FIND_USERS, { token, variables: { text: 'vic' } })],
      [
        'unlockUser',
        true,
        (token?: string) => app.graphql(UNLOCK, { token, variables: { input: { userId: targetId } } }),
      ],
      [
        'deactivateUser',
        true,
        (token?: string) => app.graphql(DEACTIVATE, { token, variables: { input: { userId: targetId } } }),
      ],
      [
        'reactivateUser',
        true,
        (token?: string) => app.graphql(REACTIVATE, { token, variables: { input: { userId: dormantId } } }),
      ],
      [
        'deleteUser',
        true,
        (token?: string) => app.graphql(DELETE, { token, variables: { input: { userId: targetId } } }),
      ],
      [
        'setUserRole',
        true,
        (token?: string) => app.graphql(SET_ROLE, { token, variables: { input: { userId: targetId, role: 'ADMIN' } } }),
      ],
    ] as Array<[string, boolean, (token?: string) => Promise<GraphQLResponse<unknown>>]>;

  it('refuses everyone but an admin who uses MFA, and every change without a proof at most 5 minutes old; nothing changes', async () => {
    const vic = await signUpAndLogIn(app, 'vic');
    const dana = await signUpAndLogIn(app, 'dana');
    await root.stepUp();
    assert.equal(
      errorCode(await app.graphql(DEACTIVATE, { token: root.token, variables: { input: { userId: dana.id } } })),
      undefined,
    );
    const partial = await mfaToken(app, 'mia');
    const enrollmentToken = (
      await app.graphql(ENABLE_MFA, { token: vic.token, variables: { input: { factorType: 'totp' } } })
    ).data!.enableMfa.token;
    // An admin who has not enrolled a factor yet holds only an enrollment-scoped session.
    await app.services.accounts.createUser({ username: 'newbie', password: OPS.password }, Role.ADMIN);
    const newbie = await app.graphql(LOGIN, { variables: { input: { username: 'newbie', password: OPS.password } } });
    assert.equal(newbie.data?.login.enrollmentRequired, true);
    await root.stepUp();
    const rootKey = (await app.graphql(CREATE_API_KEY, { token: root.token, variables: { input: { name: 'ops' } } }))
      .data!.createApiKey.secret;
    const before = [await snapshot(vic.id), await snapshot(dana.id)];

    const callers: Array<[string, string | undefined, string]> = [
      ['anonymous', undefined, 'UNAUTHENTICATED'],
      ['an mfaToken as a bearer token', partial, 'UNAUTHENTICATED'],
      ['an enrollment token as a bearer token', enrollmentToken, 'UNAUTHENTICATED'],
      ['an admin’s enrollment-scoped session', newbie.data.login.accessToken!, 'FORBIDDEN'],
      ['a user', mia.token, 'FORBIDDEN'],
      ['the target itself', vic.token, 'FORBIDDEN'],
      ['an admin’s API key', rootKey, 'FORBIDDEN'],
    ];
    for (const [name, , run] of operations(vic.id, dana.id))
      for (const [who, token, code] of callers) assert.equal(errorCode(await run(token)), code, `${name} by ${who}`);

    clock.advance(STEP_UP_MAX_AGE_MS + 1000);
    for (const [name, change, run] of operations(vic.id, dana.id))
      assert.equal(
        errorCode(await run(root.token)),
        change ? 'STEP_UP_REQUIRED' : undefined,
        `${name} by an admin whose proof is stale: reads only`,
      );
    assert.deepEqual([await snapshot(vic.id), await snapshot(dana.id)], before);
  });

  it('never unlocks, deactivates or deletes another admin, nor lets an admin deactivate or delete themself', async () => {
    const before = await snapshot(ops.id);
    await root.stepUp();
    for (const [name, run] of [
      ['unlockUser', () => app.graphql(UNLOCK, { token: root.token, variables: { input: { userId: ops.id } } })],
      [
        'deactivateUser',
        () => app.graphql(DEACTIVATE, { token: root.token, variables: { input: { userId: ops.id } } }),
      ],
      ['deleteUser', () => app.graphql(DELETE, { token: root.token, variables: { input: { userId: ops.id } } })],
      [
        'deactivateUser(self)',
        () => app.graphql(DEACTIVATE, { token: root.token, variables: { input: { userId: root.id } } }),
      ],
      ['deleteUser(self)', () => app.graphql(DELETE, { token: root.token, variables: { input: { userId: root.id } } })],
    ] as const)
      assert.equal(errorCode(await run()), 'FORBIDDEN', name);
    assert.deepEqual(await snapshot(ops.id), before);
    assert.equal((await storedUser(app, root.id)).deactivatedAt, undefined);
    const self = await app.graphql(UNLOCK, { token: root.token, variables: { input: { userId: root.id } } });
    assert.equal(errorCode(self), undefined, 'unlocking oneself harms nobody');
  });

  it('answers malformed and unknown ids clearly, and does nothing', async () => {
    await root.stepUp();
    for (const userId of ['123', 'zzzzzzzzzzzzzzzzzzzzzzzz', '']) {
      const answer = await app.graphql(DEACTIVATE, { token: root.token, variables: { input: { userId } } });
      assert.equal(errorCode(answer), 'BAD_USER_INPUT', userId);
    }
    const unknown = new Types.ObjectId().toHexString();
    for (const run of [
      () => app.graphql(UNLOCK, { token: root.token, variables: { input: { userId: unknown } } }),
      () => app.graphql(DELETE, { token: root.token, variables: { input: { userId: unknown } } }),
      () => app.graphql(SET_ROLE, { token: root.token, variables: { input: { userId: unknown, role: 'USER' } } }),
    ])
      assert.equal(errorCode(await run()), 'NOT_FOUND');
    const badRole = await app.graphql(
      'mutation { setUserRole(input: { userId: "' + mia.id + '", role: GOD }) { id } }',
      { token: root.token },
    );
    assert.equal(errorCode(badRole), 'BAD_USER_INPUT');
    assert.equal((await storedUser(app, mia.id)).role, 'USER');
  });

  it('two admins demoting each other at once leave exactly one admin, round after round', async () => {
    assert.equal(await admins(), 3, 'root, ops and newbie');
    await root.stepUp();
    const newbieId = String(
      (await app.database.connection.db!.collection('users').findOne({ username: 'newbie' }))!._id,
    );
    assert.equal(
      errorCode(
        await app.graphql(SET_ROLE, { token: root.token, variables: { input: { userId: newbieId, role: 'USER' } } }),
      ),
      undefined,
    );
    for (let round = 0; round < 5; round++) {
      await root.stepUp();
      await ops.stepUp();
      const answers = await Promise.all([
        app.graphql(SET_ROLE, { token: root.token, variables: { input: { userId: ops.id, role: 'USER' } } }),
        app.graphql(SET_ROLE, { token: ops.token, variables: { input: { userId: root.id, role: 'USER' } } }),
      ]);
      assert.deepEqual(tally(answers), { OK: 1, FORBIDDEN: 1 }, `round ${round}: ${JSON.stringify(answers)}`);
      assert.equal(await admins(), 1, `round ${round}`);
      const [winner, loserId] = answers[0].errors ? [ops, root.id] : [root, ops.id];
      const promoted = await app.graphql(SET_ROLE, {
        token: winner.token,
        variables: { input: { userId: loserId, role: 'ADMIN' } },
      });
      assert.equal(errorCode(promoted), undefined, JSON.stringify(promoted.errors));
    }
    assert.equal(await admins(), 2);
    assert.equal(
      await app.database.connection.db!.collection('users').countDocuments({ demotion: { $exists: true } }),
      0,
    );
  });

  it('a demotion mark left by a process that died stops counting after 30 s; a live one holds demotions back', async () => {
    const users = app.database.connection.db!.collection('users');
    const mark = (id: string, ageMs: number) =>
      users.updateOne(
        { _id: new Types.ObjectId(id) },
        { $set: { demotion: { mark: 'another process', startedAt: new Date(clock.now().getTime() - ageMs) } } },
      );
    // The proof first: it moves the clock on, which ages the marks.
    const demoteOps = () =>
      app.graphql(SET_ROLE, { token: root.token, variables: { input: { userId: ops.id, role: 'USER' } } });
    await root.stepUp();
    await mark(root.id, DEMOTION_MARK_STALE_MS - 5000);
    assert.equal(errorCode(await demoteOps()), 'SERVICE_UNAVAILABLE', 'root may be on its way out: ops stays');
    assert.equal((await storedUser(app, ops.id)).role, 'ADMIN');
    await root.stepUp();
    await mark(root.id, DEMOTION_MARK_STALE_MS + 5000);
    await mark(ops.id, DEMOTION_MARK_STALE_MS + 5000);
    assert.equal(errorCode(await demoteOps()), undefined, 'stale marks count for nothing');
    assert.deepEqual(
      [(await storedUser(app, ops.id)).role, (await storedUser(app, ops.id)).demotion],
      ['USER', undefined],
    );
    await users.updateOne({ _id: new Types.ObjectId(root.id) }, { $unset: { demotion: 1 } });
    const back = await app.graphql(SET_ROLE, {
      token: root.token,
      variables: { input: { userId: ops.id, role: 'ADMIN' } },
    });
    assert.equal(errorCode(back), undefined);
  });

  it('a demotion stalled past the stale age after its count never leaves no admin: it undoes itself and decides again', async () => {
    const users = app.database.connection.model('User') as unknown as UserModel;
    const others = await users.find({ role: Role.ADMIN }, { _id: 1 }).lean();
    const [a, b] = await users.create([
      { username: 'stalla', usernameKey: 'stalla', passwordHash: 'x', role: Role.ADMIN, mfaPolicyStatus: 'ENABLED' },
      { username: 'stallb', usernameKey: 'stallb', passwordHash: 'x', role: Role.ADMIN, mfaPolicyStatus: 'ENABLED' },
    ]);
    // Only stalla and stallb are admins while the race runs.
    await users.updateMany({ _id: { $in: others.map((admin) => admin._id) } }, { $set: { role: Role.USER } });
    try {
      let reachedFinalUpdate!: () => void;
      const atFinalUpdate = new Promise<void>((resolve) => (reachedFinalUpdate = resolve));
      let release!: () => void;
      const stall = new Promise<void>((resolve) => (release = resolve));
      // stalla's demotion marks itself, counts stallb, then stalls (a pause, a failover) before its final update.
      const stalling = new Proxy(users, {
        get(target, property, receiver) {
          if (property === 'findOneAndUpdate')
            return (...args: Parameters<UserModel['findOneAndUpdate']>) => ({
              lean: async () => {
                reachedFinalUpdate();
                await stall;
                return target.findOneAndUpdate(...args).lean();
              },
            });
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const demoteA = new LastAdminGuard({ models: { users: stalling }, clock: clock.now }).demote(a._id);
      await atFinalUpdate;
      clock.advance(DEMOTION_MARK_STALE_MS + 1000);
      // stallb's demotion takes stalla's mark for stale, counts stalla as staying, and lands.
      const demotedB = await new LastAdminGuard({ models: { users }, clock: clock.now }).demote(b._id);
      assert.deepEqual([demotedB.user.role, demotedB.changed], [Role.USER, true]);
      release();
      await assert.rejects(demoteA, (error: Error) => /last admin/.test(error.message));
      assert.deepEqual(
        (await users.find({ _id: { $in: [a._id, b._id] } }).lean()).map((user) => [
          user.username,
          user.role,
          user.demotion,
        ]),
        [
          ['stalla', Role.ADMIN, undefined],
          ['stallb', Role.USER, undefined],
        ],
      );
    } finally {
      await users.updateMany({ _id: { $in: others.map((admin) => admin._id) } }, { $set: { role: Role.ADMIN } });
      await users.deleteMany({ _id: { $in: [a._id, b._id] } });
    }
  });

  it('admins demoting themselves all at once leave one; the last admin cannot be demoted', async () => {
    await root.stepUp();
    const ada = await userWithTotp(app, clock, 'ada');
    await app.graphql(SET_ROLE, { token: root.token, variables: { input: { userId: ada.id, role: 'ADMIN' } } });
    actors.set(ada.id, { token: ada.token, stepUp: () => proveFresh(ada.token, ada.totp) });
    for (const actor of actors.values()) await actor.stepUp();
    const callers = [
      [root.token, root.id],
      [ops.token, ops.id],
      [ada.token, ada.id],
    ];
    const answers = await Promise.all(
      callers.map(([token, userId]) =>
        app.graphql(SET_ROLE, { token, variables: { input: { userId, role: 'USER' } } }),
      ),
    );
    assert.deepEqual(tally(answers), { OK: 2, FORBIDDEN: 1 }, JSON.stringify(answers));
    assert.equal(await admins(), 1);
    const last = callers[answers.findIndex((answer) => answer.errors)];
    const refused = answers.find((answer) => answer.errors)!;
    assert.match(refused.errors![0].message, /last admin/);
    const again = await app.graphql(SET_ROLE, {
      token: last[0],
      variables: { input: { userId: last[1], role: 'USER' } },
    });
    assert.equal(errorCode(again), 'FORBIDDEN');
    assert.equal(await admins(), 1);
  });

  it('a deactivation racing a promotion never leaves a deactivated admin; two deletions of one account delete it once', async () => {
    const lastAdmin = String((await app.database.connection.db!.collection('users').findOne({ role: 'ADMIN' }))!._id);
    const otherId = [root.id, ops.id].find((id) => id !== lastAdmin)!;
    const [admin, other] = [actors.get(lastAdmin)!, actors.get(otherId)!];
    await admin.stepUp();
    // A second admin again, to race the first.
    const promoted = await app.graphql(SET_ROLE, {
      token: admin.token,
      variables: { input: { userId: otherId, role: 'ADMIN' } },
    });
    assert.equal(errorCode(promoted), undefined, JSON.stringify(promoted.errors));
    for (let round = 0; round < 4; round++) {
      const target = await signUpAndLogIn(app, `racer${round}`);
      await admin.stepUp();
      await other.stepUp();
      await Promise.all([
        app.graphql(DEACTIVATE, { token: admin.token, variables: { input: { userId: target.id } } }),
        app.graphql(SET_ROLE, { token: other.token, variables: { input: { userId: target.id, role: 'ADMIN' } } }),
      ]);
      const stored = await storedUser(app, target.id);
      assert.ok(!(stored.role === 'ADMIN' && stored.deactivatedAt), `round ${round}: ${JSON.stringify(stored)}`);
    }

    const gone = await signUpAndLogIn(app, 'gone');
    await admin.stepUp();
    await other.stepUp();
    const deletions = await Promise.all([
      app.graphql(DELETE, { token: admin.token, variables: { input: { userId: gone.id } } }),
      app.graphql(DELETE, { token: other.token, variables: { input: { userId: gone.id } } }),
    ]);
    assert.deepEqual(tally(deletions), { OK: 1, NOT_FOUND: 1 });
    const deletedEvents = await app.database.connection
      .db!.collection('auditEvents')
      .countDocuments({ userId: new Types.ObjectId(gone.id), type: 'account.deleted' });
    assert.equal(deletedEvents, 1);
  });
});
