import { IsEmail, IsOptional, Length, validate } from 'class-validator';
import { checkNewPassword, type PasswordContext } from './password-rules.js';
import { IsUsername } from './username-rules.js';

/**
 * The rules a new account meets however it is made: the GraphQL sign-up input
 * carries these decorators, and create-admin checks them with
 * `newAccountProblems`, so the CLI cannot create an account the API would refuse.
 * Each applies its rules in the order stacked decorators would (bottom first).
 * The password is not among them: its rules (password-rules.ts) need the
 * configured minimum and the username and address, and say which rule failed;
 * AccountsService checks them wherever a password is chosen.
 */
export const UsernameRules = (): PropertyDecorator => (target, key) => {
  IsUsername()(target, key);
  Length(3, 64)(target, key);
};
export const OptionalEmailRules = (): PropertyDecorator => (target, key) => {
  Length(3, 254)(target, key);
  IsEmail()(target, key);
  IsOptional()(target, key);
};

class NewAccount {
  @UsernameRules()
  username!: string;

  @OptionalEmailRules()
  email?: string;
}

/**
 * One message per rule `account` breaks (never quoting the password); empty when it may be created.
 * `passwords`: the configured minimum and the service's name, as AccountsService checks them.
 */
export async function newAccountProblems(
  account: { username: string; password: string; email?: string },
  passwords: Pick<PasswordContext, 'minLength' | 'serviceName'>,
): Promise<string[]> {
  const { password, ...fields } = account;
  const errors = await validate(Object.assign(new NewAccount(), fields));
  const problems = errors.flatMap((error) => Object.values(error.constraints ?? {}));
  const check = checkNewPassword(password, { ...passwords, username: account.username, email: account.email });
  if (!check.ok) problems.push(`${check.message} (rule ${check.rule})`);
  return problems;
}
