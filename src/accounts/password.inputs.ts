import { Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { PASSWORD_MAX_INPUT_UNITS } from './password-rules.js';

@InputType()
export class ChangePasswordInput {
  @Field(() => String)
  @Length(1, PASSWORD_MAX_INPUT_UNITS)
  currentPassword!: string;

  /**
   * Checked by the password rules (AccountsService.assertNewPassword), which name the rule a refusal broke; the
   * length cap here bounds the work before that.
   */
  @Field(() => String)
  @Length(1, PASSWORD_MAX_INPUT_UNITS)
  newPassword!: string;
}
