import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Access, sessionViewerOf } from '../graphql/auth-checker.js';
import type { GraphQLContext } from '../graphql/context.js';
import { optionalObjectId, parseObjectId } from '../graphql/object-id.js';
import { RevokeSessionInput, UserIdInput } from './session.inputs.js';
import { SessionType } from './session.type.js';
import { MAX_LISTED_SESSIONS } from './sessions.service.js';

@Resolver()
export class SessionsResolver {
  @Authorized()
  @Query(() => [SessionType], {
    description: `Live sessions, newest first (at most ${MAX_LISTED_SESSIONS}): the caller's; ADMIN, in a session that passed MFA: userId's.`,
  })
  async sessions(
    @Arg('userId', () => ID, { nullable: true }) userId: string | null | undefined,
    @Ctx() { services, viewer }: GraphQLContext,
  ): Promise<SessionType[]> {
    const current = viewer!.kind === 'session' ? viewer!.session._id : undefined;
    return (await services.sessions.list(viewer!, optionalObjectId('userId', userId))).map((session) =>
      SessionType.from(session, current),
    );
  }

  @Authorized(Access.SESSION)
  @Mutation(() => Boolean, {
    description:
      'Ends one of your live sessions (the calling one too: that signs you out). An id that is not a live session of yours is NOT_FOUND.',
  })
  async revokeSession(
    @Arg('input', () => RevokeSessionInput) input: RevokeSessionInput,
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    await context.services.sessions.revokeOwn(sessionViewerOf(context), input.id, context.ip);
    return true;
  }

  @Authorized(Access.SESSION)
  @Mutation(() => Int, { description: 'Ends every other live session of yours and keeps this one; how many ended.' })
  async revokeOtherSessions(@Ctx() context: GraphQLContext): Promise<number> {
    return context.services.sessions.revokeOthers(sessionViewerOf(context), context.ip);
  }

  @Authorized(Access.SESSION)
  @Mutation(() => Int, {
    description:
      "ADMIN, with MFA passed in the last 5 minutes: ends every session of a user (not another admin's); how many ended.",
  })
  async revokeUserSessions(
    @Arg('input', () => UserIdInput) input: UserIdInput,
    @Ctx() { services, viewer, ip }: GraphQLContext,
  ): Promise<number> {
    return services.sessions.revokeAllFor(viewer!, parseObjectId('userId', input.userId), ip);
  }
}
