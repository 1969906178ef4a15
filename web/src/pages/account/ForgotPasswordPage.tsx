import { useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { Link } from '../../components/Link';
import { useAction } from '../../components/use-action';
import { RequestPasswordResetMutation } from '../../graphql/account';
import { ApiError, request } from '../../graphql/client';

/** Something shaped like an address (usernames may hold "@" too, but not this shape alone). */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * "Forgot your password?": a reset link is mailed to the account's verified address. The answer is the same whether
 * or not the account exists (as the API's), so the page tells nobody which accounts there are.
 */
export function ForgotPasswordPage() {
  const [name, setName] = useState('');
  const [sent, setSent] = useState(false);
  const { busy, error, setError, run } = useAction({
    code: 'NETWORK',
    message: 'The request was not sent. Try again.',
  });
  const errorId = useId();
  const hintId = useId();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const given = name.trim();
    if (!given) {
      setError(new ApiError('BAD_USER_INPUT', 'Enter your username or your e-mail address.'));
      return;
    }
    void run(async () => {
      await request(RequestPasswordResetMutation, {
        input: EMAIL_SHAPE.test(given) ? { email: given } : { username: given },
      });
      setSent(true);
    });
  };

  return (
    <main className="card">
      <h1>Forgot your password?</h1>
      {sent ? (
        <p role="status">
          If the account exists and has a verified e-mail address, a link to choose a new password is on its way. It
          works once, for a short while.
        </p>
      ) : (
        <form onSubmit={submit} noValidate>
          <ErrorAlert error={error} id={errorId} />
          <p id={hintId} className="hint">
            We mail a link to choose a new password to the account&apos;s verified e-mail address.
          </p>
          <Field
            label="Username or e-mail"
            value={name}
            onChange={setName}
            autoComplete="username"
            required
            aria-describedby={error ? `${errorId} ${hintId}` : hintId}
            errorId={error ? errorId : undefined}
          />
          <button type="submit" disabled={busy}>
            Send reset link
          </button>
        </form>
      )}
      <p>
        <Link href="/">Back to sign in</Link>
      </p>
    </main>
  );
}
