import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import {
  EnableEmailMfaDocument as ENABLE_EMAIL,
  MeDocument as ME,
  RegenerateRecoveryCodesDocument as REGENERATE,
  SendMfaCodeDocument as SEND_CODE,
  StepUpDocument as STEP_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { CODE_SUBJECT, codeIn, enrollEmail, nextMail, sendAndReadCode } from '../support/email.js';
import { TestClock, enrollTotp, mfaToken, signInWithTotp, totpCode, type EnrolledTotp } from '../support/mfa.js';
import { exited, freePort, startRedisServer } from '../support/processes.js';
import { readiness, readinessBecomes } from '../support/readiness.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import {
  LIFTED_DELIVERY_CAPS,
  errorCode,
  startTestApp,
  type GraphQLResponse,
  type TestApp,
} from '../support/test-app.js';

const REDIS_RETURN_TIMEOUT_MS = 6000; // ioredis retries at most every 2 s (src/redis.ts)
const RESEND_AFTER_MS = 31_000; // the e-mail factor's 30 s cooldown, and a second
const STEP_UP_EXPIRED_MS = 5 * 60_000 + 1000;
/** Only so that a hung request fails the test instead of stalling it: no timing is asserted. */
const ANSWER_GUARD_MS = 20_000;

/** The request's response, or a failure if it never comes. */
async function answered<T>(request: Promise<GraphQLResponse<T>>): Promise<GraphQLResponse<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error('the request did not answer')), ANSWER_GUARD_MS)),
  );
  try {
    return await Promise.race([request, hung]);
  } finally {
    clearTimeout(timer);
  }
}

