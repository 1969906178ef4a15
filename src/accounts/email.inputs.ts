import { IsEmail, IsOptional, Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { PASSWORD_MAX_INPUT_UNITS } from './password-rules.js';

/** Long enough for any token the service mails (prefix + 43 base64url characters), short enough to refuse junk before hashing it. */
const MAX_TOKEN_LENGTH = 128;

@InputType()
export class VerifyEmailInput {
  @Field(() => String, { description: 'The token from the verification mail.' })
  @Length(1, MAX_TOKEN_LENGTH)
  token!: string;
}

@InputType()
export class ChangeEmailInput {
  @Field(() => String, { description: 'The new address; it becomes the account address once verified (verifyEmail).' })
  @Length(3, 254)
  @IsEmail()
  email!: string;
}

@InputType()
export class RequestPasswordResetInput {
  @Field(() => String, { nullable: true, description: 'The account name; give this or `email`.' })
  @IsOptional()
  @Length(1, 64)
  username?: string;

  @Field(() => String, { nullable: true, description: "The account's verified address; give this or `username`." })
  @IsOptional()
  @Length(3, 254)
  email?: string;
}

@InputType()
export class ResetPasswordInput {
  @Field(() => String, { description: 'The token from the reset mail.' })
  @Length(1, MAX_TOKEN_LENGTH)
  token!: string;

  /** Checked against the password rules by AccountsService.setPassword; the length cap here bounds the work before that. */
  @Field(() => String)
  @Length(1, PASSWORD_MAX_INPUT_UNITS)
  newPassword!: string;
}
