import { useEffect, useRef, useState } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Link } from '../../components/Link';
import { useAction } from '../../components/use-action';
import { VerifyEmailMutation } from '../../graphql/account';
import { ApiError, request } from '../../graphql/client';
import { ExpiredLink } from './ExpiredLink';
import { useLinkToken } from './link-token';

/**
 * Where the verification mail's link lands (`/verify-email#token=…`): the token is spent at once (verifyEmail needs
 * no session, the token is the proof) and the outcome shown; `onVerified` lets the app re-read the account.
 */
export function VerifyEmailPage({ onVerified }: { onVerified: () => void }) {
  const { token, opening } = useLinkToken();
  // Each token its own attempt: a link opened again starts afresh.
  return <VerifyEmail key={opening} token={token} onVerified={onVerified} />;
}

function VerifyEmail({ token, onVerified }: { token: string; onVerified: () => void }) {
  const [verified, setVerified] = useState(false);
  const { busy, error, run } = useAction({ code: 'NETWORK', message: 'The address was not verified. Try again.' });
  // A token works once: the effect must not spend it twice (React runs effects twice in development).
  const sent = useRef(false);

  useEffect(() => {
    if (!token || sent.current) return;
    sent.current = true;
    void run(async () => {
      await request(VerifyEmailMutation, { input: { token } });
      setVerified(true);
      onVerified();
    });
    // Once per page load, for the token it was opened with.
  }, [token]);

  let outcome;
  if (!token) {
    outcome = (
      <ExpiredLink>
        This link is incomplete: open the link from the verification mail as it is, or ask for a new mail on the
        Security page.
      </ExpiredLink>
    );
  } else if (verified) {
    outcome = <p role="status">Your e-mail address is verified. Security notices and password resets use it now.</p>;
  } else if (error instanceof ApiError && error.code === 'TOKEN_EXPIRED') {
    outcome = (
      <ExpiredLink>
        This verification link no longer works: it has expired, was already used, or the address change it confirms was
        withdrawn. Sign in and ask for a new mail on the Security page.
      </ExpiredLink>
    );
  } else if (error) {
    outcome = <ErrorAlert error={error} />;
  } else {
    outcome = <p role="status">{busy ? 'Verifying your e-mail address…' : ''}</p>;
  }

  return (
    <main className="card">
      <h1>Verify your e-mail address</h1>
      {outcome}
      <p>
        <Link href="/">Continue to the console</Link>
      </p>
    </main>
  );
}
