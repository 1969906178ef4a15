import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { Access, sessionViewerOf } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { parseObjectId } from '../graphql/object-id.js';
import { UserIdInput } from '../sessions/session.inputs.js';
import { ChangePasswordInput } from './password.inputs.js';
import { UserType } from './user.type.js';

/** changePassword and requireUserPasswordReset; every rule is PasswordsService's and AccountsService.setPassword's. */
@Resolver()
export class PasswordResolver {
  @Authorized(Access.SESSION)
  @Mutation(() => Boolean, {
    description:
      'Sets a new password, given the current one (a wrong one counts as a failed sign-in). With an ACTIVE factor, ' +
      'needs a second-factor proof at most 5 minutes old in this session (stepUp). Ends your other sessions; ' +
      'this one stays. A refused new password is BAD_USER_INPUT with `extensions.rule`.',
  })
  async changePassword(
    @Arg('input', () => ChangePasswordInput) input: ChangePasswordInput,
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    await context.services.passwords.change(sessionViewerOf(context), input, context.ip);
    return true;
  }

  @Authorized(Access.ADMIN)
  @Mutation(() => UserType, {
    description:
      'ADMIN, with MFA passed in the last 5 minutes. Makes a user (not an admin) choose a new password: their ' +
      'sessions end and their password signs in no more (PASSWORD_RESET_REQUIRED) until a reset sets a new one. ' +
      'API keys keep working. The user is told.',
  })
  async requireUserPasswordReset(
    @Arg('input', () => UserIdInput) input: UserIdInput,
    @Ctx() { services, viewer, ip }: GraphQLContext,
  ): Promise<UserType> {
    return UserType.from(await services.passwords.requireReset(viewer!, parseObjectId('userId', input.userId), ip));
  }
}
