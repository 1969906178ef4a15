import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AcceptMfaDocument as ACCEPT,
  EnableEmailMfaDocument as ENABLE_EMAIL,
  RegenerateRecoveryCodesDocument as REGENERATE,
  SendMfaCodeDocument as SEND_CODE,
  SignUpDocument as SIGN_UP,
  VerifyMfaDocument as VERIFY_MFA,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { retryAfter, tally } from '../support/attacker.js';
import { graphqlFrom } from '../support/client-address.js';
import {
  CODE_SUBJECT,
  VERIFICATION_SUBJECT,
  codeIn,
  enrollEmail,
  nextMail,
  queueDrained,
  verifyAddress,
} from '../support/email.js';
import { TestClock, enrollTotp, mfaToken, signInWithTotp, type EnrolledTotp } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const HOUR_MS = 60 * 60_000;
const RESEND_AFTER_MS = 31_000; // the e-mail factor's 30 s cooldown, and a second
const PER_ADDRESS = 5; // MAIL_CODES_PER_ADDRESS_PER_HOUR's default
const PER_CLIENT = 20; // MAIL_CODES_PER_CLIENT_PER_HOUR's default
const NOTICES_PER_ADDRESS = 10; // MAIL_NOTICES_PER_ADDRESS_PER_HOUR's default

/**
 * Mails the sink received for any of `addresses` (as spelled, case aside), codes or notices (verification mails are
 * neither), once the queue has delivered everything enqueued.
 */
async function mailsFor(app: TestApp, sink: SmtpSink, addresses: string[], kind: 'codes' | 'notices'): Promise<number> {
  await queueDrained(app);
  const wanted = new Set(addresses.map((address) => address.toLowerCase()));
  const isKind = (subject: string) =>
    kind === 'codes' ? CODE_SUBJECT.test(subject) : !CODE_SUBJECT.test(subject) && !VERIFICATION_SUBJECT.test(subject);
  return sink.mails.filter(
    (mail) => mail.envelopeTo.some((to) => wanted.has(to.toLowerCase())) && isKind(mail.parsed.subject ?? ''),
  ).length;
}

const codeMailsFor = (app: TestApp, sink: SmtpSink, addresses: string[]) => mailsFor(app, sink, addresses, 'codes');

/** The app's delivery-cap keys and their members hold no trace of `word` (an address's local part). */
async function assertCapsNameNoAddress(app: TestApp, word: RegExp) {
  const keys = await app.redis.keys(`${app.services.config.redisKeyPrefix}:delivery:*`);
  assert.ok(keys.length > 0, 'the caps are counted in Redis');
  for (const key of keys) {
    const members = JSON.stringify(await app.redis.zrange(key, 0, -1));
    assert.ok(!word.test(key + members), `${key} names the address`);
  }
}

type Response = Awaited<ReturnType<TestApp['graphql']>>;

/** Each client sends its planned requests one after another, as a script would; the clients run at the same time. */
async function inParallelClients<T>(
  plans: T[][],
  request: (client: number, item: T) => Promise<Response>,
): Promise<Response[]> {
  const perClient = await Promise.all(
    plans.map(async (plan, client) => {
      const responses: Response[] = [];
      for (const item of plan) responses.push(await request(client, item));
      return responses;
    }),
  );
  return perClient.flat();
}

function assertRefusedWithRetry(responses: Response[]) {
  for (const response of responses.filter((r) => r.errors)) {
    assert.equal(errorCode(response), 'TOO_MANY_ATTEMPTS', JSON.stringify(response.errors));
    const seconds = Number(retryAfter(response));
    assert.ok(seconds >= 1 && seconds <= 3600, `retryAfterSeconds ${seconds}`);
  }
}

