import { Args, ArgsType, Authorized, Ctx, Field, ID, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { optionalObjectId } from '../graphql/object-id.js';
import { PageArgs, connectionType, toConnection, toPage, type Connection } from '../graphql/pagination.js';
import { AuditEventType } from './audit-event.type.js';

const AuditEventConnection = connectionType('AuditEvent', AuditEventType);

@ArgsType()
class AuditEventsArgs extends PageArgs {
  @Field(() => ID, {
    nullable: true,
    description:
      "Whose events: the caller's own; ADMIN, in a session that passed MFA: anyone's, or everyone's when unset.",
  })
  userId?: string;
}

@Resolver()
export class AuditResolver {
  @Authorized()
  @Query(() => AuditEventConnection, { description: 'Security events, newest first.' })
  async auditEvents(
    @Args(() => AuditEventsArgs) args: AuditEventsArgs,
    @Ctx() { services, viewer }: GraphQLContext,
  ): Promise<Connection<AuditEventType>> {
    const page = toPage(args);
    return toConnection(
      await services.auditTrail.listFor(viewer!, optionalObjectId('userId', args.userId), page),
      page,
      (event) => AuditEventType.from(event),
    );
  }
}