// With Redis down, TOTP and recovery-code sign-in keep working (they need only MongoDB); e-mail sends fail with SERVICE_UNAVAILABLE;
// readiness says degraded.
describe('Redis stops and comes back: a user with TOTP, e-mail codes and recovery codes', () => {
  const clock = new TestClock();
  const address = 'rhea@example.com';
  const crashes: unknown[] = [];
  const crashed = (error: unknown) => void crashes.push(error);
  let port: number;
  let redis: ChildProcess;
  let sink: SmtpSink;
  let app: TestApp;
  let totp: EnrolledTotp;
  let emailFactorId: string;
  const send = async (token: string) =>
    answered(app.graphql(SEND_CODE, { variables: { input: { mfaToken: token, factorId: emailFactorId } } }));

  before(async () => {
    process.on('unhandledRejection', crashed).on('uncaughtException', crashed);
    port = await freePort();
    redis = await startRedisServer(port);
    sink = await startSmtpSink();
    app = await startTestApp(
      { REDIS_URL: `redis://127.0.0.1:${port}`, SMTP_URL: sink.url, ...LIFTED_DELIVERY_CAPS },
      { clock: clock.now },
    );
    const { token } = await signUpAndLogIn(app, 'rhea');
    totp = await enrollTotp(app, token, clock);
    clock.advance(STEP_UP_EXPIRED_MS);
    const early = await app.graphql(ENABLE_EMAIL, { token, variables: { input: { factorType: 'email' } } });
    assert.equal(errorCode(early), 'STEP_UP_REQUIRED', 'a second factor needs a fresh proof');
    const stepUp = await app.graphql(STEP_UP, {
      token,
      variables: { input: { factorId: totp.factorId, code: totpCode(totp.secret, clock) } },
    });
    assert.equal(stepUp.data?.stepUp, true, JSON.stringify(stepUp.errors));
    clock.nextStep();
    ({ factorId: emailFactorId } = await enrollEmail(app, sink, token, address));
    // Nine sends in this hour (the enrollment's and eight more): one short of the hourly cap of ten.
    for (let i = 0; i < 8; i++) {
      clock.advance(RESEND_AFTER_MS);
      await sendAndReadCode(app, sink, { factorId: emailFactorId }, address, token);
    }
    clock.advance(RESEND_AFTER_MS);
  });
  after(async () => {
    await app?.stop();
    redis?.kill('SIGKILL');
    await sink?.stop();
    process.off('unhandledRejection', crashed).off('uncaughtException', crashed);
  });

  it('is ready, then says degraded (503, redis) once Redis is killed', async () => {
    assert.deepEqual(await readiness(app), { status: 200, body: { status: 'ready', down: [], degraded: [] } });
    redis.kill('SIGKILL');
    await exited(redis, 5000);
    assert.deepEqual(await readinessBecomes(app, 503, 3000), {
      status: 503,
      body: { status: 'degraded', down: [], degraded: ['redis'] },
    });
  });

  it('signs in with the password and a TOTP code', async () => {
    const session = await signInWithTotp(app, 'rhea', totp, clock);
    assert.equal((await app.graphql(ME, { token: session })).data?.me?.username, 'rhea');
  });

  it('signs in with the password and a recovery code, and regenerates the codes: notices that cannot be queued fail neither', async () => {
    const seen = app.logLines.length;
    const verified = await answered(
      app.graphql(VERIFY_MFA, {
        variables: { input: { mfaToken: await mfaToken(app, 'rhea'), recoveryCode: totp.scratchCodes[0] } },
      }),
    );
    assert.equal(verified.errors, undefined, JSON.stringify(verified.errors));
    const session = verified.data!.verifyMfa.accessToken!;
    assert.equal((await app.graphql(ME, { token: session })).data?.me?.username, 'rhea');
    const regenerated = await answered(app.graphql(REGENERATE, { token: session, variables: { input: {} } }));
    assert.equal(regenerated.errors, undefined, JSON.stringify(regenerated.errors));
    assert.equal(regenerated.data?.regenerateRecoveryCodes.length, 10);
    const unsent = app.logLines.slice(seen).filter((line) => line.includes('a security notice could not be queued'));
    assert.deepEqual(
      unsent.map((line) => (JSON.parse(line) as { template: string }).template),
      ['recovery-code-used', 'recovery-codes-regenerated'],
    );
  });

  it('answers sendMfaCode with SERVICE_UNAVAILABLE, at sign-in and for the session alike', async () => {
    const mailsBefore = sink.mails.length;
    assert.equal(errorCode(await send(await mfaToken(app, 'rhea'))), 'SERVICE_UNAVAILABLE');
    assert.equal(
      errorCode(await send(await mfaToken(app, 'rhea'))),
      'SERVICE_UNAVAILABLE',
      'again: the first one gave its reservation back',
    );
    const session = await signInWithTotp(app, 'rhea', totp, clock);
    const forSession = await answered(
      app.graphql(SEND_CODE, { token: session, variables: { input: { factorId: emailFactorId } } }),
    );
    assert.equal(errorCode(forSession), 'SERVICE_UNAVAILABLE');
    assert.equal(sink.mails.length, mailsBefore);
  });

  it('is ready again once Redis is back, sends at once (the failed sends took no cooldown or hourly allowance), and the mail arrives', async () => {
    redis = await startRedisServer(port);
    assert.deepEqual(await readinessBecomes(app, 200, REDIS_RETURN_TIMEOUT_MS), {
      status: 200,
      body: { status: 'ready', down: [], degraded: [] },
    });
    // The clock does not move: a send that kept its reservation would meet the cooldown, and the cap (9 + 1 = 10).
    const token = await mfaToken(app, 'rhea');
    const seen = sink.mails.length;
    let sent = await send(token);
    // The mail queue's own connection may come back a moment after the one readiness pings; until then each try is refused and given back.
    for (
      const deadline = Date.now() + REDIS_RETURN_TIMEOUT_MS;
      errorCode(sent) === 'SERVICE_UNAVAILABLE' && Date.now() < deadline;
    ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      sent = await send(token);
    }
    assert.equal(sent.data?.sendMfaCode, true, JSON.stringify(sent.errors));
    const code = codeIn(await nextMail(sink, address, CODE_SUBJECT, seen));
    const verified = await app.graphql(VERIFY_MFA, {
      variables: { input: { mfaToken: token, factorId: emailFactorId, code } },
    });
    assert.match(verified.data?.verifyMfa.accessToken ?? '', /^mfa_at_/, JSON.stringify(verified.errors));
    clock.advance(RESEND_AFTER_MS);
    assert.equal(
      errorCode(await send(await mfaToken(app, 'rhea'))),
      'TOO_MANY_ATTEMPTS',
      'that was the tenth send of the hour: the cap still holds',
    );
  });

  it('neither crashed nor left an unhandled rejection (BullMQ, ioredis)', async () => {
    assert.deepEqual((await fetch(`${app.url}/healthz`)).status, 200);
    assert.deepEqual(crashes, []);
  });
});
