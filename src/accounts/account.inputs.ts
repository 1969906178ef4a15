import { IsOptional, Length, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { OptionalEmailRules, UsernameRules } from './account-rules.js';
import { PASSWORD_MAX_INPUT_UNITS } from './password-rules.js';
import { DEVICE_COOKIE } from '../auth/credentials.js';
import { SESSION_COOKIE_CHOICE } from '../auth/session-delivery.js';

@InputType()
export class SignUpInput {
  @Field(() => String)
  @UsernameRules()
  username!: string;

  /** Checked by the password rules (AccountsService.assertNewPassword), which name the rule a refusal broke. */
  @Field(() => String)
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
  @Length(1, PASSWORD_MAX_INPUT_UNITS)
  password!: string;

  @Field(() => String, {
    nullable: true,
    description:
      "verifyMfa's deviceToken: skips the second factor while it works; one that does not is ignored (the second factor is asked). " +
      `Left out with cookie: true, the ${DEVICE_COOKIE} cookie's token is used (and cleared when it no longer works).`,
  })
  @IsOptional()
  @MaxLength(200)
  deviceToken?: string | null;

  @Field(() => Boolean, { defaultValue: false, description: SESSION_COOKIE_CHOICE })
  cookie!: boolean;
}
