import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { LoginInput } from '../accounts/account.inputs.js';
import { LoginPayload } from './login-payload.type.js';
import { UserType } from '../accounts/user.type.js';
import type { SessionDelivery } from '../auth/session-delivery.js';
import { Access, sessionViewerOf } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { parseObjectId } from '../graphql/object-id.js';
import { FactorType } from './factor.type.js';
import type { SignInOutcome } from './sign-in.service.js';
import type { AttemptRequest } from './challenge.service.js';
import { MfaChallenge, PasskeySignInChallenge } from './mfa-challenge.type.js';
import {
  BeginMfaInput,
  PasskeySignInInput,
  SendMfaCodeInput,
  StepUpInput,
  VerifyMfaInput,
  toProof,
} from './sign-in.inputs.js';

@Resolver()
export class SignInResolver {
  @Mutation(() => LoginPayload, {
    description: 'Password sign-in: a session, or mfaRequired with an mfaToken, or enrollmentRequired.',
  })
  async login(
    @Arg('input', () => LoginInput) input: LoginInput,
    @Ctx() { services, ip, userAgent, delivery }: GraphQLContext,
  ): Promise<LoginPayload> {
    // A browser signing in for the session cookie keeps its device token in the mfa_device cookie (HttpOnly).
    const deviceFromCookie = input.deviceToken == null && input.cookie ? delivery.presentedDeviceToken : undefined;
    const outcome = await services.signIn.login(
      input.username,
      input.password,
      ip,
      userAgent,
      input.deviceToken ?? deviceFromCookie,
      input.cookie,
    );
    // A device cookie that no longer stands in for the second factor is dropped: the next sign-ins need not offer it.
    if (deviceFromCookie && outcome.kind === 'mfaRequired' && outcome.deviceRefused) delivery.clearPresentedDevice();
    return toPayload(outcome, delivery, input.cookie);
  }

  @Mutation(() => LoginPayload, {
    description: "Finishes a sign-in with a code or a recovery code and login's mfaToken.",
  })
  async verifyMfa(
    @Arg('input', () => VerifyMfaInput) input: VerifyMfaInput,
    @Ctx() { services, ip, userAgent, delivery }: GraphQLContext,
  ): Promise<LoginPayload> {
    const outcome = await services.signIn.verify(
      input.mfaToken,
      toProof(input),
      ip,
      userAgent,
      input.rememberDevice ?? false,
    );
    // Delivered as the sign-in asked at login (kept with its mfaToken), whatever this request carries.
    return toPayload(outcome, delivery, outcome.cookie === true);
  }

  @Mutation(() => Boolean, {
    description:
      'Sends a fresh code (e-mail factors); the previous one stops working. 30 s apart, at most 10 an hour per user; ' +
      'the service also caps codes per address and per client.',
  })
  async sendMfaCode(
    @Arg('input', () => SendMfaCodeInput) input: SendMfaCodeInput,
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    await context.services.challenges.sendForVerification(attemptRequest(input, context));
    return true;
  }

  @Mutation(() => MfaChallenge, {
    description:
      'Begins an attempt of one factor: passkeys get request options (answer with verifyMfa, stepUp or disableMfa ' +
      "`response`), e-mail factors a code (as sendMfaCode, within its limits), apps nothing. Each begin replaces the factor's previous one.",
  })
  async beginMfa(
    @Arg('input', () => BeginMfaInput) input: BeginMfaInput,
    @Ctx() context: GraphQLContext,
  ): Promise<MfaChallenge> {
    const started = await context.services.challenges.begin(attemptRequest(input, context));
    return { factorId: input.factorId, options: started.clientOptions ?? null, delivered: started.delivered };
  }

  @Mutation(() => PasskeySignInChallenge, {
    description:
      'Begins a sign-in with a passkey alone (no username or password): options for navigator.credentials.get.',
  })
  async beginPasskeySignIn(@Ctx() { services, ip }: GraphQLContext): Promise<PasskeySignInChallenge> {
    return services.passkeySignIn.begin(ip);
  }

  @Mutation(() => LoginPayload, {
    description:
      "Finishes a passkey sign-in with the assertion for beginPasskeySignIn's options: a full session, second factor included.",
  })
  async passkeySignIn(
    @Arg('input', () => PasskeySignInInput) input: PasskeySignInInput,
    @Ctx() { services, ip, userAgent, delivery }: GraphQLContext,
  ): Promise<LoginPayload> {
    const outcome = await services.passkeySignIn.signIn(input.challengeId, input.response, ip, userAgent);
    return toPayload(outcome, delivery, input.cookie);
  }

  @Authorized(Access.SESSION, Access.ENROLLING)
  @Mutation(() => LoginPayload, {
    description:
      "With login's enrollment-scoped accessToken, before its enrollmentDeadline: a full session instead (that token " +
      'ends). Enrolling a factor stays due by the deadline. Never for admins.',
  })
  async skipEnrollment(@Ctx() context: GraphQLContext): Promise<LoginPayload> {
    const { delivery } = context;
    const outcome = await context.services.signIn.skipEnrollment(
      sessionViewerOf(context),
      context.ip,
      context.userAgent,
    );
    // The session it replaces came as the cookie: so does this one (the new cookie overwrites the old).
    return toPayload(outcome, delivery, delivery.presentedByCookie);
  }

  @Authorized(Access.SESSION)
  @Mutation(() => Boolean, {
    description: 'A fresh second-factor proof for this session (needed by sensitive changes for 5 minutes).',
  })
  async stepUp(@Arg('input', () => StepUpInput) input: StepUpInput, @Ctx() context: GraphQLContext): Promise<boolean> {
    const { user, session } = sessionViewerOf(context);
    await context.services.signIn.stepUp(user, session._id, toProof(input), context.ip);
    return true;
  }
}

/**
 * The answer to a sign-in; with `asCookie`, the session it issued goes out as the session cookie, and a remembered
 * device's token as the mfa_device cookie, not in the body.
 */
function toPayload(outcome: SignInOutcome, delivery: SessionDelivery, asCookie: boolean): LoginPayload {
  switch (outcome.kind) {
    case 'signedIn':
      return {
        accessToken: delivery.deliver(outcome, asCookie) ?? undefined,
        mfaRequired: false,
        enrollmentRequired: false,
        deviceToken: outcome.device ? (delivery.deliverDevice(outcome.device, asCookie) ?? undefined) : undefined,
        enrollmentDeadline: outcome.enrollmentDeadline,
        user: UserType.from(outcome.user),
      };
    case 'enrollmentRequired':
      return {
        accessToken: delivery.deliver(outcome, asCookie) ?? undefined,
        mfaRequired: false,
        enrollmentRequired: true,
        enrollmentDeadline: outcome.enrollmentDeadline,
        user: UserType.from(outcome.user),
      };
    case 'mfaRequired':
      // A password alone is one factor of two: it shows which factors to prove, and no account data (address, role, recovery codes left).
      return {
        mfaRequired: true,
        mfaToken: outcome.mfaToken,
        factors: outcome.factors.map(FactorType.from),
        enrollmentRequired: false,
      };
  }
}

/** beginMfa's or sendMfaCode's input, with who asks and from where, as the challenge service takes it. */
function attemptRequest(input: BeginMfaInput | SendMfaCodeInput, context: GraphQLContext): AttemptRequest {
  return {
    mfaToken: input.mfaToken,
    viewer: context.viewer,
    factorId: parseObjectId('factorId', input.factorId),
    clientIp: context.ip,
  };
}
