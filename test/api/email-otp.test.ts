import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  EnableEmailMfaDocument as ENABLE_EMAIL,
  SendMfaCodeDocument as SEND_CODE,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { CODE_SUBJECT, codeIn, enrollEmail, nextMail, sendAndReadCode } from '../support/email.js';
import { TestClock, mfaToken, otherCode } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { LIFTED_DELIVERY_CAPS, errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const MINUTE_MS = 60_000;

/** The e-mail method (Catalogic vStor's second one) end to end: enrollment and sign-in by e-mail through BullMQ into a real SMTP server. */
describe('e-mail one-time codes over HTTP', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  let factorId: string;
  const address = 'erin@example.com';
  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp(
      { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, ...LIFTED_DELIVERY_CAPS },
      { clock: clock.now },
    );
    const { token } = await signUpAndLogIn(app, 'erin');
    const masked = await app.graphql(ENABLE_EMAIL, { token, variables: { input: { factorType: 'email' } } });
    assert.deepEqual(masked.data?.enableMfa.details, {
      __typename: 'EmailEnrollment',
      maskedEmail: 'e***n@example.com',
    });
    await nextMail(sink, address, CODE_SUBJECT, 0); // that enrollment's code; starting again abandons it
    ({ factorId } = await enrollEmail(app, sink, token, address));
  });
  after(async () => {
    await app.stop();
    await sink.stop();
  });

  const signIn = async (code: string, token?: string) =>
    app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: token ?? (await mfaToken(app, 'erin')), factorId, code } },
    });
  const send = async (token: string) => sendAndReadCode(app, sink, { mfaToken: token, factorId }, address);

  it('sends the enrollment code and a notice, and signs in with a mailed code', async () => {
    await nextMail(sink, address, /was added/, 0); // the factor-added notice
    const early = await app.graphql(SEND_CODE, {
      variables: { input: { mfaToken: await mfaToken(app, 'erin'), factorId } },
    });
    assert.equal(errorCode(early), 'TOO_MANY_ATTEMPTS', 'the enrollment code counts toward the cooldown');
    clock.advance(31_000);
    const token = await mfaToken(app, 'erin');
    const signedIn = await signIn(await send(token), token);
    assert.match(signedIn.data?.verifyMfa.accessToken ?? '', /^mfa_at_/);
  });

  it('refuses a code one second past its ten minutes, and takes one a second before', async () => {
    clock.advance(31_000);
    let code = await send(await mfaToken(app, 'erin'));
    clock.advance(10 * MINUTE_MS - 1000);
    assert.match((await signIn(code)).data?.verifyMfa.accessToken ?? '', /^mfa_at_/);
    code = await send(await mfaToken(app, 'erin'));
    clock.advance(10 * MINUTE_MS + 1000);
    assert.equal(errorCode(await signIn(code)), 'INVALID_CODE');
    assert.ok(
      (await signIn(await send(await mfaToken(app, 'erin')))).data?.verifyMfa.accessToken,
      'a success clears the failure count for the next test',
    );
  });

  it('kills the previous code on resend, without resetting the failure count', async () => {
    clock.advance(31_000);
    const first = await send(await mfaToken(app, 'erin'));
    for (let i = 0; i < 3; i++) assert.equal(errorCode(await signIn(wrong(first))), 'INVALID_CODE');
    clock.advance(31_000);
    const second = await send(await mfaToken(app, 'erin'));
    assert.equal(errorCode(await signIn(first)), 'INVALID_CODE', 'the first code died with the resend (4th failure)');
    assert.equal(
      errorCode(await signIn(wrong(second))),
      'INVALID_CODE',
      '5th failure: the count went on across the resend',
    );
    const locked = await signIn(second);
    assert.equal(errorCode(locked), 'TOO_MANY_ATTEMPTS');
    clock.advance(61_000);
    assert.match((await signIn(second)).data?.verifyMfa.accessToken ?? '', /^mfa_at_/);
  });

  it('lets one code survive five wrong tries only: the sixth, even right, is refused', async () => {
    clock.advance(31_000);
    const code = await send(await mfaToken(app, 'erin'));
    for (let i = 0; i < 5; i++) assert.equal(errorCode(await signIn(wrong(code))), 'INVALID_CODE');
    assert.equal(errorCode(await signIn(code)), 'TOO_MANY_ATTEMPTS', 'the user is locked by the same five');
    clock.advance(61_000);
    assert.equal(
      errorCode(await signIn(code)),
      'INVALID_CODE',
      'after the lock the code is still dead: five tries per code',
    );
    clock.advance(31_000);
    assert.match(
      (await signIn(await send(await mfaToken(app, 'erin')))).data?.verifyMfa.accessToken ?? '',
      /^mfa_at_/,
      'a new code works',
    );
  });

  it('holds a 30 s cooldown per factor and ten sends per hour per user', async () => {
    clock.advance(HOUR_PLUS); // the earlier tests' sends leave the hour
    const token = await mfaToken(app, 'erin');
    await send(token);
    const tooSoon = await app.graphql(SEND_CODE, { variables: { input: { mfaToken: token, factorId } } });
    assert.equal(errorCode(tooSoon), 'TOO_MANY_ATTEMPTS');
    assert.ok(Number(tooSoon.errors![0].extensions!.retryAfterSeconds) <= 30);
    const seen = sink.mails.length;
    const results: Array<string | undefined> = [];
    for (let i = 0; i < 10; i++) {
      clock.advance(31_000);
      results.push(
        errorCode(
          await app.graphql(SEND_CODE, { variables: { input: { mfaToken: await mfaToken(app, 'erin'), factorId } } }),
        ),
      );
    }
    assert.deepEqual(
      results,
      [...Array<undefined>(9).fill(undefined), 'TOO_MANY_ATTEMPTS'],
      'the first send of the hour plus nine more, then no more',
    );
    await nextMail(sink, address, CODE_SUBJECT, seen + 8);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(
      sink.mails.slice(seen).filter((mail) => CODE_SUBJECT.test(mail.parsed.subject ?? '')).length,
      9,
      'the refused send sent nothing',
    );
  });

  it("refuses sendMfaCode for a factor that sends nothing, someone else's, and a spent mfaToken", async () => {
    clock.advance(HOUR_PLUS);
    const token = await mfaToken(app, 'erin');
    const other = await signUpAndLogIn(app, 'frank');
    const notMine = await app.graphql(SEND_CODE, { variables: { input: { mfaToken: token, factorId: other.id } } });
    assert.equal(errorCode(notMine), 'NOT_FOUND');
    const code = await send(token);
    assert.ok((await signIn(code, token)).data?.verifyMfa.accessToken);
    clock.advance(31_000);
    assert.equal(
      errorCode(await app.graphql(SEND_CODE, { variables: { input: { mfaToken: token, factorId } } })),
      'TOKEN_EXPIRED',
    );
    assert.equal(errorCode(await app.graphql(SEND_CODE, { variables: { input: { factorId } } })), 'UNAUTHENTICATED');
  });

  it('leaves neither a code nor the address in Redis once mails are delivered', async () => {
    clock.advance(31_000);
    const code = await send(await mfaToken(app, 'erin'));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the worker scrubs the job right after delivery
    const keys = await app.redis.keys('*');
    assert.ok(keys.length > 0);
    for (const key of keys) {
      const type = await app.redis.type(key);
      const dump =
        type === 'hash'
          ? JSON.stringify(await app.redis.hgetall(key))
          : type === 'string'
            ? String(await app.redis.get(key))
            : type === 'list'
              ? JSON.stringify(await app.redis.lrange(key, 0, -1))
              : type === 'zset'
                ? JSON.stringify(await app.redis.zrange(key, 0, -1))
                : type === 'set'
                  ? JSON.stringify(await app.redis.smembers(key))
                  : type === 'stream'
                    ? JSON.stringify(await app.redis.xrange(key, '-', '+'))
                    : '';
      assert.ok(
        !dump.includes(code) && !dump.includes('erin@') && !dump.includes(address),
        `${key} (${type}) holds a code or the address`,
      );
    }
    assert.equal(codeIn(sink.mails.at(-1)!), code);
  });
});

const HOUR_PLUS = 61 * MINUTE_MS;

const wrong = otherCode;
