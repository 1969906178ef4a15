import { useCallback, useEffect, useRef, useState } from 'react';
import { describeAuditEvent } from '../../components/audit-event-names';
import { useAccountChanged } from '../../components/account-changed';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Section } from '../../components/Section';
import { useAction } from '../../components/use-action';
import type { ConsoleMySecurityEventsQuery } from '../../gql/graphql';
import { request } from '../../graphql/client';
import { MyIdQuery, MySecurityEventsQuery } from '../../graphql/security-factors';
import { DateTime } from '../../components/DateTime';
import './security.css';

type SecurityEvent = ConsoleMySecurityEventsQuery['auditEvents']['edges'][number]['node'];

const PAGE_SIZE = 20;

/** The account's recent security events, newest first: when, what, from where; "Show more" reads the next page. */
export function EventsSection() {
  const [events, setEvents] = useState<SecurityEvent[] | null>(null);
  const [next, setNext] = useState<{ userId: string; after: string } | null>(null);
  const [allShown, setAllShown] = useState('');
  const allShownRef = useRef<HTMLParagraphElement>(null);
  const { busy, error, run } = useAction({ code: 'INTERNAL_SERVER_ERROR', message: 'The events could not be read.' });

  // The first page again (on opening the page, and after a change made here, which adds events).
  const load = useCallback(
    () =>
      void run(async () => {
        const { me } = await request(MyIdQuery);
        if (!me) return;
        const { auditEvents } = await request(MySecurityEventsQuery, { userId: me.id, first: PAGE_SIZE });
        setEvents(auditEvents.edges.map((edge) => edge.node));
        setAllShown('');
        setNext(
          auditEvents.pageInfo.hasNextPage && auditEvents.pageInfo.endCursor
            ? { userId: me.id, after: auditEvents.pageInfo.endCursor }
            : null,
        );
      }),
    // run is a new function each render, but all it uses are state setters, which React keeps the same.
    [],
  );
  useEffect(load, [load]);
  useAccountChanged(load);

  const showMore = () =>
    void run(async () => {
      if (!next) return;
      const { auditEvents } = await request(MySecurityEventsQuery, { ...next, first: PAGE_SIZE });
      const more = auditEvents.edges.map((edge) => edge.node);
      setEvents((shown) => [...(shown ?? []), ...more]);
      if (auditEvents.pageInfo.hasNextPage && auditEvents.pageInfo.endCursor) {
        setNext({ userId: next.userId, after: auditEvents.pageInfo.endCursor });
        return;
      }
      setNext(null);
      // "Show more" goes away with the last page: the focus goes to the line that says so, not to the page's start.
      setAllShown(`All ${(events?.length ?? 0) + more.length} events are shown.`);
      window.requestAnimationFrame(() => allShownRef.current?.focus());
    });

  return (
    <Section title="Recent security events">
      <ErrorAlert error={error} />
      {events === null ? (
        error ? null : (
          <p className="hint">Loading…</p>
        )
      ) : events.length === 0 ? (
        <p>Nothing has happened yet.</p>
      ) : (
        <table className="events">
          <caption className="visually-hidden">Your recent security events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.id}>
                <td>
                  <DateTime value={event.createdAt} />
                </td>
                <td>
                  {describeAuditEvent(event.type, event.details)}
                  {event.actorId ? <span className="hint"> (by an administrator)</span> : null}
                </td>
                <td>{event.ip ?? <span className="hint">Unknown</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p ref={allShownRef} role="status" tabIndex={-1} className={allShown ? 'hint' : 'visually-hidden'}>
        {allShown}
      </p>
      {next ? (
        <div className="actions">
          <button type="button" className="secondary" onClick={showMore} disabled={busy}>
            Show more
          </button>
        </div>
      ) : null}
    </Section>
  );
}
