import type { ReactNode } from 'react';
import { DateTime } from '../DateTime';
import { deviceName, signInMethodName } from '../format';

export interface SessionRow {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  ip?: string | null;
  userAgent?: string | null;
  method: string;
  /** Only the user's own list knows which session is the one reading it. */
  current?: boolean;
}

/**
 * Live sessions, one row each: the device (its full User-Agent as the title), address, how the sign-in was proven and
 * when. Shared by the user's own security page and the admin's user page; `actions` adds a column of row buttons.
 */
export function SessionsTable<S extends SessionRow>({
  sessions,
  caption,
  actions,
}: {
  sessions: readonly S[];
  caption: string;
  actions?: (session: S) => ReactNode;
}) {
  return (
    <div className="table-scroll">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">IP address</th>
            <th scope="col">Signed in with</th>
            <th scope="col">Signed in</th>
            <th scope="col">Last active</th>
            {actions ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
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
                <DateTime value={session.createdAt} />
              </td>
              <td>
                <DateTime value={session.lastUsedAt} />
              </td>
              {actions ? <td>{actions(session)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
