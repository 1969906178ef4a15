import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { UserType } from '../accounts/user.type.js';
import { Access, sessionViewerOf } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { parseObjectId } from '../graphql/object-id.js';
import { EnableMfaPayload } from './enable-mfa.payload.js';
import {
  AcceptMfaInput,
  acceptedResponse,
  DisableMfaInput,
  EnableMfaInput,
  RegenerateRecoveryCodesInput,
  UpdateFactorInput,
} from './enrollment.inputs.js';
import { FactorType } from './factor.type.js';
import { toProof } from './sign-in.inputs.js';

/** Factors and recovery codes: interactive sessions only, never API keys. */
@Resolver()
export class EnrollmentResolver {
  @Authorized(Access.SESSION, Access.ENROLLING)
  @Mutation(() => EnableMfaPayload, {
    description:
      'Starts enrolling a factor: its secret or delivery, a token for acceptMfa, and recovery codes when first.',
  })
  async enableMfa(
    @Arg('input', () => EnableMfaInput) input: EnableMfaInput,
    @Ctx() context: GraphQLContext,
  ): Promise<EnableMfaPayload> {
    const viewer = sessionViewerOf(context);
    const userId = input.userId ? parseObjectId('userId', input.userId) : undefined;
    const started = await context.services.enrollment.enable(viewer, { ...input, userId }, context.ip);
    return {
      userId: started.owner._id.toHexString(),
      factor: FactorType.from(started.factor),
      token: started.token,
      scratchCodes: started.scratchCodes,
      details: started.details,
      expiresAt: started.expiresAt,
    };
  }

  @Authorized(Access.SESSION, Access.ENROLLING)
  @Mutation(() => FactorType, {
    description: 'Confirms a PENDING factor with a current code (or response) from it; it becomes ACTIVE.',
  })
  async acceptMfa(
    @Arg('input', () => AcceptMfaInput) input: AcceptMfaInput,
    @Ctx() context: GraphQLContext,
  ): Promise<FactorType> {
    return FactorType.from(
      await context.services.enrollment.accept(
        sessionViewerOf(context),
        input.token,
        acceptedResponse(input),
        context.ip,
      ),
    );
  }

  // Not Access.ENROLLING: the enrollment-scoped token (a password alone) only finishes enrolling; a label for the
  // pending factor goes with enableMfa, and renaming waits for the full session acceptMfa gives.
  @Authorized(Access.SESSION)
  @Mutation(() => FactorType, { description: 'Renames one of your own factors (its description).' })
  async updateFactor(
    @Arg('input', () => UpdateFactorInput) input: UpdateFactorInput,
    @Ctx() context: GraphQLContext,
  ): Promise<FactorType> {
    const factorId = parseObjectId('factorId', input.factorId);
    return FactorType.from(
      await context.services.factors.rename(sessionViewerOf(context), factorId, input.description, { ip: context.ip }),
    );
  }

  @Authorized(Access.SESSION)
  @Mutation(() => UserType, {
    description:
      'Removes a factor, or all. Self: password and a code from any of your factors, or a recovery code. ADMIN: userId, nothing else.',
  })
  async disableMfa(
    @Arg('input', () => DisableMfaInput) input: DisableMfaInput,
    @Ctx() context: GraphQLContext,
  ): Promise<UserType> {
    const viewer = sessionViewerOf(context);
    const proof = toProof(input);
    const userId = input.userId ? parseObjectId('userId', input.userId) : undefined;
    return UserType.from(
      await context.services.disableMfa.disable(viewer, { ...proof, userId, password: input.password }, context.ip),
    );
  }

  @Authorized(Access.SESSION)
  @Mutation(() => [String], { description: 'New recovery codes, shown once; every old one stops working.' })
  async regenerateRecoveryCodes(
    @Arg('input', () => RegenerateRecoveryCodesInput) input: RegenerateRecoveryCodesInput,
    @Ctx() context: GraphQLContext,
  ): Promise<string[]> {
    const viewer = sessionViewerOf(context);
    const proof = input.code != null || input.response != null ? toProof(input) : undefined;
    return context.services.recoveryCodes.regenerate(viewer, proof, context.ip);
  }
}
