import { Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { OptionalEmailRules, PASSWORD_MAX_LENGTH, PasswordRules, UsernameRules } from './account-rules.js';

@InputType()
export class SignUpInput {
  @Field(() => String)
  @UsernameRules()
  username!: string;

  @Field(() => String)
  @PasswordRules()
  password!: string;

  @Field(() => String, { nullable: true })
  @OptionalEmailRules()
  email?: string;
}

@InputType()
export class LoginInput {
  @Field(() => String)
  @Length(1, 64)
  username!: string;

  @Field(() => String)
  @Length(1, PASSWORD_MAX_LENGTH)
  password!: string;
}
