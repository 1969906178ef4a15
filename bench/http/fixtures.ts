import {
  AcceptMfaDocument,
  CreateApiKeyDocument,
  EnableEmailMfaDocument,
  EnableMfaDocument,
  LoginDocument,
  SignUpDocument,
} from '../../test/generated/graphql.js';
import { codeIn } from '../../test/support/email.js';
import type { CapturedMail, SmtpSink } from '../../test/support/smtp-sink.js';
import type { EmailUser } from './email-pool.js';
import { graphql, mapLimit } from './graphql-client.js';
import { codeForStep, currentTotpStep, type TotpUser } from './totp-pool.js';

export const BENCH_PASSWORD = 'a bench password 1';
/** Fixture requests in flight: argon2 runs on the server's libuv pool (4 threads), so more only queue. */
const PREPARE_CONCURRENCY = 8;

export interface SignedInUser {
  username: string;
  /** A full session's access token. */
  token: string;
}

/** Unique per run, so names never meet another run's throttle keys in Redis. */
const RUN_ID = Date.now().toString(36);
export const usernames = (role: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `b${RUN_ID}-${role}-${i}`);

/** Signs each name up and in, as a client does (two argon2 operations each). */
export async function signUpAndLogIn(url: string, names: string[]): Promise<SignedInUser[]> {
  return mapLimit(names, PREPARE_CONCURRENCY, async (username) => {
    await graphql(url, SignUpDocument, {
      input: { username, password: BENCH_PASSWORD, email: `${username}@example.com` },
    });
    const { login } = await graphql(url, LoginDocument, { input: { username, password: BENCH_PASSWORD } });
    if (!login.accessToken) throw new Error(`${username}: login gave no access token`);
    return { username, token: login.accessToken };
  });
}

export async function signUp(url: string, names: string[]): Promise<void> {
  await mapLimit(names, PREPARE_CONCURRENCY, (username) =>
    graphql(url, SignUpDocument, { input: { username, password: BENCH_PASSWORD, email: `${username}@example.com` } }),
  );
}

/** enableMfa → acceptMfa with the code an authenticator app would show now; the factor's step is spent by it. */
export async function enrollTotp(url: string, users: SignedInUser[]): Promise<TotpUser[]> {
  return mapLimit(users, PREPARE_CONCURRENCY, async ({ username, token }) => {
    const { enableMfa } = await graphql(url, EnableMfaDocument, { input: { factorType: 'totp' } }, token);
    if (enableMfa.details?.__typename !== 'TotpEnrollment') throw new Error('enableMfa gave no TOTP details');
    const secret = enableMfa.details.secretKey;
    const step = currentTotpStep();
    const { acceptMfa } = await graphql(
      url,
      AcceptMfaDocument,
      { input: { token: enableMfa.token, code: codeForStep(secret, step) } },
      token,
    );
    return { username, factorId: acceptMfa.id, secret, lastUsedStep: step, wrongCodes: 0 };
  });
}

/** Password sign-in for each TOTP user: a fresh mfaToken (it lives 5 min and serves one sign-in). */
export async function issueMfaTokens(url: string, users: TotpUser[]): Promise<void> {
  await mapLimit(users, PREPARE_CONCURRENCY, async (user) => {
    const { login } = await graphql(url, LoginDocument, {
      input: { username: user.username, password: BENCH_PASSWORD },
    });
    if (!login.mfaToken) throw new Error(`${user.username}: login asked for no second factor`);
    user.mfaToken = login.mfaToken;
    user.wrongCodes = 0;
  });
}

/** enableMfa for e-mail (its code mailed to the account address) → the code from the SMTP sink → acceptMfa, as a client does. */
export async function enrollEmail(url: string, users: SignedInUser[], sink: SmtpSink): Promise<EmailUser[]> {
  const mailbox = new Mailbox(sink);
  try {
    return await mapLimit(users, PREPARE_CONCURRENCY, async ({ username, token }) => {
      const address = `${username}@example.com`;
      const arrived = mailbox.next(address);
      const { enableMfa } = await graphql(url, EnableEmailMfaDocument, { input: { factorType: 'email' } }, token);
      const sentAt = Date.now(); // the enrollment's send counts against the cooldown and the hourly cap
      const code = codeIn(await arrived);
      const { acceptMfa } = await graphql(url, AcceptMfaDocument, { input: { token: enableMfa.token, code } }, token);
      return { username, token, factorId: acceptMfa.id, sentAt: [sentAt] };
    });
  } finally {
    mailbox.close();
  }
}

/** The next mail to each address, however soon it arrives. */
class Mailbox {
  private readonly waiting = new Map<string, (mail: CapturedMail) => void>();
  private readonly early = new Map<string, CapturedMail>();
  private readonly onMail = (mail: CapturedMail) => {
    for (const to of mail.envelopeTo) {
      const resolve = this.waiting.get(to);
      this.waiting.delete(to);
      if (resolve) resolve(mail);
      else this.early.set(to, mail);
    }
  };

  constructor(private readonly sink: SmtpSink) {
    sink.on('mail', this.onMail);
  }

  next(address: string, timeoutMs = 30_000): Promise<CapturedMail> {
    const early = this.early.get(address);
    if (early) return (this.early.delete(address), Promise.resolve(early));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no mail to ${address} within ${timeoutMs / 1000} s (is the mail worker running?)`)),
        timeoutMs,
      );
      this.waiting.set(address, (mail) => (clearTimeout(timer), resolve(mail)));
    });
  }

  close(): void {
    this.sink.off('mail', this.onMail);
  }
}

export async function createApiKey(url: string, token: string): Promise<string> {
  const { createApiKey } = await graphql(url, CreateApiKeyDocument, { input: { name: 'bench' } }, token);
  return createApiKey.secret;
}

/** Runs `work`, saying on stderr what is being prepared and how long it took. */
export async function preparing<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  process.stderr.write(`  preparing ${what} … `);
  const result = await work();
  process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return result;
}
