import { useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { Link } from '../../components/Link';
import { useAction } from '../../components/use-action';
import { SignInMutation, SignUpMutation } from '../../graphql/account';
import { ApiError, request } from '../../graphql/client';
import type { SignedInUser } from '../../session';

/**
 * "Create an account" (offered while the service allows sign-up, ALLOW_SIGNUP): the account, then a sign-in with the
 * same password, so the person lands signed in (or in the enrollment wizard when new accounts must use MFA). A new
 * account has no second factor yet, so that sign-in never asks for one.
 */
export function SignUpPage({ onSignedIn }: { onSignedIn: (user: SignedInUser, enroll: boolean) => void }) {
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const { busy, error, setError, run } = useAction({ code: 'NETWORK', message: 'The account was not created.' });
  const errorId = useId();
  const hintId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirmation) {
      setError(new ApiError('BAD_USER_INPUT', 'The two passwords are not the same. Type the password twice.'));
      return;
    }
    void run(async () => {
      await request(SignUpMutation, {
        input: { username: username.trim(), password, email: email.trim() || undefined },
      });
      const { login } = await request(SignInMutation, { input: { username: username.trim(), password, cookie: true } });
      if (login.user) onSignedIn(login.user, login.enrollmentRequired);
    });
  };

  const invalid = error ? errorId : undefined;
  return (
    <main className="card">
      <h1>Create an account</h1>
      <form onSubmit={submit} noValidate>
        <ErrorAlert error={error} id={errorId} />
        <Field
          label="Username"
          value={username}
          onChange={setUsername}
          autoComplete="username"
          required
          errorId={invalid}
        />
        <Field
          label="E-mail address"
          type="email"
          value={email}
          onChange={setEmail}
          autoComplete="email"
          errorId={invalid}
        />
        <p id={hintId} className="hint">
          The address receives password resets and security notices once you verify it. A long passphrase of a few
          unusual words is the best password; common passwords, and your username or address, are refused.
        </p>
        <Field
          label="Password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
          required
          aria-describedby={invalid ? `${errorId} ${hintId}` : hintId}
          errorId={invalid}
        />
        <Field
          label="Confirm password"
          type="password"
          value={confirmation}
          onChange={setConfirmation}
          autoComplete="new-password"
          required
          errorId={invalid}
        />
        <button type="submit" disabled={busy}>
          Create account
        </button>
      </form>
      <p>
        Already have an account? <Link href="/">Sign in</Link>
      </p>
    </main>
  );
}
