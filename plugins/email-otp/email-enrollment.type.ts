import 'reflect-metadata'; // type-graphql's decorators need it, and a plugin may be imported before the rest of the service
import { Field, ObjectType } from 'type-graphql';

@ObjectType('EmailEnrollment', { description: 'A code was sent to this address; confirm it with acceptMfa.' })
export class EmailEnrollment {
  @Field(() => String, { description: 'The address codes go to, masked, e.g. a***e@example.com.' })
  maskedEmail!: string;
}
