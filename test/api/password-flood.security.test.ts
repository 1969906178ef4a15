import assert from 'node:assert/strict';
import mongoose from 'mongoose';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  ACCOUNT_FAILURES_BEFORE_LOCK,
  ACCOUNT_FAILURE_WINDOW_SECONDS,
  PASSWORD_ATTEMPTS_PER_WINDOW,
} from '../../src/accounts/login-throttle.js';
import type { AuditEventRecord, AuditEventType } from '../../src/audit/audit-event.model.js';
import { LoginDocument as LOGIN, SignUpDocument as SIGN_UP } from '../generated/graphql.js';
import { TEST_PASSWORD } from '../support/accounts.js';
import { retryAfter, tally } from '../support/attacker.js';
import { graphqlFrom } from '../support/client-address.js';
import { startSharedDatabase, type SharedDatabase } from '../support/mongo-under-test.js';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

type Answer = GraphQLResponse<unknown>;
/** Only so that a count that never adds up fails the test instead of stalling it: no timing is asserted. */
const COUNT_GUARD_MS = 20_000;
const login = (app: TestApp, username: string, password: string) =>
  app.graphql(LOGIN, { variables: { input: { username, password } } });
const loginFrom = (app: TestApp, address: string, username: string, password: string) =>
  graphqlFrom(app, address, LOGIN, { variables: { input: { username, password } } });

/** Audit events of `type`, straight from the database. */
const events = (app: TestApp, type: AuditEventType) =>
  app.database.connection.db!.collection<AuditEventRecord>('auditEvents').find({ type }).toArray();
const counted = (found: AuditEventRecord[]) => found.reduce((sum, event) => sum + (event.details?.count as number), 0);

describe('a flood of sign-ins with made-up names from one address', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ LOGIN_RATE_PER_ADDRESS: '60' });
    await app.graphql(SIGN_UP, { variables: { input: { username: 'victim', password: TEST_PASSWORD } } });
  });
  after(() => app.stop());

  it('checks at most the address budget, refuses the rest at once, and a user elsewhere signs in meanwhile', async () => {
    const flood = Promise.all(Array.from({ length: 300 }, (_, i) => login(app, `made-up-${i}`, `guess number ${i}`)));
    const elsewhere: Answer[] = [];
    for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4'])
      elsewhere.push(await loginFrom(app, address, 'victim', TEST_PASSWORD));
    const answers = await flood;

    for (const answer of elsewhere)
      assert.match(
        String((answer.data as { login?: { accessToken?: string } })?.login?.accessToken),
        /^mfa_at_/,
        JSON.stringify(answer.errors),
      );
    const codes = tally(answers);
    assert.deepEqual(
      Object.keys(codes).filter(
        (code) => !['INVALID_CREDENTIALS', 'TOO_MANY_ATTEMPTS', 'SERVICE_UNAVAILABLE'].includes(code),
      ),
      [],
      JSON.stringify(codes),
    );
    assert.ok(
      (codes.INVALID_CREDENTIALS ?? 0) <= 60,
      `${codes.INVALID_CREDENTIALS} passwords were checked for one address`,
    );
    assert.ok((codes.TOO_MANY_ATTEMPTS ?? 0) >= 240, JSON.stringify(codes));
    for (const answer of answers.filter((a) => errorCode(a) === 'TOO_MANY_ATTEMPTS')) {
      const seconds = Number(retryAfter(answer));
      assert.ok(seconds >= 1 && seconds <= 60, `retryAfterSeconds ${seconds}`);
    }
    for (const answer of answers.filter((a) => errorCode(a) === 'SERVICE_UNAVAILABLE'))
      assert.equal(retryAfter(answer), 1);

    // A process adds up the repeats it gathered within a second: wait for that, without timing it.
    let throttled = await events(app, 'sign_in.throttled');
    for (
      const deadline = Date.now() + COUNT_GUARD_MS;
      counted(throttled) !== codes.TOO_MANY_ATTEMPTS && Date.now() < deadline;
      await sleep(100)
    ) {
      throttled = await events(app, 'sign_in.throttled');
    }
    assert.equal(counted(throttled), codes.TOO_MANY_ATTEMPTS, 'each refusal is counted in its event');
    assert.ok(
      throttled.length <= 2,
      `${throttled.length} audit events for one address's refusals (one per hour, two across an hour's end)`,
    );
    assert.deepEqual(new Set(throttled.map((event) => event.details!.limit)), new Set(['address']));
    assert.ok(
      throttled.every((event) => event.ip === '127.0.0.1' && event.details!.username === undefined),
      'an address refusal names the address, not one of the names',
    );
  });

  it('refuses a known name from the spent address exactly as a made-up one', async () => {
    const known = await login(app, 'victim', TEST_PASSWORD);
    const unknown = await login(app, 'nobody-at-all', TEST_PASSWORD);
    assert.equal(errorCode(known), 'TOO_MANY_ATTEMPTS');
    assert.deepEqual(
      Object.keys(known.errors![0].extensions!).sort(),
      Object.keys(unknown.errors![0].extensions!).sort(),
    );
    assert.equal(known.errors![0].message.replace(/\d+/g, 'N'), unknown.errors![0].message.replace(/\d+/g, 'N'));
  });
});

