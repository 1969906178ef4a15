import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { MfaPolicyStatus, Role, type UserRecord } from './user.model.js';

registerEnumType(Role, { name: 'Role' });
registerEnumType(MfaPolicyStatus, {
  name: 'MfaPolicyStatus',
  description: 'ENABLED: every password sign-in needs a second factor.',
});

@ObjectType('User')
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  username!: string;

  @Field(() => String, { nullable: true })
  email?: string;

  @Field(() => Boolean, {
    description: 'Whether `email` was proven; security notices and reset mails go only to a verified address.',
  })
  emailVerified!: boolean;

  @Field(() => Role)
  role!: Role;

  @Field(() => MfaPolicyStatus)
  mfaPolicyStatus!: MfaPolicyStatus;

  @Field(() => Date)
  createdAt!: Date;

  /** The stored user, for field resolvers (factors, recovery codes); not part of the schema. */
  record!: UserRecord;

  static from(user: UserRecord): UserType {
    return Object.assign(new UserType(), {
      id: user._id.toHexString(),
      username: user.username,
      email: user.email,
      emailVerified: user.emailVerified === true,
      role: user.role,
      mfaPolicyStatus: user.mfaPolicyStatus,
      createdAt: user.createdAt,
      record: user,
    });
  }
}
