import { Field, ObjectType } from 'type-graphql';
import { DEVICE_COOKIE } from '../auth/credentials.js';
import { FactorType } from './factor.type.js';
import { UserType } from '../accounts/user.type.js';

@ObjectType('LoginPayload')
export class LoginPayload {
  @Field(() => String, {
    nullable: true,
    description:
      'Only when fully signed in, or enrollment-scoped (enrollmentRequired); null when the sign-in asked for the ' +
      'session cookie (cookie: true), which then carries it.',
  })
  accessToken?: string;

  @Field(() => Boolean, { description: 'Password accepted; a second factor is needed (verifyMfa with mfaToken).' })
  mfaRequired!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Short-lived; for sendMfaCode and verifyMfa of this one sign-in.',
  })
  mfaToken?: string;

  @Field(() => [FactorType], { nullable: true, description: 'With mfaRequired: the ACTIVE factors to choose from.' })
  factors?: FactorType[];

  @Field(() => Boolean, { description: 'MFA is required but no factor is active: accessToken may only enroll.' })
  enrollmentRequired!: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      'verifyMfa with rememberDevice: give it to login (deviceToken) to skip the second factor on this device; ' +
      'shown once. Null when the policy remembers no devices, and for admins; null too when the sign-in asked for ' +
      `the session cookie (cookie: true), which then sets the HttpOnly cookie ${DEVICE_COOKIE} that login reads.`,
  })
  deviceToken?: string;

  @Field(() => Date, {
    nullable: true,
    description:
      'With enrollmentRequired, within the enrollment grace: until then skipEnrollment trades accessToken for a full ' +
      "session; after it, enrolling is the only way in. On skipEnrollment's answer: when a factor is due.",
  })
  enrollmentDeadline?: Date;

  @Field(() => UserType, {
    nullable: true,
    description: 'The account, once signed in (or enrollment-scoped); null with mfaRequired, until verifyMfa.',
  })
  user?: UserType;
}
