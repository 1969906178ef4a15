import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { UserType } from '../accounts/user.type.js';
import { Access, sessionViewerOf } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { parseObjectId } from '../graphql/object-id.js';
import { SetAllowedFactorTypesInput, SetMfaPolicyInput, SetMfaPolicyStatusInput } from './mfa-policy.inputs.js';
import { FactorTypeInfo, MfaPolicyType } from './mfa-policy.type.js';

@Resolver()
export class MfaPolicyResolver {
  @Authorized(Access.ENROLLING)
  @Query(() => [FactorTypeInfo], {
    description: 'The factor types this server knows, and whether users may enroll each.',
  })
  async factorTypes(@Ctx() { services }: GraphQLContext): Promise<FactorTypeInfo[]> {
    return services.mfaPolicy.factorTypes();
  }

  @Authorized()
  @Query(() => MfaPolicyType)
  async mfaPolicy(@Ctx() { services }: GraphQLContext): Promise<MfaPolicyType> {
    return services.mfaPolicy.policy();
  }

  @Authorized(Access.SESSION, Access.ADMIN)
  @Mutation(() => UserType, {
    description:
      "ADMIN, with MFA passed in the last 5 minutes. ENABLED: a second factor (or enrollment) at next sign-in. Not for admins: an admin's is always ENABLED.",
  })
  async setMfaPolicyStatus(
    @Arg('input', () => SetMfaPolicyStatusInput) input: SetMfaPolicyStatusInput,
    @Ctx() context: GraphQLContext,
  ): Promise<UserType> {
    const viewer = sessionViewerOf(context);
    return UserType.from(
      await context.services.mfaPolicy.setStatus(
        viewer,
        parseObjectId('userId', input.userId),
        input.status,
        context.ip,
      ),
    );
  }

  @Authorized(Access.SESSION, Access.ADMIN)
  @Mutation(() => MfaPolicyType, {
    description: 'ADMIN, with MFA passed in the last 5 minutes. Which factor types users may enroll.',
  })
  async setAllowedFactorTypes(
    @Arg('input', () => SetAllowedFactorTypesInput) input: SetAllowedFactorTypesInput,
    @Ctx() context: GraphQLContext,
  ): Promise<MfaPolicyType> {
    const viewer = sessionViewerOf(context);
    return context.services.mfaPolicy.setAllowedFactorTypes(viewer, input.types, context.ip);
  }

  @Authorized(Access.SESSION, Access.ADMIN)
  @Mutation(() => MfaPolicyType, {
    description:
      'ADMIN, with MFA passed in the last 5 minutes. Changes the sign-in settings given and returns the policy.',
  })
  async setMfaPolicy(
    @Arg('input', () => SetMfaPolicyInput) input: SetMfaPolicyInput,
    @Ctx() context: GraphQLContext,
  ): Promise<MfaPolicyType> {
    const viewer = sessionViewerOf(context);
    return context.services.mfaPolicy.setPolicy(viewer, input, context.ip);
  }
}
