import { LoginDocument, SignUpDocument } from '../generated/graphql.js';
import type { TestApp } from './test-app.js';

export const TEST_PASSWORD = 'a test password 1';

/** Signs a new user up and in over GraphQL; returns the user's id and access token. */
export async function signUpAndLogIn(
  app: TestApp,
  username: string,
  password = TEST_PASSWORD,
): Promise<{ id: string; token: string }> {
  const signUp = await app.graphql(SignUpDocument, {
    variables: { input: { username, password, email: `${username}@example.com` } },
  });
  if (!signUp.data) throw new Error(`sign-up failed: ${JSON.stringify(signUp.errors)}`);
  return { id: signUp.data.signUp.id, token: await logIn(app, username, password) };
}

export async function logIn(app: TestApp, username: string, password = TEST_PASSWORD): Promise<string> {
  const login = await app.graphql(LoginDocument, { variables: { input: { username, password } } });
  const token = login.data?.login.accessToken;
  if (!token) throw new Error(`sign-in failed: ${JSON.stringify(login.errors)}`);
  return token;
}
