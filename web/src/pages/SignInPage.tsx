import { useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../components/ErrorAlert';
import { Field } from '../components/Field';
import { Link } from '../components/Link';
import { SignInMutation } from '../graphql/account';
import { request } from '../graphql/client';
import type { ConsoleSignInMutation } from '../gql/graphql';
import type { SignedInUser } from '../session';
import { SecondStepPage } from './SecondStepPage';

type Challenge = {
  mfaToken: string;
  factors: NonNullable<ConsoleSignInMutation['login']['factors']>;
  trustedDeviceDays: number;
};

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
        trustedDeviceDays={challenge.trustedDeviceDays}
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
      // A device remembered earlier rides along in its HttpOnly mfa_device cookie, which the API reads itself.
      const { login } = await request(SignInMutation, { input: { username, password, cookie: true } });
      if (login.mfaRequired && login.mfaToken) {
        setChallenge({
          mfaToken: login.mfaToken,
          factors: login.factors ?? [],
          trustedDeviceDays: login.trustedDeviceDays ?? 0,
        });
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
      <p>
        <Link href="/forgot-password">Forgot your password?</Link>
      </p>
    </main>
  );
}
