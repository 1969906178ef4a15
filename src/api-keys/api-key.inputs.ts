import { IsOptional, Length } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';

@InputType()
export class CreateApiKeyInput {
  @Field(() => String, { description: 'What the key is for, e.g. "nightly backup".' })
  @Length(1, 100)
  name!: string;

  @Field(() => Date, { nullable: true, description: 'When the key stops working; never when unset.' })
  @IsOptional()
  expiresAt?: Date | null;
}

@InputType()
export class RevokeApiKeyInput {
  @Field(() => ID)
  id!: string;
}
