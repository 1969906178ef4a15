import { useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../components/ErrorAlert';
import { Field } from '../components/Field';
import { request } from '../graphql/client';
import { LoginMutation } from '../graphql/operations';
import type { ConsoleLoginMutation } from '../gql/graphql';
import type { SignedInUser } from '../session';
import { SecondStepPage } from './SecondStepPage';

type Challenge = { mfaToken: string; factors: NonNullable<ConsoleLoginMutation['login']['factors']> };

/** Password first; then, when the account uses MFA, the second step with login's mfaToken. */
export function SignInPage({
  onSignedIn,
  notice,
}: {
  onSignedIn: (user: SignedInUser, enroll: boolean) => void;
  /** Why the console is back here, e.g. a session that ended. */
  notice?: string;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const errorId = useId();

  if (challenge) {
    return (
      <SecondStepPage
        mfaToken={challenge.mfaToken}
        factors={challenge.factors}
        onSignedIn={onSignedIn}
        onRestart={() => {
          setChallenge(null);
          setPassword('');
        }}
      />
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { login } = await request(LoginMutation, { input: { username, password, cookie: true } });
      if (login.mfaRequired && login.mfaToken) {
        setChallenge({ mfaToken: login.mfaToken, factors: login.factors ?? [] });
      } else if (login.user) {
        onSignedIn(login.user, login.enrollmentRequired);
      }
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="card">
      <h1>Sign in</h1>
      {notice ? <p role="status">{notice}</p> : null}
      <form onSubmit={(event) => void submit(event)} noValidate>
        <ErrorAlert error={error} id={errorId} />
        <Field
          label="Username"
          value={username}
          onChange={setUsername}
          autoComplete="username"
          required
          errorId={error ? errorId : undefined}
        />
        <Field
          label="Password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
          required
          errorId={error ? errorId : undefined}
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
