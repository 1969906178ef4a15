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

  @Field(() => Role)
  role!: Role;

  @Field(() => MfaPolicyStatus)
  mfaPolicyStatus!: MfaPolicyStatus;

  @Field(() => Date)
  createdAt!: Date;

  /** The stored user, for field resolvers (factors, recovery codes); not part of the schema. */
  record!: UserRecord;

  static from(this: void, user: UserRecord): UserType {
    return Object.assign(new UserType(), {
      id: user._id.toHexString(),
      username: user.username,
      email: user.email,
      role: user.role,
      mfaPolicyStatus: user.mfaPolicyStatus,
      createdAt: user.createdAt,
      record: user,
    });
  }
}
