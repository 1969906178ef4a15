import { useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../components/ErrorAlert';
import { Field } from '../components/Field';
import { Link } from '../components/Link';
import { useServiceInfo } from '../components/service-info';
import { getPasskeyAssertion } from '../components/webauthn';
import { BeginPasskeySignInMutation, PasskeySignInMutation, SignInMutation } from '../graphql/account';
import { ApiError, request } from '../graphql/client';
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
  const service = useServiceInfo();

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

  // Passwordless: the browser offers this site's passkeys (discoverable credentials); the session comes as the cookie.
  const signInWithPasskey = async () => {
    setBusy(true);
    setError(null);
    try {
      const { beginPasskeySignIn } = await request(BeginPasskeySignInMutation);
      let response: unknown;
      try {
        response = await getPasskeyAssertion(beginPasskeySignIn.options);
      } catch {
        throw new ApiError('PASSKEY', 'The passkey was not used.');
      }
      const { passkeySignIn } = await request(PasskeySignInMutation, {
        input: { challengeId: beginPasskeySignIn.challengeId, response, cookie: true },
      });
      if (passkeySignIn.user) onSignedIn(passkeySignIn.user, passkeySignIn.enrollmentRequired);
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
      {service?.passkeySignIn ? (
        <div className="alternatives">
          <button type="button" className="secondary" onClick={() => void signInWithPasskey()} disabled={busy}>
            Sign in with a passkey
          </button>
        </div>
      ) : null}
      <p>
        <Link href="/forgot-password">Forgot your password?</Link>
      </p>
      {service?.signUp ? (
        <p>
          New here? <Link href="/sign-up">Create an account</Link>
        </p>
      ) : null}
    </main>
  );
}
