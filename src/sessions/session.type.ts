import { Field, ID, ObjectType } from 'type-graphql';
import type { Types } from 'mongoose';
import { MAX_USER_AGENT_CHARS, type SessionRecord } from './session.model.js';

@ObjectType('Session', { description: 'A signed-in session; never its token.' })
export class SessionType {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { description: 'Updated at most once a minute.' })
  lastUsedAt!: Date;

  @Field(() => String, { nullable: true, description: 'The address it signed in from.' })
  ip?: string;

  @Field(() => String, {
    nullable: true,
    description: `The User-Agent it signed in with, as the client sent it (first ${MAX_USER_AGENT_CHARS} characters).`,
  })
  userAgent?: string;

  @Field(() => String, {
    description: 'How the sign-in was proven: "password", a factor type ("totp", "email"), or "recovery_code".',
  })
  method!: string;

  @Field(() => Boolean, { description: 'Whether this is the session making the request.' })
  current!: boolean;

  @Field(() => Date, {
    nullable: true,
    description: 'When a second factor was last passed in it; null for a session made by the password alone.',
  })
  mfaVerifiedAt?: Date;

  static from(session: SessionRecord, currentId: Types.ObjectId | undefined): SessionType {
    return Object.assign(new SessionType(), {
      id: session._id.toHexString(),
      createdAt: session.createdAt,
      lastUsedAt: session.lastUsedAt,
      ip: session.ip,
      userAgent: session.userAgent,
      // Sessions issued before the method was recorded live 12 hours at most.
      method: session.method ?? 'unknown',
      current: currentId?.equals(session._id) ?? false,
      mfaVerifiedAt: session.mfaVerifiedAt,
    });
  }
}
