import assert from 'node:assert/strict';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { FactorPlugin } from '../../src/plugin-kit.js';
import {
  AcceptMfaDocument,
  ConformanceBeginMfaDocument,
  DisableMfaDocument,
  LoginDocument,
  StepUpDocument,
  VerifyMfaDocument,
  type EnableMfaInput,
  type EnableMfaMutationVariables,
} from '../generated/graphql.js';
import { TEST_PASSWORD, signUpAndLogIn } from './accounts.js';
import {
  enableMfaDocumentFor,
  jsonBytes,
  type EnrollmentDetailsJson,
  type GenericEnableMfaMutation,
} from './factor-probe.js';
import type { TestClock } from './mfa.js';
import type { TestApp } from './test-app.js';

const HOUR_MS = 60 * 60_000;

/**
 * What a user's side of a factor answers, in the fields acceptMfa, verifyMfa, stepUp and disableMfa take: a typed
 * `code` (responseLimits.kind "code") or a structured `response` (kind "json", e.g. a passkey's credential).
 */
export type FactorAnswer = { code: string } | { response: unknown };

/** A factor as the authenticator meets it: whose, which, and what enableMfa showed. */
export interface FactorContext {
  app: TestApp;
  clock: TestClock;
  user: ConformanceUser;
  /** PENDING at enrollment, ACTIVE afterwards (the same id). */
  factorId: string;
  /** enableMfa's details as served: `__typename` and every field of the plugin's details type. */
  details: EnrollmentDetailsJson;
}

/** An attempt begun with beginMfa, which the authenticator answers. */
export interface AttemptContext extends FactorContext {
  /** This sign-in's mfaToken; unset when the attempt is the signed-in session's (stepUp, disableMfa). */
  mfaToken?: string;
  /** beginMfa's answer: the plugin's options for the client (JSON, or null) and whether a code was sent. */
  challenge: { options: unknown; delivered: boolean };
}

/**
 * The user's side of a factor, whatever its type, for the conformance suite: an authenticator app, a mailbox, a
 * software passkey. The suite drives the server over GraphQL as a client would and asks this for what a real user
 * would give. Any method may be async.
 */
export interface Authenticator {
  /** Plugin-specific enableMfa input for this user, e.g. the address e-mail codes go to. @default none */
  enrollmentInput?(user: ConformanceUser): Pick<EnableMfaInput, 'email' | 'options'>;
  /** acceptMfa's answer to enableMfa's details, for the PENDING factor (asked again for one factor, the same answer is fine). */
  enroll(context: FactorContext): FactorAnswer | Promise<FactorAnswer>;
  /** The answer to an attempt of the ACTIVE factor that beginMfa just began (`context.challenge`). */
  answer(context: AttemptContext): FactorAnswer | Promise<FactorAnswer>;
  /**
   * A well-formed answer that is wrong now, for the same enrollment (a FactorContext) or attempt (an
   * AttemptContext) as `valid`: a code the server does not take, a signature that does not verify.
   */
  wrong(valid: FactorAnswer, context: FactorContext | AttemptContext): FactorAnswer | Promise<FactorAnswer>;
  /** How long until a fresh answer exists (one TOTP step, an e-mail resend cooldown); the suite moves the clock so far before each attempt. @default 0 */
  freshAnswerAfterMs?: number;
  /** The secret the details hand the user, if any: the suite checks it never comes back and is not stored in plaintext. */
  secret?(details: EnrollmentDetailsJson): string | undefined;
}

/**
 * How a typed-code factor's codes reach the user: computed from the enrollment
 * details (TOTP), read from a captured mail (e-mail), pressed on a key fob.
 * `codeAuthenticator` makes it an Authenticator. Any method may be async.
 */
export interface CodeSource {
  /** A code valid now for the PENDING factor enableMfa just started (`context.details` is what it returned). */
  fromEnrollment(context: CodeContext): string | Promise<string>;
  /**
   * A valid code for the ACTIVE factor that the server has not accepted yet, for the attempt beginMfa has just begun
   * (`context.delivered`: it sent one). The suite first moves the clock `freshCodeAfterMs`.
   */
  next(context: CodeContext): string | Promise<string>;
  /** A well-formed code (it matches the plugin's pattern) that is wrong for this factor now. */
  wrong(validCode: string, context: CodeContext): string | Promise<string>;
  /** How long until a fresh code exists, e.g. one TOTP step (30 000). @default 0 */
  freshCodeAfterMs?: number;
  /** The secret the details hand the user, if any: the suite checks it never comes back and is not stored in plaintext. */
  secret?(details: EnrollmentDetailsJson): string | undefined;
  /** Plugin-specific enableMfa input for this user, e.g. the address e-mail codes go to. @default none */
  enrollmentInput?(user: ConformanceUser): Pick<EnableMfaInput, 'email'>;
}

export interface CodeContext extends FactorContext {
  /** This sign-in's mfaToken, when the code finishes one; unset for the signed-in user (step-up, disableMfa). */
  mfaToken?: string;
  /** Whether beginMfa sent a code for this attempt (factors that deliver codes); unset at enrollment. */
  delivered?: boolean;
}