describe('the per-address budget across server processes', () => {
  const apps: TestApp[] = [];
  before(async () => {
    const shared = {
      LOGIN_RATE_PER_ADDRESS: '10',
      REDIS_KEY_PREFIX: `test-shared-${process.pid}-${Date.now().toString(36)}`,
    };
    apps.push(await startTestApp(shared), await startTestApp(shared));
  });
  after(() => Promise.all(apps.map((app) => app.stop())));

  it('is one budget: 20 guesses spread over two processes get 10 checks', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 20; i++) answers.push(await login(apps[i % 2], `spread-${i}`, 'some guess 1'));
    assert.deepEqual(tally(answers), { INVALID_CREDENTIALS: 10, TOO_MANY_ATTEMPTS: 10 });
  });
});

describe('the per-account cap: guesses at one name from many addresses', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
    for (const username of ['target', 'survivor'])
      await app.graphql(SIGN_UP, { variables: { input: { username, password: TEST_PASSWORD } } });
  });
  after(() => app.stop());

  /** `count` wrong passwords for `username`, at most 10 (the per name-and-address limit) from each of the addresses `127.0.<block>.1`, `.2`, … */
  async function guessFromManyAddresses(username: string, count: number, block: number): Promise<Answer[]> {
    const answers: Answer[] = [];
    for (let sent = 0, host = 1; sent < count; host++) {
      const batch = Math.min(PASSWORD_ATTEMPTS_PER_WINDOW, count - sent);
      answers.push(
        ...(await Promise.all(
          Array.from({ length: batch }, (_, i) =>
            loginFrom(app, `127.0.${block}.${host}`, username, `wrong guess ${sent + i}`),
          ),
        )),
      );
      sent += batch;
    }
    return answers;
  }

  it('checks 100 consecutive failures in all, then refuses the name for a day, the right password too', async () => {
    const answers = await guessFromManyAddresses('target', ACCOUNT_FAILURES_BEFORE_LOCK + 10, 1);
    assert.deepEqual(tally(answers), { INVALID_CREDENTIALS: ACCOUNT_FAILURES_BEFORE_LOCK, TOO_MANY_ATTEMPTS: 10 });
    const right = await loginFrom(app, '127.0.9.1', 'target', TEST_PASSWORD);
    assert.equal(errorCode(right), 'TOO_MANY_ATTEMPTS');
    const seconds = Number(retryAfter(right));
    assert.ok(
      seconds > ACCOUNT_FAILURE_WINDOW_SECONDS - 3600 && seconds <= ACCOUNT_FAILURE_WINDOW_SECONDS,
      `retryAfterSeconds ${seconds}`,
    );
    await app.services.audit.flush();
    const locked = await events(app, 'sign_in.locked_out');
    assert.equal(locked.length, 1);
    assert.equal(locked[0].details!.count, 11, 'the 10 refused guesses and the refused right password, in one event');
    assert.equal(locked[0].details!.username, 'target');
    const other = await loginFrom(app, '127.0.9.1', 'survivor', TEST_PASSWORD);
    assert.match(
      String((other.data as { login?: { accessToken?: string } })?.login?.accessToken),
      /^mfa_at_/,
      'other names are not affected',
    );
  });

  it(
    'lets the owner in from a network they signed in from before while the name is locked for every other network, ' +
      'with the other limits still there',
    async () => {
      await app.graphql(SIGN_UP, { variables: { input: { username: 'regular', password: TEST_PASSWORD } } });
      const [home, office, newPlace, neverSignedIn] = ['127.0.5.1', '127.0.5.2', '127.0.5.3', '127.0.5.4'];
      for (const address of [home, office])
        assert.equal((await loginFrom(app, address, 'regular', TEST_PASSWORD)).errors, undefined);

      const lock = await guessFromManyAddresses('regular', ACCOUNT_FAILURES_BEFORE_LOCK + 10, 6);
      assert.deepEqual(tally(lock), { INVALID_CREDENTIALS: ACCOUNT_FAILURES_BEFORE_LOCK, TOO_MANY_ATTEMPTS: 10 });
      assert.equal(
        errorCode(await loginFrom(app, newPlace, 'regular', TEST_PASSWORD)),
        'TOO_MANY_ATTEMPTS',
        'a network the owner never used is locked out',
      );

      // From a known network the password is still checked, under the per name-and-address limit (10 per 15 min).
      const fromOffice: Answer[] = [];
      for (let i = 0; i <= PASSWORD_ATTEMPTS_PER_WINDOW; i++)
        fromOffice.push(await loginFrom(app, office, 'regular', `office guess ${i}`));
      assert.deepEqual(tally(fromOffice), { INVALID_CREDENTIALS: PASSWORD_ATTEMPTS_PER_WINDOW, TOO_MANY_ATTEMPTS: 1 });

      // A name with remembered networks and a name nobody has answer alike to an address that never signed in.
      await guessFromManyAddresses('nobody-regular', ACCOUNT_FAILURES_BEFORE_LOCK, 7);
      const known = await loginFrom(app, neverSignedIn, 'regular', 'one more guess');
      const unknown = await loginFrom(app, neverSignedIn, 'nobody-regular', 'one more guess');
      assert.deepEqual([errorCode(known), errorCode(unknown)], ['TOO_MANY_ATTEMPTS', 'TOO_MANY_ATTEMPTS']);
      assert.deepEqual(
        Object.keys(known.errors![0].extensions!).sort(),
        Object.keys(unknown.errors![0].extensions!).sort(),
      );
      assert.equal(known.errors![0].message.replace(/\d+/g, 'N'), unknown.errors![0].message.replace(/\d+/g, 'N'));

      const owner = await loginFrom(app, home, 'regular', TEST_PASSWORD);
      assert.match(
        String((owner.data as { login?: { accessToken?: string } })?.login?.accessToken),
        /^mfa_at_/,
        JSON.stringify(owner.errors),
      );
    },
  );

  it('treats a name nobody has the same way, so the lock says nothing about existence', async () => {
    const answers = await guessFromManyAddresses('no-such-account', ACCOUNT_FAILURES_BEFORE_LOCK + 10, 2);
    assert.deepEqual(tally(answers), { INVALID_CREDENTIALS: ACCOUNT_FAILURES_BEFORE_LOCK, TOO_MANY_ATTEMPTS: 10 });
    const known = await loginFrom(app, '127.0.9.2', 'target', 'one more guess');
    const unknown = await loginFrom(app, '127.0.9.2', 'no-such-account', 'one more guess');
    assert.deepEqual([errorCode(known), errorCode(unknown)], ['TOO_MANY_ATTEMPTS', 'TOO_MANY_ATTEMPTS']);
    assert.equal(known.errors![0].message.replace(/\d+/g, 'N'), unknown.errors![0].message.replace(/\d+/g, 'N'));
  });

  it('starts the count over after the right password', async () => {
    await app.graphql(SIGN_UP, { variables: { input: { username: 'forgetful', password: TEST_PASSWORD } } });
    const before = await guessFromManyAddresses('forgetful', ACCOUNT_FAILURES_BEFORE_LOCK - 5, 3);
    assert.deepEqual(tally(before), { INVALID_CREDENTIALS: ACCOUNT_FAILURES_BEFORE_LOCK - 5 });
    const right = await loginFrom(app, '127.0.3.200', 'forgetful', TEST_PASSWORD);
    assert.ok((right.data as { login?: { accessToken?: string } })?.login?.accessToken, JSON.stringify(right.errors));
    const afterwards = await guessFromManyAddresses('forgetful', 10, 4);
    assert.deepEqual(tally(afterwards), { INVALID_CREDENTIALS: 10 }, 'without the reset, 5 of these would be refused');
  });
});

