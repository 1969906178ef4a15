import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';
import type { AuditEventRecord } from './audit-event.model.js';

@ObjectType('AuditEvent')
export class AuditEventType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'What happened, e.g. "sign_in.failed", "api_key.created".' })
  type!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The account it is about; absent for a failed sign-in to an unknown name.',
  })
  userId?: string;

  @Field(() => ID, { nullable: true, description: 'Who did it, when not the account owner (an admin).' })
  actorId?: string;

  @Field(() => String, { nullable: true })
  ip?: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Non-secret particulars, such as a key name or a factor id.',
  })
  details?: Record<string, unknown>;

  @Field(() => Date)
  createdAt!: Date;

  static from(this: void, event: AuditEventRecord): AuditEventType {
    return Object.assign(new AuditEventType(), {
      id: event._id.toHexString(),
      type: event.type,
      userId: event.userId?.toHexString(),
      actorId: event.actorId?.toHexString(),
      ip: event.ip,
      details: event.details,
      createdAt: event.createdAt,
    });
  }
}
