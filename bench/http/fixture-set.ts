import type { SmtpSink } from '../../test/support/smtp-sink.js';
import type { WorkerProcess } from '../mail/worker-process.js';
import { EmailPool } from './email-pool.js';
import {
  createApiKey,
  enrollEmail,
  enrollTotp,
  issueMfaTokens,
  preparing,
  signUp,
  signUpAndLogIn,
  usernames,
  type SignedInUser,
} from './fixtures.js';
import { TotpPool } from './totp-pool.js';

/**
 * How many users each kind of scenario gets. Every sign-up and login costs
 * one argon2id operation (≈ 45/s on two cores), so these bound the
 * preparation time; scenarios whose users are used up end early and say so.
 * E-mail users: the 30 s cooldown per factor lets each send once in a 10 s
 * run, so sendMfaCode needs one user per request (≈ 180–270/s measured → up to 2,700
 * for 10 s, plus the warm-up's tenth); the hourly cap (10, the enrollment's
 * send included) does not bind before the cooldown does.
 */
export const FIXTURE_SIZES = {
  full: { loginUsers: 100, totpUsers: 1_200, enrollUsers: 400, emailUsers: 3_000 },
  quick: { loginUsers: 30, totpUsers: 300, enrollUsers: 120, emailUsers: 900 },
} as const;

/** The users and credentials scenarios share, each prepared over GraphQL the first time a scenario asks. */
export class FixtureSet {
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    readonly url: string,
    private readonly sizes: (typeof FIXTURE_SIZES)[keyof typeof FIXTURE_SIZES],
    /** The server runs with MAIL_WORKER=off: enrollment codes reach `sink` through a worker process started for the preparation only. */
    private readonly mail: { sink: SmtpSink; startWorker(): Promise<WorkerProcess>; clearQueue(): Promise<number> },
  ) {}

  /** A user without MFA, signed in: for `me`. */
  viewer(): Promise<SignedInUser> {
    return this.once('viewer', async () => (await signUpAndLogIn(this.url, usernames('viewer', 1)))[0]);
  }

  /** An API key of that user. */
  async apiKey(): Promise<string> {
    const viewer = await this.viewer();
    return this.once('apiKey', () => createApiKey(this.url, viewer.token));
  }

  /** Users without MFA for the login scenario, enough that no one meets the per-username throttle. */
  loginUsers(): Promise<string[]> {
    const names = usernames('login', this.sizes.loginUsers);
    return this.once('loginUsers', () =>
      preparing(`${names.length} users without MFA`, () => signUp(this.url, names)).then(() => names),
    );
  }

  /** Users with an ACTIVE TOTP factor. */
  totpPool(): Promise<TotpPool> {
    const names = usernames('totp', this.sizes.totpUsers);
    return this.once('totpPool', () =>
      preparing(
        `${names.length} users with TOTP (sign-up, login, enableMfa → acceptMfa)`,
        async () => new TotpPool(await enrollTotp(this.url, await signUpAndLogIn(this.url, names))),
      ),
    );
  }

  /** Gives every TOTP user without one a fresh mfaToken (password sign-in). */
  async issueMfaTokens(): Promise<TotpPool> {
    const pool = await this.totpPool();
    const missing = pool.users.filter((user) => user.mfaToken === undefined);
    if (missing.length > 0)
      await preparing(`${missing.length} mfaTokens (password sign-ins)`, () => issueMfaTokens(this.url, missing));
    return pool;
  }

  /** Signed-in users with no factor yet, each good for one enableMfa → acceptMfa. */
  enrollUsers(): Promise<SignedInUser[]> {
    const names = usernames('enroll', this.sizes.enrollUsers);
    return this.once('enrollUsers', () =>
      preparing(`${names.length} users without a factor`, () => signUpAndLogIn(this.url, names)),
    );
  }

  /** Users with an ACTIVE e-mail factor (enableMfa → the mailed code → acceptMfa), each good for one sendMfaCode per 30 s. */
  emailPool(): Promise<EmailPool> {
    const names = usernames('email', this.sizes.emailUsers);
    return this.once('emailPool', async () => {
      const users = await preparing(`${names.length} users for e-mail codes (sign-up, login)`, () =>
        signUpAndLogIn(this.url, names),
      );
      const worker = await this.mail.startWorker();
      try {
        return new EmailPool(
          await preparing(`their e-mail factors (enableMfa → code by SMTP → acceptMfa)`, () =>
            enrollEmail(this.url, users, this.mail.sink),
          ),
        );
      } finally {
        await worker.stop(); // the scenario measures the enqueue alone: no worker competes for the CPU
      }
    });
  }

  /** Removes every job from the server's mail queue (nothing delivers them during the run); resolves with how many were waiting. */
  clearMailQueue(): Promise<number> {
    return this.mail.clearQueue();
  }

  private once<T>(key: string, prepare: () => Promise<T>): Promise<T> {
    if (!this.memo.has(key)) this.memo.set(key, prepare());
    return this.memo.get(key) as Promise<T>;
  }
}
