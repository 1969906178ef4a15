import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { MfaPolicyStatus, Role, UserStatus, type UserRecord } from './user.model.js';

registerEnumType(Role, { name: 'Role' });
registerEnumType(UserStatus, {
  name: 'UserStatus',
  description: 'ACTIVE: may sign in. DEACTIVATED: shut by an admin (deactivateUser) until reactivateUser.',
});
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

  @Field(() => Boolean, {
    description: 'False once an admin deactivated the account (deactivateUser): it cannot sign in.',
  })
  active!: boolean;

  /** The stored user, for field resolvers (factors, recovery codes); not part of the schema. */
  record!: UserRecord;

  static from(this: void, user: UserRecord): UserType {
    return Object.assign(new UserType(), {
      id: user._id.toHexString(),
      username: user.username,
      email: user.email,
      emailVerified: user.emailVerified === true,
      role: user.role,
      mfaPolicyStatus: user.mfaPolicyStatus,
      createdAt: user.createdAt,
      active: !user.deactivatedAt,
      record: user,
    });
  }
}
