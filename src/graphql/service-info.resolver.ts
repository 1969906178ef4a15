import { Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from './context.js';
import { ServiceInfoType } from './service-info.type.js';

@Resolver()
export class ServiceInfoResolver {
  // Anonymous on purpose: a sign-in page asks before anyone signs in, and nothing here is about a user.
  @Query(() => ServiceInfoType, {
    description: 'What a sign-in page may offer: sign-up, passkey sign-in, and the name to show.',
  })
  async serviceInfo(@Ctx() { services }: GraphQLContext): Promise<ServiceInfoType> {
    return {
      issuer: services.config.mfa.issuer,
      signUp: services.config.accounts.allowSignup,
      passkeySignIn: await services.passkeySignIn.offered(),
    };
  }
}
