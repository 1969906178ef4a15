import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { RequestPasswordResetInput, ResetPasswordInput } from './email.inputs.js';

/** "Forgot your password": anonymous by nature, the mailed token is the proof. */
@Resolver()
export class PasswordResetResolver {
  @Mutation(() => Boolean, {
    description:
      'Mails a reset token (single use, 30 min) to the account’s verified address. Always true, whether or not the account exists.',
  })
  async requestPasswordReset(
    @Arg('input', () => RequestPasswordResetInput) input: RequestPasswordResetInput,
    @Ctx() { services, ip }: GraphQLContext,
  ): Promise<boolean> {
    await services.passwordReset.request(input, ip);
    return true;
  }

  @Mutation(() => Boolean, {
    description: 'Sets a new password with a reset token and ends every session. Second factors stay as they are.',
  })
  async resetPassword(
    @Arg('input', () => ResetPasswordInput) input: ResetPasswordInput,
    @Ctx() { services, ip }: GraphQLContext,
  ): Promise<boolean> {
    await services.passwordReset.reset(input.token, input.newPassword, ip);
    return true;
  }
}
