import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType('FactorType', { description: 'A kind of second factor this server knows.' })
export class FactorTypeInfo {
  @Field(() => String)
  type!: string;

  @Field(() => String)
  displayName!: string;

  @Field(() => String, {
    description:
      'What proving it shows: "possession" (codes from a device or mailbox) or "phishing-resistant" (passkeys, bound to this site).',
  })
  assurance!: string;

  @Field(() => Boolean, { description: 'Whether the MFA policy lets users enroll it.' })
  allowed!: boolean;
}

@ObjectType('MfaPolicy')
export class MfaPolicyType {
  @Field(() => [String])
  allowedFactorTypes!: string[];

  @Field(() => Int, { description: 'Recovery codes issued with a first factor, a replacement, or a regeneration.' })
  recoveryCodeCount!: number;

  @Field(() => Int, {
    description:
      'Days a device remembered at verifyMfa (rememberDevice) skips the second factor at login; 0: devices are not remembered. Never for admins.',
  })
  trustedDeviceDays!: number;

  @Field(() => Boolean, { description: 'Whether a passkey may sign in on its own (without the password).' })
  passkeySignIn!: boolean;

  @Field(() => Int, {
    description:
      'Days a user whose MFA was turned on with no factor may skip enrolling one (skipEnrollment); 0: enrollment is forced at once. Never for admins.',
  })
  enrollmentGraceDays!: number;
}
