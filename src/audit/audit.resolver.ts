import { Args, ArgsType, Authorized, Ctx, Field, ID, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql/context.js';
import { optionalObjectId } from '../graphql/object-id.js';
import { PageArgs, connectionType, toConnection, toPage, type Connection } from '../graphql/pagination.js';
import { AuditEventType } from './audit-event.type.js';
import { AUDIT_EVENT_TYPES, MAX_FILTER_TYPES } from './audit-trail.js';

const AuditEventConnection = connectionType('AuditEvent', AuditEventType);

@ArgsType()
class AuditEventsArgs extends PageArgs {
  @Field(() => ID, {
    nullable: true,
    description:
      "Whose events: the caller's own; ADMIN, in a session that passed MFA: anyone's, or everyone's when unset.",
  })
  userId?: string;

  @Field(() => [String], {
    nullable: true,
    description: `Only events of these types (1 to ${MAX_FILTER_TYPES}, from auditEventTypes); all when unset.`,
  })
  types?: string[] | null;

  @Field(() => Date, { nullable: true, description: 'Only events recorded at or after this time.' })
  since?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only events recorded before this time (later than since).' })
  until?: Date | null;
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
    const filter = {
      userId: optionalObjectId('userId', args.userId),
      types: args.types ?? undefined,
      since: args.since ?? undefined,
      until: args.until ?? undefined,
    };
    return toConnection(await services.auditTrail.listFor(viewer!, filter, page), page, (event) =>
      AuditEventType.from(event),
    );
  }

  @Authorized()
  @Query(() => [String], { description: 'Every event type auditEvents may hold, the values its types filter takes.' })
  auditEventTypes(): readonly string[] {
    return AUDIT_EVENT_TYPES;
  }
}
