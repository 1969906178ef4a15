import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class UserIdInput {
  @Field(() => ID)
  userId!: string;
}
