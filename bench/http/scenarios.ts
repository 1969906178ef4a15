import {
  AcceptMfaDocument,
  EnableMfaDocument,
  LoginDocument,
  MeDocument,
  SendMfaCodeDocument,
  VerifyMfaDocument,
} from '../../test/generated/graphql.js';
import type { EmailUser } from './email-pool.js';
import { BENCH_PASSWORD } from './fixtures.js';
import type { FixtureSet } from './fixture-set.js';
import { requestBody } from './graphql-client.js';
import type { LoadPlan } from './load.js';
import { dataOf, dynamic, get, post } from './requests.js';
import {
  codeForStep,
  currentTotpStep,
  WRONG_CODES_PER_USER,
  wrongCode,
  type TotpPool,
  type TotpUser,
} from './totp-pool.js';

export interface Scenario {
  id: string;
  title: string;
  /** The `extensions.code` every response should carry; unset means every response should be error-free. */
  expectedErrorCode?: string;
  /** What its ratio divides by: the trivial GraphQL query (default), or the trivial GET for the other plain GETs. */
  baseline?: Baseline;
  /** Prepares what the scenario needs (outside the measurement) and says what to send. */
  plan(fixtures: FixtureSet): Promise<LoadPlan>;
}

/** Users enrolled or used in the current step cannot take its code: wait for the next step rather than send replays. */
async function waitForFreshStep(pool: TotpPool): Promise<void> {
  const waitMs = pool.msUntilAllEligible();
  if (waitMs > 0)
    process.stderr.write(`  waiting ${(waitMs / 1000).toFixed(1)} s for a TOTP step no prepared user has used yet\n`);
  await new Promise((resolve) => setTimeout(resolve, waitMs));
}
const verifyBody = (user: TotpUser, mfaToken: string | undefined, code: string) =>
  requestBody(VerifyMfaDocument, { input: { mfaToken: mfaToken ?? 'missing', factorId: user.factorId, code } });

/** The scenario whose rate a ratio divides by: `trivial` is the mean of `trivial` and `trivial-end`. */
export type Baseline = 'trivial' | 'trivial-get';
export const BASELINE_TITLES: Record<Baseline, string> = { trivial: '{ __typename }', 'trivial-get': 'GET /healthz' };

const trivial = async (): Promise<LoadPlan> => ({ requests: [post(requestBody('{ __typename }'))] });
/**
 * `me` with fields the credential resolver already holds: a warm access token or API key (credential cache) answers
 * it with no database read. `mfaEnabled` (in `Me`, the `me-full-*` scenarios) costs a factor lookup.
 */
const ME_CACHED = requestBody('query MeCached { me { id username } }');

/**
 * The HTTP scenarios, in the order they run. The mail worker's deliveries are
 * not HTTP load: they are measured on their own (bench/mail/, `--only=mail`).
 */