describe('the service is no mail cannon: code mails are capped per destination and per client address', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ SMTP_URL: sink.url }, { clock: clock.now });
  });
  after(async () => {
    await app.stop();
    await sink.stop();
  });

  it("three fresh accounts enrolling a stranger's address ten times each, at once, spellings varied: 5 mails reach it, 25 are refused", async () => {
    const spellings = ['victim@example.org', 'Victim@EXAMPLE.org', 'victim+mfa@example.org'];
    const attackers = await Promise.all(['mallory1', 'mallory2', 'mallory3'].map((name) => signUpAndLogIn(app, name)));
    // Each enableMfa starts a new factor, so the per-factor cooldown never applies; each account stays within its 10 an hour.
    const plans = attackers.map(() => Array.from({ length: 10 }, (_, i) => spellings[i % 3]));
    const responses = await inParallelClients(plans, (client, email) =>
      graphqlFrom(app, '127.0.0.2', ENABLE_EMAIL, {
        token: attackers[client].token,
        variables: { input: { factorType: 'email', email } },
      }),
    );
    assert.deepEqual(tally(responses), { OK: PER_ADDRESS, TOO_MANY_ATTEMPTS: 30 - PER_ADDRESS });
    assertRefusedWithRetry(responses);
    assert.equal(await codeMailsFor(app, sink, spellings), PER_ADDRESS, 'counted at the SMTP server');
    await assertCapsNameNoAddress(app, /victim/i);
  });

  it('holds under 8 accounts asking for the same new address in the same instant: exactly 5 are sent', async () => {
    const accounts = await Promise.all(Array.from({ length: 8 }, (_, i) => signUpAndLogIn(app, `swarm${i}`)));
    const responses = await Promise.all(
      accounts.map(({ token }) =>
        graphqlFrom(app, '127.0.0.2', ENABLE_EMAIL, {
          token,
          variables: { input: { factorType: 'email', email: 'bystander@example.org' } },
        }),
      ),
    );
    assert.deepEqual(tally(responses), { OK: PER_ADDRESS, TOO_MANY_ATTEMPTS: 8 - PER_ADDRESS });
    assert.equal(await codeMailsFor(app, sink, ['bystander@example.org']), PER_ADDRESS);
  });

  it("refuses the same stranger's address to a fourth account from another client address, and takes it again an hour later", async () => {
    const late = await signUpAndLogIn(app, 'mallory4');
    const refused = await graphqlFrom(app, '127.0.0.3', ENABLE_EMAIL, {
      token: late.token,
      variables: { input: { factorType: 'email', email: 'victim@example.org' } },
    });
    assert.equal(errorCode(refused), 'TOO_MANY_ATTEMPTS');
    clock.advance(HOUR_MS);
    const sent = await graphqlFrom(app, '127.0.0.3', ENABLE_EMAIL, {
      token: late.token,
      variables: { input: { factorType: 'email', email: 'victim@example.org' } },
    });
    assert.equal(sent.errors, undefined, JSON.stringify(sent.errors));
  });

  it("caps sendMfaCode and recreate for an owner's own address too (in a window of their own), and frees it an hour later", async () => {
    clock.advance(HOUR_MS);
    const address = 'olive@example.com';
    const { token } = await signUpAndLogIn(app, 'olive');
    const seen = sink.mails.length;
    const enabled = await graphqlFrom(app, '127.0.0.4', ENABLE_EMAIL, {
      token,
      variables: { input: { factorType: 'email' } },
    });
    assert.equal(enabled.errors, undefined, JSON.stringify(enabled.errors));
    const code = codeIn(await nextMail(sink, address, CODE_SUBJECT, seen));
    const accepted = await app.graphql(ACCEPT, {
      token,
      variables: { input: { token: enabled.data!.enableMfa.token, code } },
    });
    const factorId = accepted.data!.acceptMfa.id;
    const results: Array<string | undefined> = [];
    for (let i = 0; i < PER_ADDRESS; i++) {
      clock.advance(RESEND_AFTER_MS);
      results.push(
        errorCode(await graphqlFrom(app, '127.0.0.4', SEND_CODE, { token, variables: { input: { factorId } } })),
      );
    }
    assert.deepEqual(
      results,
      [...Array<undefined>(PER_ADDRESS - 1).fill(undefined), 'TOO_MANY_ATTEMPTS'],
      'the enrollment code and four more',
    );
    const recreate = await graphqlFrom(app, '127.0.0.4', ENABLE_EMAIL, {
      token,
      variables: { input: { factorType: 'email', recreate: true } },
    });
    assert.equal(errorCode(recreate), 'TOO_MANY_ATTEMPTS');
    assert.equal(await codeMailsFor(app, sink, [address]), PER_ADDRESS);

    clock.advance(HOUR_MS);
    const again = await graphqlFrom(app, '127.0.0.4', SEND_CODE, { token, variables: { input: { factorId } } });
    assert.equal(again.errors, undefined, 'an hour later the address takes codes again');
  });

  it('caps one client address at 20 code mails an hour over many destinations and accounts; another address still gets its codes', async () => {
    clock.advance(HOUR_MS);
    const senders = await Promise.all(['carol1', 'carol2', 'carol3'].map((name) => signUpAndLogIn(app, name)));
    const destinations = Array.from({ length: 25 }, (_, i) => `target${i}@example.net`);
    // Nine or fewer per account (the per-user cap is 10) and one per destination: only the per-client cap can refuse.
    const plans = senders.map((_, client) => destinations.filter((_, i) => i % senders.length === client));
    const responses = await inParallelClients(plans, (client, email) =>
      graphqlFrom(app, '127.0.0.5', ENABLE_EMAIL, {
        token: senders[client].token,
        variables: { input: { factorType: 'email', email } },
      }),
    );
    assert.deepEqual(tally(responses), { OK: PER_CLIENT, TOO_MANY_ATTEMPTS: 25 - PER_CLIENT });
    assertRefusedWithRetry(responses);
    assert.equal(await codeMailsFor(app, sink, destinations), PER_CLIENT);

    const elsewhere = await graphqlFrom(app, '127.0.0.6', ENABLE_EMAIL, {
      token: senders[2].token,
      variables: { input: { factorType: 'email', email: 'target99@example.net' } },
    });
    assert.equal(elsewhere.errors, undefined, JSON.stringify(elsewhere.errors));
  });

  it("an attacker's five enrollments of a user's proven address leave that user's sign-in codes alone", async () => {
    clock.advance(HOUR_MS);
    const address = 'vera@example.com';
    const { factorId } = await enrollEmail(
      app,
      sink,
      await signUpAndLogIn(app, 'vera').then(({ token }) => token),
      address,
    );
    clock.advance(HOUR_MS); // the enrollment's own send has left every window: the attacker gets the address's whole cap

    const { token: attacker } = await signUpAndLogIn(app, 'mallory5');
    const spellings = [
      'vera@example.com',
      'Vera+mfa@example.com',
      'VERA@Example.COM',
      'vera+x@example.com',
      'vera@example.com',
      'vera@example.com',
    ];
    const responses: Response[] = [];
    for (const email of spellings)
      responses.push(
        await graphqlFrom(app, '127.0.0.7', ENABLE_EMAIL, {
          token: attacker,
          variables: { input: { factorType: 'email', email } },
        }),
      );
    assert.deepEqual(
      tally(responses),
      { OK: PER_ADDRESS, TOO_MANY_ATTEMPTS: 1 },
      'the unproven address is full for everyone',
    );

    // Vera signs in from her own client: the code is sent, arrives, and signs her in.
    const token = await mfaToken(app, 'vera');
    const seen = sink.mails.length;
    const sent = await graphqlFrom(app, '127.0.0.8', SEND_CODE, {
      variables: { input: { mfaToken: token, factorId } },
    });
    assert.equal(sent.errors, undefined, JSON.stringify(sent.errors));
    const code = codeIn(await nextMail(sink, address, CODE_SUBJECT, seen));
    const verified = await app.graphql(VERIFY_MFA, { variables: { input: { mfaToken: token, factorId, code } } });
    assert.match(verified.data?.verifyMfa.accessToken ?? '', /^mfa_at_/, JSON.stringify(verified.errors));
  });
});

