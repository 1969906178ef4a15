import assert from 'node:assert/strict';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { FactorPlugin } from '../../src/plugin-kit.js';
import {
  AcceptMfaDocument,
  LoginDocument,
  VerifyMfaDocument,
  type EnableMfaInput,
  type EnableMfaMutationVariables,
} from '../generated/graphql.js';
import { TEST_PASSWORD, signUpAndLogIn } from './accounts.js';
import {
  codePatternOf,
  enableMfaDocumentFor,
  type EnrollmentDetailsJson,
  type GenericEnableMfaMutation,
} from './factor-probe.js';
import type { TestClock } from './mfa.js';
import type { TestApp } from './test-app.js';

const HOUR_MS = 60 * 60_000;

/**
 * How the conformance suite gets the codes a real user of the factor would
 * have, whatever the factor type: computed from the enrollment details (TOTP),
 * read from a captured mail (e-mail), pressed on a simulated device. Any
 * method may be async.
 */
export interface CodeSource {
  /** A code valid now for the PENDING factor enableMfa just started (`context.details` is what it returned). */
  fromEnrollment(context: CodeContext): string | Promise<string>;
  /**
   * A valid code for the ACTIVE factor that the server has not accepted yet.
   * The suite first moves the clock `freshCodeAfterMs`. At sign-in
   * `context.mfaToken` is set: a factor whose codes are delivered on request
   * triggers the delivery with it (sendMfaCode → the plugin's `begin` and its delivery).
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

export interface CodeContext {
  app: TestApp;
  clock: TestClock;
  user: ConformanceUser;
  /** PENDING in `fromEnrollment`, ACTIVE afterwards. */
  factorId: string;
  /** enableMfa's details as served: `__typename` and every field of the plugin's details type. */
  details: EnrollmentDetailsJson;
  /**
   * This sign-in's mfaToken, when a code is asked for to finish one; unset when
   * the code is for the signed-in user (`user.accessToken`: step-up, disableMfa).
   */
  mfaToken?: string;
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

/** One plugin's factors driven over HTTP as a client would: users, enrollment, codes from the CodeSource, sign-in. */
export class FactorClient {
  private users = 0;

  private constructor(
    readonly app: TestApp,
    readonly clock: TestClock,
    private readonly plugin: FactorPlugin,
    private readonly codes: CodeSource,
    private readonly enableMfa: TypedDocumentNode<GenericEnableMfaMutation, EnableMfaMutationVariables>,
  ) {}

  static async connect(
    app: TestApp,
    clock: TestClock,
    plugin: FactorPlugin,
    codes: CodeSource,
    detailsTypeName: string,
  ): Promise<FactorClient> {
    return new FactorClient(app, clock, plugin, codes, await enableMfaDocumentFor(app, detailsTypeName));
  }

  async newUser(): Promise<ConformanceUser> {
    const username = `conformance-${this.plugin.type}-${++this.users}`;
    const { id, token } = await signUpAndLogIn(this.app, username);
    return { id, username, accessToken: token };
  }

  async enable(user: ConformanceUser): Promise<StartedFactor> {
    const input = { factorType: this.plugin.type, ...this.codes.enrollmentInput?.(user) };
    const enabled = await this.app.graphql(this.enableMfa, { token: user.accessToken, variables: { input } });
    assert.equal(enabled.errors, undefined, JSON.stringify(enabled.errors));
    const { token, factor, details, scratchCodes } = enabled.data!.enableMfa;
    assert.ok(details, 'enableMfa returns the plugin details');
    return { user, token, factorId: factor.id, details, scratchCodes: scratchCodes ?? [] };
  }

  /** enableMfa → acceptMfa with the code the user has; returns that code too. */
  async enroll(user: ConformanceUser): Promise<StartedFactor & { acceptedCode: string }> {
    const factor = await this.enable(user);
    const acceptedCode = await this.enrollmentCode(factor);
    const accepted = await this.accept(factor, acceptedCode);
    assert.equal(accepted.data?.acceptMfa.status, 'ACTIVE', JSON.stringify(accepted.errors));
    return { ...factor, acceptedCode };
  }

  context(factor: StartedFactor, mfaToken?: string): CodeContext {
    return {
      app: this.app,
      clock: this.clock,
      user: factor.user,
      factorId: factor.factorId,
      details: factor.details,
      mfaToken,
    };
  }

  async enrollmentCode(factor: StartedFactor): Promise<string> {
    return this.wellFormed(await this.codes.fromEnrollment(this.context(factor)));
  }

  /** Moves the clock until a fresh code exists, and takes it. */
  async freshCode(factor: StartedFactor, mfaToken?: string): Promise<string> {
    this.clock.advance(this.codes.freshCodeAfterMs ?? 0);
    return this.wellFormed(await this.codes.next(this.context(factor, mfaToken)));
  }

  /**
   * Lets a full hour of the plugin's send allowance pass (DeliveryLimits.maxSendsPerHour),
   * for a test that needs more deliveries for one user than an hour allows. Call it
   * while no token of the test is live; plugins that deliver nothing skip it.
   */
  renewSendAllowance(): void {
    if (this.plugin.delivery) this.clock.advance(HOUR_MS + 1000);
  }

  async wrongCode(factor: StartedFactor, validCode: string): Promise<string> {
    const code = this.wellFormed(await this.codes.wrong(validCode, this.context(factor)));
    assert.notEqual(code, validCode, 'the code source gave the valid code as a wrong one');
    return code;
  }

  accept(factor: StartedFactor, code: string) {
    return this.app.graphql(AcceptMfaDocument, {
      token: factor.user.accessToken,
      variables: { input: { token: factor.token, code } },
    });
  }

  /** Password sign-in of a user with MFA on: the mfaToken. */
  async logIn(user: ConformanceUser): Promise<string> {
    const login = await this.app.graphql(LoginDocument, {
      variables: { input: { username: user.username, password: TEST_PASSWORD } },
    });
    assert.equal(login.data?.login.mfaRequired, true, JSON.stringify(login));
    return login.data.login.mfaToken!;
  }

  verify(mfaToken: string, factor: StartedFactor, code: string) {
    return this.app.graphql(VerifyMfaDocument, { variables: { input: { mfaToken, factorId: factor.factorId, code } } });
  }

  verifyRecoveryCode(mfaToken: string, recoveryCode: string) {
    return this.app.graphql(VerifyMfaDocument, { variables: { input: { mfaToken, recoveryCode } } });
  }

  private wellFormed(code: string): string {
    assert.ok(
      codePatternOf(this.plugin).test(code),
      `the code source gave ${JSON.stringify(code)}, which the plugin's pattern refuses`,
    );
    return code;
  }
}
