import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { LoginInput, SignUpInput } from './account.inputs.js';
import { LoginPayload } from './login-payload.type.js';
import { UserType } from './user.type.js';

@Resolver()
export class AccountResolver {
  @Query(() => UserType, { nullable: true, description: 'The signed-in user, or null when anonymous.' })
  me(@Ctx() { viewer }: GraphQLContext): UserType | null {
    return viewer ? UserType.from(viewer.user) : null;
  }

  @Mutation(() => UserType)
  async signUp(@Arg('input', () => SignUpInput) input: SignUpInput, @Ctx() { services, ip }: GraphQLContext): Promise<UserType> {
    return UserType.from(await services.accounts.signUp(input, ip));
  }

  @Mutation(() => LoginPayload)
  async login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() { services, ip }: GraphQLContext): Promise<LoginPayload> {
    const { user, session } = await services.accounts.login(input.username, input.password, ip);
    return { accessToken: session.accessToken, mfaRequired: false, enrollmentRequired: false, user: UserType.from(user) };
  }

  @Authorized()
  @Mutation(() => Boolean, { description: 'Ends the calling session.' })
  async logout(@Ctx() { services, viewer, ip }: GraphQLContext): Promise<boolean> {
    await services.accounts.logout(viewer!.session._id, viewer!.user._id, ip);
    return true;
  }
}
