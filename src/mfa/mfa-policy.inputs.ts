import { ArrayMaxSize, ArrayMinSize, IsOptional, Length } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { MfaPolicyStatus } from '../accounts/user.model.js';

@InputType()
export class SetMfaPolicyStatusInput {
  @Field(() => ID)
  userId!: string;

  @Field(() => MfaPolicyStatus)
  status!: MfaPolicyStatus;
}

@InputType()
export class SetAllowedFactorTypesInput {
  @Field(() => [String], { description: 'Factor types users may enroll, from factorTypes.' })
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @Length(1, 32, { each: true })
  types!: string[];
}

@InputType({ description: 'The sign-in settings to change; each one left out stays as it is.' })
export class SetMfaPolicyInput {
  @Field(() => Int, {
    nullable: true,
    description: 'Days a remembered device skips the second factor (0 to 90; 0: off).',
  })
  trustedDeviceDays?: number | null;

  @Field(() => Boolean, { nullable: true })
  passkeySignIn?: boolean | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Days a user whose MFA was turned on with no factor may skip enrolling one (0 to 90; 0: none).',
  })
  enrollmentGraceDays?: number | null;

  @Field(() => [String], { nullable: true, description: 'Factor types users may enroll, from factorTypes.' })
  @IsOptional()
  @ArrayMaxSize(20)
  @Length(1, 32, { each: true })
  allowedFactorTypes?: string[] | null;
}
