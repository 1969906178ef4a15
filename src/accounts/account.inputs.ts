import { IsEmail, IsOptional, Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { IsUsername } from './username-rules.js';

/** NIST 800-63B §3.1.1.2: at least 8 characters, allow at least 64; we cap at 256 so argon2 input stays bounded. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

@InputType()
export class SignUpInput {
  @Field(() => String)
  @Length(3, 64)
  @IsUsername()
  username!: string;

  @Field(() => String)
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  password!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsEmail()
  @Length(3, 254)
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
