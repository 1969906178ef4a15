import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class UserIdInput {
  @Field(() => ID)
  userId!: string;
}

@InputType()
export class RevokeSessionInput {
  @Field(() => ID, { description: 'A session of yours, from `sessions`.' })
  id!: string;
}
