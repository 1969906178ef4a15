import { ErrorAlert } from '../../components/ErrorAlert';
import { Section } from '../../components/Section';
import { useAction } from '../../components/use-action';
import { request, SESSION_ENDED } from '../../graphql/client';
import { MySessionsQuery, RevokeOtherSessionsMutation, RevokeSessionMutation } from '../../graphql/security-account';
import { deviceName, formatDateTime, signInMethodName } from '../../components/format';
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
        <div className="table-scroll">
          <table>
            <caption className="visually-hidden">Your signed-in sessions</caption>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">IP address</th>
                <th scope="col">Signed in with</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last active</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((session) => (
                <tr key={session.id}>
                  <th scope="row" title={session.userAgent ?? undefined}>
                    {deviceName(session.userAgent)}
                    {session.current ? <span className="tag">This device</span> : null}
                  </th>
                  <td>{session.ip ?? 'Unknown'}</td>
                  <td>{signInMethodName(session.method)}</td>
                  <td>
                    <time dateTime={session.createdAt}>{formatDateTime(session.createdAt)}</time>
                  </td>
                  <td>
                    <time dateTime={session.lastUsedAt}>{formatDateTime(session.lastUsedAt)}</time>
                  </td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => signOut(session.id, session.current)}
                      disabled={busy}
                    >
                      Sign out
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : loadError ? null : (
        <p>Loading…</p>
      )}
    </Section>
  );
}