describe('sign-ups per client address', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ SIGNUP_RATE_PER_ADDRESS: '3' });
  });
  after(() => app.stop());

  it('creates at most SIGNUP_RATE_PER_ADDRESS accounts an hour from one address, in parallel too; other addresses still sign up', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        app.graphql(SIGN_UP, { variables: { input: { username: `bulk-${i}`, password: TEST_PASSWORD } } }),
      ),
    );
    assert.deepEqual(tally(answers), { OK: 3, TOO_MANY_ATTEMPTS: 3 });
    const seconds = Number(retryAfter(answers.find((answer) => errorCode(answer) === 'TOO_MANY_ATTEMPTS')!));
    assert.ok(seconds >= 1 && seconds <= 3600, `retryAfterSeconds ${seconds}`);
    const elsewhere = await graphqlFrom(app, '127.0.0.2', SIGN_UP, {
      variables: { input: { username: 'elsewhere', password: TEST_PASSWORD } },
    });
    assert.equal(elsewhere.errors, undefined);
    assert.equal(await app.database.connection.db!.collection('users').countDocuments(), 4);
    await app.services.audit.flush();
    const throttled = await events(app, 'account.sign_up_throttled');
    assert.equal(throttled.length, 1);
    assert.equal(throttled[0].details!.count, 3);
  });
});

