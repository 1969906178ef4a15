import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AuditEventTypesDocument as AUDIT_EVENT_TYPES,
  CreateApiKeyDocument as CREATE_API_KEY,
  FilteredAuditEventsDocument as AUDIT_EVENTS,
  LoginDocument as LOGIN,
  MailQueueDocument as MAIL_QUEUE,
} from '../generated/graphql.js';
import { logIn, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa } from '../support/admin.js';
import { TestClock } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';
import { containsToken, waitFor } from '../mail/mail-harness.js';

// The admin console's reads beyond users: the audit trail filtered by event type and time, and the mail queue's
// counts and failed jobs (why they failed, never to whom or what).

describe('admin console reads: audit filters and the mail queue', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  let admin: string;
  let adminId: string;
  /** What the bootstrap admin's session was answered before the admin had a factor. */
  let preMfaAnswer: string | undefined;
  let user: { id: string; token: string };

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ ...ADMIN_ENV, SMTP_URL: sink.url }, { clock: clock.now });
    // Before its first factor, the bootstrap admin's sign-in only reaches enrollment (and enrolling ends that session).
    const login = await app.graphql(LOGIN, {
      variables: { input: { username: ADMIN_ENV.ADMIN_USERNAME, password: ADMIN_ENV.ADMIN_PASSWORD } },
    });
    preMfaAnswer = errorCode(await app.graphql(MAIL_QUEUE, { token: login.data!.login.accessToken! }));
    const mfaAdmin = await adminWithMfa(app, clock);
    admin = mfaAdmin.token;
    adminId = mfaAdmin.id;
    user = await signUpAndLogIn(app, 'lena');
    await signUpAndLogIn(app, 'moe');
  });

  after(async () => {
    await app?.stop();
    await sink?.stop();
  });

  const failSignIn = (username: string) =>
    app.graphql(LOGIN, { variables: { input: { username, password: 'not the password' } } });

  it('filters the audit trail by event types, for everyone or one user, and pages through the filtered events', async () => {
    await failSignIn('lena');
    await failSignIn('moe');
    await failSignIn('moe');
    const failed = await app.graphql(AUDIT_EVENTS, {
      token: admin,
      variables: { types: ['sign_in.failed'], first: 50 },
    });
    assert.equal(errorCode(failed), undefined, JSON.stringify(failed.errors));
    const nodes = failed.data!.auditEvents.edges.map((edge) => edge.node);
    assert.equal(nodes.length, 3);
    assert.ok(nodes.every((node) => node.type === 'sign_in.failed'));

    const both = await app.graphql(AUDIT_EVENTS, {
      token: admin,
      variables: { types: ['sign_in.failed', 'account.signed_up'], userId: user.id },
    });
    assert.deepEqual(
      both.data!.auditEvents.edges.map((edge) => edge.node.type),
      ['sign_in.failed', 'account.signed_up'],
      "lena's, newest first",
    );

    const firstPage = await app.graphql(AUDIT_EVENTS, {
      token: admin,
      variables: { types: ['sign_in.failed'], first: 2 },
    });
    assert.equal(firstPage.data!.auditEvents.pageInfo.hasNextPage, true);
    const secondPage = await app.graphql(AUDIT_EVENTS, {
      token: admin,
      variables: { types: ['sign_in.failed'], first: 2, after: firstPage.data!.auditEvents.pageInfo.endCursor },
    });
    assert.deepEqual(
      [...firstPage.data!.auditEvents.edges, ...secondPage.data!.auditEvents.edges].map((edge) => edge.node.id),
      nodes.map((node) => node.id),
    );
    assert.equal(secondPage.data!.auditEvents.pageInfo.hasNextPage, false);
  });

  it('filters by a time range: since inclusive, until exclusive, to the millisecond', async () => {
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await failSignIn('lena');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const until = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await failSignIn('lena');
    const inRange = await app.graphql(AUDIT_EVENTS, {
      token: admin,
      variables: { since: since.toISOString(), until: until.toISOString(), types: ['sign_in.failed'] },
    });
    const times = inRange.data!.auditEvents.edges.map((edge) => new Date(edge.node.createdAt).getTime());
    assert.equal(times.length, 1, JSON.stringify(inRange));
    assert.ok(times[0] >= since.getTime() && times[0] < until.getTime());

    const afterwards = await app.graphql(AUDIT_EVENTS, {
      token: admin,
      variables: { since: until.toISOString(), types: ['sign_in.failed'] },
    });
    assert.equal(afterwards.data!.auditEvents.edges.length, 1);
    const before = await app.graphql(AUDIT_EVENTS, {
      token: admin,
      variables: { until: since.toISOString(), types: ['sign_in.failed'] },
    });
    assert.equal(before.data!.auditEvents.edges.length, 3, 'the three of the first test');
  });

  it('keeps a user to their own events whatever the filters, and lists the event types', async () => {
    await failSignIn('moe');
    const own = await app.graphql(AUDIT_EVENTS, { token: user.token, variables: { types: ['sign_in.failed'] } });
    assert.ok(own.data!.auditEvents.edges.length > 0);
    assert.ok(own.data!.auditEvents.edges.every((edge) => edge.node.userId === user.id));
    assert.equal(
      errorCode(
        await app.graphql(AUDIT_EVENTS, {
          token: user.token,
          variables: { userId: adminId, types: ['sign_in.failed'] },
        }),
      ),
      'FORBIDDEN',
    );
    const types = (await app.graphql(AUDIT_EVENT_TYPES, { token: user.token })).data!.auditEventTypes;
    assert.ok(types.includes('sign_in.failed') && types.includes('mfa.policy_changed'));
    assert.equal(errorCode(await app.graphql(AUDIT_EVENT_TYPES, {})), 'UNAUTHENTICATED');
  });

  it('refuses unknown or too many types, an empty list, a backwards range and a malformed time with BAD_USER_INPUT', async () => {
    for (const variables of [
      { types: ['sign_in.nope'] },
      { types: [] },
      { types: Array.from({ length: 21 }, () => 'sign_in.failed') },
      { types: [{ $ne: null }] },
      { since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' },
      { since: '2026-01-01T00:00:00Z', until: '2026-01-01T00:00:00Z' },
      { since: 'yesterday' },
    ]) {
      const answer = await app.graphql(AUDIT_EVENTS, { token: admin, variables: variables as never });
      assert.equal(errorCode(answer), 'BAD_USER_INPUT', JSON.stringify(variables).slice(0, 60));
    }
  });

  it('keeps the mail queue to admins in a session that passed MFA', async () => {
    assert.equal(errorCode(await app.graphql(MAIL_QUEUE, {})), 'UNAUTHENTICATED');
    assert.equal(errorCode(await app.graphql(MAIL_QUEUE, { token: user.token })), 'FORBIDDEN');
    assert.equal(preMfaAnswer, 'FORBIDDEN', 'an admin without a factor signs in to enrollment only');
    const adminKey = (await app.graphql(CREATE_API_KEY, { token: admin, variables: { input: { name: 'ops' } } })).data!
      .createApiKey.secret;
    assert.equal(errorCode(await app.graphql(MAIL_QUEUE, { token: adminKey })), 'FORBIDDEN');
    // An admin (promoted in the database) with no factor of its own, in a full password session.
    await app.database.connection
      .db!.collection('users')
      .updateOne({ usernameKey: 'moe' }, { $set: { role: 'ADMIN' } });
    const factorless = await logIn(app, 'moe');
    assert.equal(errorCode(await app.graphql(MAIL_QUEUE, { token: factorless })), 'FORBIDDEN');
    for (const failedJobs of [-1, 101]) {
      assert.equal(
        errorCode(await app.graphql(MAIL_QUEUE, { token: admin, variables: { failedJobs } })),
        'BAD_USER_INPUT',
      );
    }
  });

  it("shows a failed mail's reason, attempts and template, never its recipient or code", async () => {
    const before = (await app.graphql(MAIL_QUEUE, { token: admin })).data!.mailQueue;
    assert.equal(before.delivery, 'INLINE_SMTP');
    sink.rejectRcpt(550, 1); // permanent: one try, then failed (the sink quotes the recipient in its reply)
    const to = 'quentin.private@example.org';
    const code = '918273';
    await app.mail.sender.send({ template: 'mfa-code', to, params: { code, minutes: 10 } });
    const status = await waitFor('the failed job', async () => {
      const answer = await app.graphql(MAIL_QUEUE, { token: admin });
      return answer.data!.mailQueue.failed > before.failed && answer;
    });
    const queue = status.data!.mailQueue;
    assert.deepEqual([queue.waiting, queue.active, queue.delayed], [0, 0, 0]);
    const [job] = queue.failedJobs;
    assert.equal(job.template, 'mfa-code');
    assert.equal(job.attempts, 1);
    assert.match(job.failedReason, /^SMTP 550 after RCPT TO: .*test rejection/);
    assert.ok(job.failedAt && Date.parse(job.failedAt) >= Date.parse(job.queuedAt));
    const whole = JSON.stringify(status);
    for (const secret of [to, 'quentin.private', 'quentin', code])
      assert.ok(!containsToken(whole, secret), `${secret} must not appear in the answer`);

    const none = await app.graphql(MAIL_QUEUE, { token: admin, variables: { failedJobs: 0 } });
    assert.deepEqual(none.data!.mailQueue.failedJobs, []);
    assert.equal(none.data!.mailQueue.failed, queue.failed);
  });
});
