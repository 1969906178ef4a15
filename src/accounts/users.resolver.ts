import { Arg, Args, ArgsType, Authorized, Ctx, Field, ID, Query, Resolver } from 'type-graphql';
import { Access } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { parseObjectId } from '../graphql/object-id.js';
import { PageArgs, connectionType, toConnection, toPage, type Connection } from '../graphql/pagination.js';
import { MfaPolicyStatus } from './user.model.js';
import { UserType } from './user.type.js';

const UserConnection = connectionType('User', UserType);

@ArgsType()
class UsersArgs extends PageArgs {
  @Field(() => MfaPolicyStatus, { nullable: true, description: 'Only users with this policy status.' })
  mfaPolicyStatus?: MfaPolicyStatus;
}

/** Admin consoles' view of the accounts. */
@Resolver()
export class UsersResolver {
  @Authorized(Access.ADMIN)
  @Query(() => UserType, { nullable: true, description: 'ADMIN. One user, or null when there is none with this id.' })
  async user(@Arg('id', () => ID) id: string, @Ctx() { services }: GraphQLContext): Promise<UserType | null> {
    const user = await services.accounts.findById(parseObjectId('id', id));
    return user && UserType.from(user);
  }

  @Authorized(Access.ADMIN)
  @Query(() => UserConnection, { description: 'ADMIN. Users in creation order.' })
  async users(
    @Args(() => UsersArgs) args: UsersArgs,
    @Ctx() { services }: GraphQLContext,
  ): Promise<Connection<UserType>> {
    const page = toPage(args);
    return toConnection(
      await services.accounts.list({ mfaPolicyStatus: args.mfaPolicyStatus }, page),
      page,
      UserType.from,
    );
  }
}
