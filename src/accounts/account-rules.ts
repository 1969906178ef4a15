import { IsEmail, IsOptional, Length, validate } from 'class-validator';
import { IsUsername } from './username-rules.js';

/** NIST 800-63B §3.1.1.2: at least 8 characters, allow at least 64; we cap at 256 so argon2 input stays bounded. */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * The rules a new account meets however it is made: the GraphQL sign-up input
 * carries these decorators, and create-admin checks them with
 * `newAccountProblems`, so the CLI cannot create an account the API would refuse.
 * Each applies its rules in the order stacked decorators would (bottom first).
 */
export const UsernameRules = (): PropertyDecorator => (target, key) => {
  IsUsername()(target, key);
  Length(3, 64)(target, key);
};
export const PasswordRules = (): PropertyDecorator => Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH);
export const OptionalEmailRules = (): PropertyDecorator => (target, key) => {
  Length(3, 254)(target, key);
  IsEmail()(target, key);
  IsOptional()(target, key);
};

class NewAccount {
  @UsernameRules()
  username!: string;

  @PasswordRules()
  password!: string;

  @OptionalEmailRules()
  email?: string;
}

/** One message per rule `account` breaks (never quoting the password); empty when it may be created. */
export async function newAccountProblems(account: {
  username: string;
  password: string;
  email?: string;
}): Promise<string[]> {
  const errors = await validate(Object.assign(new NewAccount(), account));
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}