/** A CodeSource as an Authenticator: its codes are the answers. */
export function codeAuthenticator(source: CodeSource): Authenticator {
  const codeOf = (answer: FactorAnswer) => {
    assert.ok('code' in answer && typeof answer.code === 'string', 'a code source answers with codes');
    return answer.code;
  };
  const codeContext = (context: FactorContext | AttemptContext): CodeContext =>
    'challenge' in context
      ? { ...context, mfaToken: context.mfaToken, delivered: context.challenge.delivered }
      : { ...context };
  return {
    ...(source.enrollmentInput ? { enrollmentInput: (user) => source.enrollmentInput!(user) } : {}),
    enroll: async (context) => ({ code: await source.fromEnrollment(codeContext(context)) }),
    answer: async (context) => ({ code: await source.next(codeContext(context)) }),
    wrong: async (valid, context) => ({ code: await source.wrong(codeOf(valid), codeContext(context)) }),
    freshAnswerAfterMs: source.freshCodeAfterMs,
    ...(source.secret ? { secret: (details) => source.secret!(details) } : {}),
  };
}

export interface ConformanceUser {
  id: string;
  username: string;
  /** Password-only at first; it passed MFA once the user accepted a factor. */
  accessToken: string;
}

/** A factor from enableMfa, PENDING until accepted. */
export interface StartedFactor {
  user: ConformanceUser;
  /** The enrollment token, for acceptMfa. */
  token: string;
  factorId: string;
  details: EnrollmentDetailsJson;
  scratchCodes: string[];
}

/** Where an attempt is begun: a sign-in (its mfaToken) or a signed-in session (its access token). */
export type AttemptOwner = { mfaToken: string } | { session: string };

/** An answer and the attempt it answers. */
export interface Attempt {
  answer: FactorAnswer;
  context: AttemptContext;
}

/**
 * One plugin's factors driven over the public GraphQL API as a generic client would: users, enrollment, beginMfa
 * before every proof, answers from the Authenticator, sign-in, step-up, removal.
 */
export class FactorClient {
  private users = 0;

  private constructor(
    readonly app: TestApp,
    readonly clock: TestClock,
    private readonly plugin: FactorPlugin,
    private readonly authenticator: Authenticator,
    private readonly enableMfa: TypedDocumentNode<GenericEnableMfaMutation, EnableMfaMutationVariables>,
  ) {}

  static async connect(
    app: TestApp,
    clock: TestClock,
    plugin: FactorPlugin,
    authenticator: Authenticator,
    detailsTypeName: string,
  ): Promise<FactorClient> {
    return new FactorClient(app, clock, plugin, authenticator, await enableMfaDocumentFor(app, detailsTypeName));
  }

  async newUser(): Promise<ConformanceUser> {
    const username = `conformance-${this.plugin.type}-${++this.users}`;
    const { id, token } = await signUpAndLogIn(this.app, username);
    return { id, username, accessToken: token };
  }

  /** enableMfa, as the user (or with `token`, another session of theirs). */
  async enable(user: ConformanceUser, token = user.accessToken): Promise<StartedFactor> {
    const enabled = await this.tryEnable(user, token);
    assert.equal(enabled.errors, undefined, JSON.stringify(enabled.errors));
    const { token: enrollmentToken, factor, details, scratchCodes } = enabled.data!.enableMfa;
    assert.ok(details, 'enableMfa returns the plugin details');
    return { user, token: enrollmentToken, factorId: factor.id, details, scratchCodes: scratchCodes ?? [] };
  }

  tryEnable(user: ConformanceUser, token = user.accessToken) {
    const input = { factorType: this.plugin.type, ...this.authenticator.enrollmentInput?.(user) };
    return this.app.graphql(this.enableMfa, { token, variables: { input } });
  }

  /** enableMfa → acceptMfa with the authenticator's answer; returns that answer too. */
  async enroll(user: ConformanceUser, token = user.accessToken): Promise<StartedFactor & { accepted: FactorAnswer }> {
    const factor = await this.enable(user, token);
    const accepted = await this.enrollmentAnswer(factor);
    const response = await this.accept(factor, accepted, token);
    assert.equal(response.data?.acceptMfa.status, 'ACTIVE', JSON.stringify(response.errors));
    return { ...factor, accepted };
  }

  context(factor: StartedFactor): FactorContext {
    return { app: this.app, clock: this.clock, user: factor.user, factorId: factor.factorId, details: factor.details };
  }

  async enrollmentAnswer(factor: StartedFactor): Promise<FactorAnswer> {
    return this.wellFormed(await this.authenticator.enroll(this.context(factor)));
  }

