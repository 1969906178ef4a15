import { ErrorAlert } from '../../components/ErrorAlert';
import { Section } from '../../components/Section';
import { useAction } from '../../components/use-action';
import { request, SESSION_ENDED } from '../../graphql/client';
import { MySessionsQuery, RevokeOtherSessionsMutation, RevokeSessionMutation } from '../../graphql/security-account';
import { SessionsTable } from '../../components/tables/SessionsTable';
import { useLoaded } from './use-loaded';
import './account-sections.css';

/** Where the account is signed in: each live session, signed out one by one or all but this one at once. */
export function SessionsSection() {
  const { data: sessions, loadError, reload } = useLoaded(async () => (await request(MySessionsQuery)).sessions);
  const { busy, error, notice, setNotice, run } = useAction({
    code: 'INTERNAL_SERVER_ERROR',
    message: 'Something went wrong.',
  });

  const signOut = (id: string, current: boolean) =>
    void run(async () => {
      await request(RevokeSessionMutation, { input: { id } });
      // Ending this session is signing out: the console goes back to the sign-in, as when a session ends elsewhere.
      if (current) window.dispatchEvent(new Event(SESSION_ENDED));
      else {
        await reload();
        setNotice('That session was signed out.');
      }
    });

  const signOutOthers = () =>
    void run(async () => {
      const ended = await request(RevokeOtherSessionsMutation);
      await reload();
      const count = ended.revokeOtherSessions;
      setNotice(
        count === 0
          ? 'No other session was signed in.'
          : `Signed out ${count} other ${count === 1 ? 'session' : 'sessions'}.`,
      );
    });

  return (
    <Section
      title="Sessions"
      actions={
        <button type="button" className="secondary" onClick={signOutOthers} disabled={busy || !sessions}>
          Sign out everywhere else
        </button>
      }
    >
      <p className="hint account-lead">Where your account is signed in now. Sign out any you do not recognise.</p>
      <ErrorAlert error={error ?? loadError} />
      <p role="status" className="account-notice">
        {notice}
      </p>
      {sessions ? (
        <SessionsTable
          sessions={sessions}
          caption="Your signed-in sessions"
          actions={(session) => (
            <button
              type="button"
              className="secondary"
              onClick={() => signOut(session.id, session.current)}
              disabled={busy}
            >
              Sign out
            </button>
          )}
        />
      ) : loadError ? null : (
        <p>Loading…</p>
      )}
    </Section>
  );
}
