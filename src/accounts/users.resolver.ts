import { Arg, Args, ArgsType, Authorized, Ctx, Field, ID, Query, Resolver } from 'type-graphql';
import { Access } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { optionalObjectId } from '../graphql/object-id.js';
import { PageArgs, connectionType, toConnection, toPage, type Connection } from '../graphql/pagination.js';
import { MfaPolicyStatus, Role, UserStatus } from './user.model.js';
import { UserType } from './user.type.js';

const UserConnection = connectionType('User', UserType);

@ArgsType()
class UsersArgs extends PageArgs {
  @Field(() => MfaPolicyStatus, { nullable: true, description: 'Only users with this policy status.' })
  mfaPolicyStatus?: MfaPolicyStatus;

  @Field(() => String, {
    nullable: true,
    description:
      'Only users whose username (compared as sign-in compares names: case and width ignored) or e-mail address ' +
      '(case ignored) contains this text, taken literally; 1 to 64 characters.',
  })
  text?: string | null;

  @Field(() => Role, { nullable: true, description: 'Only users with this role.' })
  role?: Role | null;

  @Field(() => UserStatus, { nullable: true, description: 'Only active or only deactivated users.' })
  status?: UserStatus | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: only users whose second-factor lockout is in force now; false: only the others.',
  })
  locked?: boolean | null;
}

/** Admin consoles' view of the accounts. */
@Resolver()
export class UsersResolver {
  @Authorized(Access.ADMIN)
  @Query(() => UserType, {
    nullable: true,
    description:
      'ADMIN. One user by id or by username (exactly one of them; the name matched as sign-in matches it), ' +
      'or null when there is none.',
  })
  async user(
    @Ctx() { services }: GraphQLContext,
    // Listed last to first: parameter decorators run in that order, and the schema lists arguments as they ran.
    @Arg('username', () => String, { nullable: true }) username?: string | null,
    @Arg('id', () => ID, { nullable: true }) id?: string | null,
  ): Promise<UserType | null> {
    const user = await services.userAdmin.find({ id: optionalObjectId('id', id), username });
    return user && UserType.from(user);
  }

  @Authorized(Access.ADMIN)
  @Query(() => UserConnection, { description: 'ADMIN. Users in creation order, narrowed by the filters given.' })
  async users(
    @Args(() => UsersArgs) args: UsersArgs,
    @Ctx() { services }: GraphQLContext,
  ): Promise<Connection<UserType>> {
    const page = toPage(args);
    return toConnection(
      await services.userAdmin.list(
        {
          mfaPolicyStatus: args.mfaPolicyStatus,
          text: args.text ?? undefined,
          role: args.role ?? undefined,
          status: args.status ?? undefined,
          locked: args.locked ?? undefined,
        },
        page,
      ),
      page,
      (user) => UserType.from(user),
    );
  }
}