export const SCENARIOS: Scenario[] = [
  { id: 'trivial', title: '{ __typename }', plan: trivial },
  // Fastify's route, hooks and JSON reply without Apollo: the baseline of /auth/check.
  { id: 'trivial-get', title: 'GET /healthz', plan: async () => ({ requests: [get('/healthz')] }) },
  {
    id: 'me-token',
    title: 'me { id username } (access token)',
    plan: async (f) => ({ requests: [post(ME_CACHED, (await f.viewer()).token)] }),
  },
  {
    id: 'me-api-key',
    title: 'me { id username } (API key)',
    plan: async (f) => ({ requests: [post(ME_CACHED, await f.apiKey())] }),
  },
  {
    id: 'me-full-token',
    title: 'Me, mfaEnabled too (access token)',
    plan: async (f) => ({ requests: [post(requestBody(MeDocument), (await f.viewer()).token)] }),
  },
  {
    id: 'me-full-api-key',
    title: 'Me, mfaEnabled too (API key)',
    plan: async (f) => ({ requests: [post(requestBody(MeDocument), await f.apiKey())] }),
  },
  {
    id: 'auth-check',
    title: 'GET /auth/check (access token)',
    baseline: 'trivial-get',
    plan: async (f) => ({ requests: [get('/auth/check', (await f.viewer()).token)] }),
  },
  {
    id: 'auth-check-api-key',
    title: 'GET /auth/check (API key)',
    baseline: 'trivial-get',
    plan: async (f) => ({ requests: [get('/auth/check', await f.apiKey())] }),
  },
  {
    id: 'login',
    title: 'login (no MFA; argon2id)',
    async plan(f) {
      const names = await f.loginUsers();
      let next = 0;
      return {
        requests: [
          dynamic(() => ({
            body: requestBody(LoginDocument, {
              input: { username: names[next++ % names.length], password: BENCH_PASSWORD },
            }),
          })),
        ],
      };
    },
  },
  {
    id: 'login-verify',
    title: 'login → verifyMfa (valid TOTP)',
    async plan(f) {
      const pool = await f.totpPool();
      await waitForFreshStep(pool);
      const login = dynamic(
        (context) => {
          const taken = pool.takeForCode({ spendMfaToken: false });
          Object.assign(context, taken);
          return {
            body: requestBody(LoginDocument, { input: { username: taken.user.username, password: BENCH_PASSWORD } }),
          };
        },
        (body, context) => (context.mfaToken = dataOf(body)?.login?.mfaToken),
      );
      const verify = dynamic((context) => ({
        body: verifyBody(
          context.user as TotpUser,
          context.mfaToken as string,
          codeForStep((context.user as TotpUser).secret, context.step as number),
        ),
      }));
      return { requests: [login, verify], exhausted: () => pool.exhausted };
    },
  },
  {
    // Before the valid-code run on purpose: wrong codes leave the mfaTokens unspent, so both runs share one set of sign-ins.
    id: 'verify-wrong',
    title: 'verifyMfa (wrong TOTP)',
    expectedErrorCode: 'INVALID_CODE',
    async plan(f) {
      const pool = await f.issueMfaTokens();
      const request = dynamic(() => {
        const user = pool.takeForWrongCode();
        return { body: verifyBody(user, user.mfaToken, wrongCode(user.secret, currentTotpStep())) };
      });
      const spare = () =>
        pool.users.reduce((sum, user) => sum + (user.mfaToken ? WRONG_CODES_PER_USER - user.wrongCodes : 0), 0);
      return { requests: [request], operationsLeft: spare, exhausted: () => pool.exhausted };
    },
  },
  {
    id: 'verify-valid',
    title: 'verifyMfa (valid TOTP)',
    async plan(f) {
      const pool = await f.issueMfaTokens();
      await waitForFreshStep(pool);
      const request = dynamic(() => {
        const { user, step, mfaToken } = pool.takeForCode({ spendMfaToken: true });
        return { body: verifyBody(user, mfaToken, codeForStep(user.secret, step)) };
      });
      return { requests: [request], operationsLeft: () => pool.withMfaToken(), exhausted: () => pool.exhausted };
    },
  },
  {
    id: 'enable-accept',
    title: 'enableMfa → acceptMfa (first factor)',
    async plan(f) {
      const users = await f.enrollUsers();
      let next = 0;
      let misses = 0;
      const enable = dynamic(
        (context) => {
          if (next >= users.length) misses++; // reused: enableMfa answers ALREADY_ENABLED, counted as an error
          context.token = users[next++ % users.length].token;
          return {
            body: requestBody(EnableMfaDocument, { input: { factorType: 'totp' } }),
            token: context.token as string,
          };
        },
        (body, context) => Object.assign(context, { enrollment: dataOf(body)?.enableMfa }),
      );
      const accept = dynamic((context) => {
        const enrollment = context.enrollment as { token: string; details: { secretKey: string } } | undefined;
        const code = enrollment ? codeForStep(enrollment.details.secretKey, currentTotpStep()) : '000000';
        return {
          body: requestBody(AcceptMfaDocument, { input: { token: enrollment?.token ?? 'missing', code } }),
          token: context.token as string,
        };
      });
      return {
        requests: [enable, accept],
        operationsLeft: () => Math.max(0, users.length - next),
        exhausted: () => misses,
      };
    },
  },
  {
    // The server runs with MAIL_WORKER=off, so this is the enqueue alone: reserve the send in MongoDB, seal, one BullMQ add.
    id: 'send-code',
    title: 'sendMfaCode (e-mail; enqueue only)',
    async plan(f) {
      const pool = await f.emailPool();
      const waitMs = pool.msUntilAllCooledDown();
      if (waitMs > 0)
        process.stderr.write(
          `  waiting ${(waitMs / 1000).toFixed(1)} s for the 30 s cooldown of the factors enrolled last\n`,
        );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      const request = dynamic(
        (context) => {
          const user = pool.take();
          context.user = user;
          return { body: requestBody(SendMfaCodeDocument, { input: { factorId: user.factorId } }), token: user.token };
        },
        (_body, context) => pool.sent(context.user as EmailUser),
      );
      const after = async () => {
        const jobs = await f.clearMailQueue();
        process.stderr.write(`  removed the ${jobs} mail jobs the run enqueued (no worker delivers during the run)\n`);
      };
      return {
        requests: [request],
        operationsLeft: () => pool.eligibleNow(),
        exhausted: () => pool.exhausted,
        timesEnqueue: true,
        after,
      };
    },
  },
  // The ceiling once more: other work on the machine shows as a difference between the two, and ratios use their mean.
  { id: 'trivial-end', title: '{ __typename } (again, last)', plan: trivial },
];
