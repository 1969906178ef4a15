import { ArrayMaxSize, ArrayMinSize, Length } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
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
