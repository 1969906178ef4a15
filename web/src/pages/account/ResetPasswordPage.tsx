import { useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { Link } from '../../components/Link';
import { useAction } from '../../components/use-action';
import { ResetPasswordMutation } from '../../graphql/account';
import { ApiError, request } from '../../graphql/client';
import { ExpiredLink } from './ExpiredLink';
import { useLinkToken } from './link-token';

/**
 * Where the reset mail's link lands (`/reset-password#token=…`): a new password, typed twice, checked by the API's
 * password rules, whose refusal says what is wrong with it. Every session ends with the reset, so the way on is a
 * fresh sign-in (a full page load, so no page still thinks it is signed in).
 */
export function ResetPasswordPage() {
  const { token, opening } = useLinkToken();
  // Each token its own form: a link opened again starts afresh.
  return <ResetPassword key={opening} token={token} />;
}

function ResetPassword({ token }: { token: string }) {
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [done, setDone] = useState(false);
  const { busy, error, setError, run } = useAction({ code: 'NETWORK', message: 'The password was not changed.' });
  const errorId = useId();
  const hintId = useId();
  const expired = error instanceof ApiError && error.code === 'TOKEN_EXPIRED';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirmation) {
      setError(new ApiError('BAD_USER_INPUT', 'The two passwords are not the same. Type the new password twice.'));
      return;
    }
    void run(async () => {
      await request(ResetPasswordMutation, { input: { token, newPassword: password } });
      setPassword('');
      setConfirmation('');
      setDone(true);
    });
  };

  if (!token) {
    return (
      <main className="card">
        <h1>Choose a new password</h1>
        <ExpiredLink>
          This link is incomplete: open the link from the reset mail as it is, or ask for a new one.
        </ExpiredLink>
        <p>
          <Link href="/forgot-password">Ask for a new reset link</Link>
        </p>
      </main>
    );
  }

  if (done) {
    return (
      <main className="card">
        <h1>Choose a new password</h1>
        <p role="status">
          Your password is changed, and every session of your account has ended. Your second sign-in step stays as it
          was.
        </p>
        <p>
          <a href="/">Sign in with the new password</a>
        </p>
      </main>
    );
  }

  return (
    <main className="card">
      <h1>Choose a new password</h1>
      <form onSubmit={submit} noValidate>
        {expired ? (
          <ExpiredLink>
            This reset link has expired or was already used. <Link href="/forgot-password">Ask for a new one</Link>.
          </ExpiredLink>
        ) : (
          <ErrorAlert error={error} id={errorId} />
        )}
        <p id={hintId} className="hint">
          A long passphrase of a few unusual words is best. Common passwords, and your username or address, are refused.
        </p>
        <Field
          label="New password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
          required
          aria-describedby={error && !expired ? `${errorId} ${hintId}` : hintId}
          errorId={error && !expired ? errorId : undefined}
        />
        <Field
          label="Confirm new password"
          type="password"
          value={confirmation}
          onChange={setConfirmation}
          autoComplete="new-password"
          required
          errorId={error && !expired ? errorId : undefined}
        />
        <button type="submit" disabled={busy || expired}>
          Set new password
        </button>
      </form>
    </main>
  );
}
