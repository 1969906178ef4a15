import { Field, ID, InputType } from 'type-graphql';
import { Role } from './user.model.js';

@InputType()
export class SetUserRoleInput {
  @Field(() => ID)
  userId!: string;

  @Field(() => Role)
  role!: Role;
}