describe('the service is no mail cannon: security notices are capped per destination address', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ SMTP_URL: sink.url }, { clock: clock.now });
  });
  after(async () => {
    await app.stop();
    await sink.stop();
  });

  // Notices go only to verified addresses, so a stranger's address typed at sign-up gets none (email-verification.test.ts);
  // the cap still holds for one mailbox that several accounts verified, spelled differently.
  it('two accounts that verified one mailbox, regenerating recovery codes in a loop at once: 10 notices reach it, every call succeeds', async () => {
    const spellings = ['nora@example.org', 'Nora+mfa@example.org'];
    const attackers: string[] = [];
    let totp: EnrolledTotp | undefined;
    for (const [i, email] of spellings.entries()) {
      const signedUp = await app.graphql(SIGN_UP, {
        variables: { input: { username: `mallet${i}`, password: TEST_PASSWORD, email } },
      });
      assert.equal(signedUp.errors, undefined, JSON.stringify(signedUp.errors));
      const token = await logIn(app, `mallet${i}`);
      await verifyAddress(app, sink, token, email);
      totp = await enrollTotp(app, token, clock); // the factor-added notice, and a proof fresh enough to regenerate without a code
      attackers.push(token);
    }
    const logLines = app.logLines.length;
    const plans = attackers.map(() => Array.from({ length: 8 }, () => undefined));
    const responses = await inParallelClients(plans, (client) =>
      app.graphql(REGENERATE, { token: attackers[client], variables: { input: {} } }),
    );
    assert.deepEqual(tally(responses), { OK: 16 }, 'a notice over the cap fails nothing');
    assert.equal(
      await mailsFor(app, sink, spellings, 'notices'),
      NOTICES_PER_ADDRESS,
      'counted at the SMTP server: 2 factor-added, 8 regenerated',
    );

    const dropped = app.logLines.slice(logLines).filter((line) => line.includes('a security notice was dropped'));
    assert.equal(dropped.length, 2 + 16 - NOTICES_PER_ADDRESS, 'one line per dropped notice');
    for (const line of dropped) {
      assert.equal((JSON.parse(line) as { level: number }).level, 30, 'logged at info');
      assert.doesNotMatch(line, /nora/i, 'the line names no address');
    }
    await assertCapsNameNoAddress(app, /nora/i);

    clock.advance(HOUR_MS);
    const session = await signInWithTotp(app, 'mallet1', totp!, clock);
    const again = await app.graphql(REGENERATE, { token: session, variables: { input: {} } });
    assert.equal(again.errors, undefined, JSON.stringify(again.errors));
    assert.equal(
      await mailsFor(app, sink, spellings, 'notices'),
      NOTICES_PER_ADDRESS + 1,
      'an hour later the address takes notices again',
    );
  });
});