  /** beginMfa, as a client calls it before answering: for the sign-in of `mfaToken`, or for a session. */
  begin(factor: StartedFactor, owner: AttemptOwner) {
    return 'mfaToken' in owner
      ? this.app.graphql(ConformanceBeginMfaDocument, {
          variables: { input: { mfaToken: owner.mfaToken, factorId: factor.factorId } },
        })
      : this.app.graphql(ConformanceBeginMfaDocument, {
          token: owner.session,
          variables: { input: { factorId: factor.factorId } },
        });
  }

  /**
   * A fresh attempt and its answer: moves the clock until a fresh answer exists, begins the attempt (beginMfa) for
   * the sign-in or session, and asks the authenticator. Without `owner`, the user's own session.
   */
  async attempt(factor: StartedFactor, owner: AttemptOwner = { session: factor.user.accessToken }): Promise<Attempt> {
    this.clock.advance(this.authenticator.freshAnswerAfterMs ?? 0);
    const begun = await this.begin(factor, owner);
    assert.equal(begun.errors, undefined, JSON.stringify(begun.errors));
    const { factorId, options, delivered } = begun.data!.beginMfa;
    assert.equal(factorId, factor.factorId);
    if (this.plugin.delivery === undefined)
      assert.equal(delivered, false, 'a factor without delivery limits delivers nothing');
    const context: AttemptContext = {
      ...this.context(factor),
      ...('mfaToken' in owner ? { mfaToken: owner.mfaToken } : {}),
      challenge: { options, delivered },
    };
    return { answer: this.wellFormed(await this.authenticator.answer(context)), context };
  }

  /** The answer of a fresh attempt for a sign-in (its mfaToken) or the user's session. */
  async freshAnswer(factor: StartedFactor, mfaToken?: string): Promise<FactorAnswer> {
    return (await this.attempt(factor, mfaToken ? { mfaToken } : undefined)).answer;
  }

  /**
   * Lets a full hour of the plugin's send allowance pass (DeliveryLimits.maxSendsPerHour),
   * for a test that needs more deliveries for one user than an hour allows. Call it
   * while no token of the test is live; plugins that deliver nothing skip it.
   */
  renewSendAllowance(): void {
    if (this.plugin.delivery) this.clock.advance(HOUR_MS + 1000);
  }

  /** A wrong answer for an enrollment (`of` is the factor) or an attempt (`of` is the Attempt `valid` answers). */
  async wrongAnswer(of: StartedFactor | Attempt, valid: FactorAnswer): Promise<FactorAnswer> {
    const context = 'answer' in of ? of.context : this.context(of);
    const wrong = this.wellFormed(await this.authenticator.wrong(valid, context));
    assert.notDeepEqual(wrong, valid, 'the authenticator gave the valid answer as a wrong one');
    return wrong;
  }

  accept(factor: StartedFactor, answer: FactorAnswer, token = factor.user.accessToken) {
    return this.app.graphql(AcceptMfaDocument, { token, variables: { input: { token: factor.token, ...answer } } });
  }

  /** Password sign-in of a user with MFA on: the mfaToken. */
  async logIn(user: ConformanceUser): Promise<string> {
    const login = await this.app.graphql(LoginDocument, {
      variables: { input: { username: user.username, password: TEST_PASSWORD } },
    });
    assert.equal(login.data?.login.mfaRequired, true, JSON.stringify(login));
    return login.data.login.mfaToken!;
  }

  verify(mfaToken: string, factor: StartedFactor, answer: FactorAnswer) {
    return this.app.graphql(VerifyMfaDocument, {
      variables: { input: { mfaToken, factorId: factor.factorId, ...answer } },
    });
  }

  verifyRecoveryCode(mfaToken: string, recoveryCode: string) {
    return this.app.graphql(VerifyMfaDocument, { variables: { input: { mfaToken, recoveryCode } } });
  }

  stepUp(session: string, factor: StartedFactor, answer: FactorAnswer) {
    return this.app.graphql(StepUpDocument, {
      token: session,
      variables: { input: { factorId: factor.factorId, ...answer } },
    });
  }

  /** disableMfa of `factor` by its owner, proven with `answer` (from any of the owner's factors). */
  disable(session: string, factor: StartedFactor, answer: FactorAnswer) {
    return this.app.graphql(DisableMfaDocument, {
      token: session,
      variables: { input: { factorId: factor.factorId, password: TEST_PASSWORD, ...answer } },
    });
  }

  /** An answer of the plugin's kind and form: a code its pattern takes, or JSON within its size. */
  private wellFormed(answer: FactorAnswer): FactorAnswer {
    const limits = this.plugin.responseLimits;
    if (limits.kind === 'code') {
      assert.ok('code' in answer, `the authenticator answered a code factor with ${JSON.stringify(answer)}`);
      assert.ok(
        limits.pattern.test(answer.code),
        `the authenticator gave ${JSON.stringify(answer.code)}, which the plugin's pattern refuses`,
      );
    } else {
      assert.ok('response' in answer, `the authenticator answered a JSON factor with ${JSON.stringify(answer)}`);
      assert.ok(
        jsonBytes(answer.response) <= limits.maxBytes,
        "the authenticator's response is larger than the plugin's maxBytes",
      );
    }
    return answer;
  }
}
