import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { Access, sessionViewerOf } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { ChangeEmailInput, VerifyEmailInput } from './email.inputs.js';

/** The account's address: verifying it, changing it. */
@Resolver()
export class EmailResolver {
  @Authorized(Access.SESSION)
  @Mutation(() => Boolean, {
    description: 'Mails a verification token to your pending new address, else to your unverified address.',
  })
  async sendEmailVerification(@Ctx() context: GraphQLContext): Promise<boolean> {
    await context.services.emailVerification.sendVerification(sessionViewerOf(context), context.ip);
    return true;
  }

  @Mutation(() => Boolean, {
    description: 'Spends a verification token (single use, 24 h): the address it was mailed to becomes verified.',
  })
  async verifyEmail(
    @Arg('input', () => VerifyEmailInput) input: VerifyEmailInput,
    @Ctx() { services, ip }: GraphQLContext,
  ): Promise<boolean> {
    await services.emailVerification.verify(input.token, ip);
    return true;
  }

  @Authorized(Access.SESSION)
  @Mutation(() => Boolean, {
    description: 'Asks for a new address; it replaces the current one once verified. Step-up when MFA is in use.',
  })
  async changeEmail(
    @Arg('input', () => ChangeEmailInput) input: ChangeEmailInput,
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    await context.services.emailVerification.changeEmail(sessionViewerOf(context), input.email, context.ip);
    return true;
  }
}