describe('sign-ups the server was too busy to hash', () => {
  const BUDGET = 40;
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ SIGNUP_RATE_PER_ADDRESS: String(BUDGET) });
  });
  after(() => app.stop());

  it('do not count against the address: a burst refused with SERVICE_UNAVAILABLE can be sent again, up to the budget', async () => {
    const signUp = (username: string) =>
      app.graphql(SIGN_UP, { variables: { input: { username, password: TEST_PASSWORD } } });
    const burst = await Promise.all(Array.from({ length: BUDGET }, (_, i) => signUp(`burst-${i}`)));
    const codes = tally(burst);
    assert.ok(
      (codes.SERVICE_UNAVAILABLE ?? 0) >= 1,
      `the burst should overflow the hashing queue: ${JSON.stringify(codes)}`,
    );
    assert.deepEqual(Object.keys(codes).sort(), ['OK', 'SERVICE_UNAVAILABLE'], JSON.stringify(codes));
    const again: Answer[] = [];
    for (const [i, answer] of burst.entries())
      if (errorCode(answer) === 'SERVICE_UNAVAILABLE') again.push(await signUp(`burst-${i}`));
    assert.deepEqual(tally(again), { OK: codes.SERVICE_UNAVAILABLE }, 'a busy server cost the client sign-ups');
    assert.equal(errorCode(await signUp('one-too-many')), 'TOO_MANY_ATTEMPTS');
  });
});

describe('refusals cost no storage, across processes', () => {
  let database: SharedDatabase;
  const apps: TestApp[] = [];
  before(async () => {
    database = await startSharedDatabase();
    const shared = {
      MONGODB_URI: database.uri,
      MFA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      LOGIN_RATE_PER_ADDRESS: '5',
      REDIS_KEY_PREFIX: `test-shared-${process.pid}-${Date.now().toString(36)}`,
    };
    apps.push(await startTestApp(shared), await startTestApp(shared));
  });
  after(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await database?.close();
  });

  it('1,000 throttled sign-ins over two processes write a handful of audit events, with every refusal counted by their shutdown', async () => {
    const answers: Answer[] = [];
    for (let round = 0; round < 10; round++) {
      answers.push(
        ...(await Promise.all(
          Array.from({ length: 100 }, (_, i) => login(apps[i % 2], `made-up-${round}-${i}`, 'some guess 1')),
        )),
      );
    }
    assert.deepEqual(tally(answers), { INVALID_CREDENTIALS: 5, TOO_MANY_ATTEMPTS: 995 });
    await Promise.all(apps.map((app) => app.stop()));
    const connection = await mongoose.createConnection(database.uri).asPromise();
    try {
      const auditEvents = connection.db!.collection<AuditEventRecord>('auditEvents');
      const stored = await auditEvents.countDocuments();
      assert.ok(stored <= 5 + 2, `${stored} audit events: the 5 checked failures, and one per hour for the refusals`);
      assert.equal(counted(await auditEvents.find({ type: 'sign_in.throttled' }).toArray()), 995);
    } finally {
      await connection.close();
    }
  });
});
