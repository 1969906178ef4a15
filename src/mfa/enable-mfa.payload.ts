import { Field, ID, ObjectType } from 'type-graphql';
import { EnrollmentDetails } from './enrollment-details.js';
import { FactorType } from './factor.type.js';

@ObjectType('EnableMfaPayload')
export class EnableMfaPayload {
  @Field(() => ID)
  userId!: string;

  @Field(() => FactorType, { description: 'The new factor, PENDING until acceptMfa.' })
  factor!: FactorType;

  @Field(() => String, { description: 'For acceptMfa; expires at expiresAt and after 5 wrong codes.' })
  token!: string;

  @Field(() => [String], {
    nullable: true,
    description:
      'Recovery codes, shown this once: with a first factor and with recreate. They work once the factor is accepted.',
  })
  scratchCodes?: string[];

  @Field(() => EnrollmentDetails, { nullable: true })
  details?: object;

  @Field(() => Date)
  expiresAt!: Date;
}
