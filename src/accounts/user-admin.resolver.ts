import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { Access } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { parseObjectId } from '../graphql/object-id.js';
import { UserIdInput } from '../sessions/session.inputs.js';
import { SetUserRoleInput } from './user-admin.inputs.js';
import { UserType } from './user.type.js';

const FRESH_ADMIN = 'ADMIN, with MFA passed in the last 5 minutes.';

/** Admin user management; every rule is UserAdminService's. */
@Resolver(() => UserType)
export class UserAdminResolver {
  @FieldResolver(() => Date, {
    nullable: true,
    description: 'When the second-factor lockout ends; null when none is in force (unlockUser clears it).',
  })
  lockedUntil(@Root() user: UserType, @Ctx() { services }: GraphQLContext): Date | null {
    return services.userAdmin.lockedUntil(user.record) ?? null;
  }

  @Authorized(Access.ADMIN)
  @Mutation(() => UserType, {
    description:
      `${FRESH_ADMIN} Clears a user's second-factor lockout and the password failures counted against their name ` +
      "(not the per-address limits); not another admin's. The user is told.",
  })
  async unlockUser(
    @Arg('input', () => UserIdInput) input: UserIdInput,
    @Ctx() { services, viewer, ip }: GraphQLContext,
  ): Promise<UserType> {
    return UserType.from(await services.userAdmin.unlock(viewer!, parseObjectId('userId', input.userId), ip));
  }

  @Authorized(Access.ADMIN)
  @Mutation(() => UserType, {
    description:
      `${FRESH_ADMIN} Shuts an account (never an admin's): it cannot sign in, its sessions end, ` +
      'its API keys and pending sign-ins stop. The user is told first.',
  })
  async deactivateUser(
    @Arg('input', () => UserIdInput) input: UserIdInput,
    @Ctx() { services, viewer, ip }: GraphQLContext,
  ): Promise<UserType> {
    return UserType.from(await services.userAdmin.deactivate(viewer!, parseObjectId('userId', input.userId), ip));
  }

  @Authorized(Access.ADMIN)
  @Mutation(() => UserType, {
    description: `${FRESH_ADMIN} Opens a deactivated account again; ended sessions stay ended. The user is told.`,
  })
  async reactivateUser(
    @Arg('input', () => UserIdInput) input: UserIdInput,
    @Ctx() { services, viewer, ip }: GraphQLContext,
  ): Promise<UserType> {
    return UserType.from(await services.userAdmin.reactivate(viewer!, parseObjectId('userId', input.userId), ip));
  }

  @Authorized(Access.ADMIN)
  @Mutation(() => Boolean, {
    description:
      `${FRESH_ADMIN} Deletes an account (never an admin's) with its factors, sessions, API keys and recovery codes; ` +
      'the username is free again, and the audit trail keeps its events under a pseudonym. The user is told.',
  })
  async deleteUser(
    @Arg('input', () => UserIdInput) input: UserIdInput,
    @Ctx() { services, viewer, ip }: GraphQLContext,
  ): Promise<boolean> {
    return services.userAdmin.delete(viewer!, parseObjectId('userId', input.userId), ip);
  }

  @Authorized(Access.ADMIN)
  @Mutation(() => UserType, {
    description:
      `${FRESH_ADMIN} Sets a user's role; the last admin cannot be demoted. ` +
      'A new admin must use MFA (mfaPolicyStatus ENABLED). The user is told.',
  })
  async setUserRole(
    @Arg('input', () => SetUserRoleInput) input: SetUserRoleInput,
    @Ctx() { services, viewer, ip }: GraphQLContext,
  ): Promise<UserType> {
    return UserType.from(
      await services.userAdmin.setRole(viewer!, parseObjectId('userId', input.userId), input.role, ip),
    );
  }
}
