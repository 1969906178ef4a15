import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { Access, sessionViewerOf } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { SignUpInput } from './account.inputs.js';
import { UserType } from './user.type.js';

@Resolver()
export class AccountResolver {
  @Query(() => UserType, { nullable: true, description: 'The signed-in user, or null when anonymous.' })
  me(@Ctx() { viewer }: GraphQLContext): UserType | null {
    return viewer ? UserType.from(viewer.user) : null;
  }

  @Mutation(() => UserType)
  async signUp(
    @Arg('input', () => SignUpInput) input: SignUpInput,
    @Ctx() { services, ip }: GraphQLContext,
  ): Promise<UserType> {
    return UserType.from(await services.accounts.signUp(input, ip));
  }

  @Authorized(Access.SESSION, Access.ENROLLING)
  @Mutation(() => Boolean, { description: 'Ends the calling session (and clears the session cookie it came with).' })
  async logout(@Ctx() context: GraphQLContext): Promise<boolean> {
    const { session, user } = sessionViewerOf(context);
    await context.services.accounts.logout(session._id, user._id, context.ip);
    context.delivery.clearPresented();
    return true;
  }
}
