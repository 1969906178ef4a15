import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { DateTime } from '../../components/DateTime';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { useAction } from '../../components/use-action';
import { ApiError, request } from '../../graphql/client';
import {
  AdminAuditEventsQuery,
  AuditEventTypesQuery,
  UserByIdQuery,
  UserByUsernameQuery,
} from '../../graphql/admin-settings';
import type { ConsoleAdminAuditEventsQuery } from '../../gql/graphql';
import { AdminLayout } from './AdminLayout';
import './admin-settings.css';

type AuditEvent = ConsoleAdminAuditEventsQuery['auditEvents']['edges'][number]['node'];

const PAGE_SIZE = 20;

/** The filters as typed in the form. */
interface FilterForm {
  type: string;
  username: string;
  from: string;
  to: string;
}

/** The filters as the API takes them, once the username is resolved to an id. */
interface AppliedFilters {
  userId?: string;
  types?: string[];
  since?: string;
  until?: string;
}

const EMPTY_FORM: FilterForm = { type: '', username: '', from: '', to: '' };

/**
 * The audit log: every account's security events, newest first, filtered on the server by event type, user and
 * time, a page at a time. The user filter takes a username (what an admin knows) and asks the API for its id.
 */
export function AdminAuditPage() {
  const [types, setTypes] = useState<readonly string[]>([]);
  const [form, setForm] = useState<FilterForm>(EMPTY_FORM);
  const [applied, setApplied] = useState<AppliedFilters>({});
  /** The cursors of the pages before this one (`undefined`: the first page), so "Previous page" can go back. */
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  /** The number of the page `events` holds (the cursors change first, the events once they are loaded). */
  const [pageNumber, setPageNumber] = useState(1);
  const [names, setNames] = useState<ReadonlyMap<string, string | null>>(new Map());
  const { busy, error, setError, run } = useAction({ code: 'FAILED', message: 'The audit log could not be read.' });
  const errorId = useId();
  const namesRef = useRef(names);
  namesRef.current = names;
  /** The summary above the table: focused after "Previous page"/"Next page", whose button may have just been disabled. */
  const summaryRef = useRef<HTMLParagraphElement>(null);
  const focusSummary = useRef(false);

  useEffect(() => {
    request(AuditEventTypesQuery)
      .then(({ auditEventTypes }) => setTypes(auditEventTypes))
      .catch((caught: unknown) => setError(caught));
  }, []);

  const after = cursors[cursors.length - 1];
  const requestedPage = cursors.length;
  useEffect(() => {
    void run(async () => {
      const { auditEvents } = await request(AdminAuditEventsQuery, { ...applied, first: PAGE_SIZE, after });
      const page = auditEvents.edges.map((edge) => edge.node);
      // The names first, so the page shows whole: never ids that turn into names a moment later.
      setNames(await withUsernames(namesRef.current, page));
      setEvents(page);
      setPageNumber(requestedPage);
      setNext(auditEvents.pageInfo.hasNextPage ? (auditEvents.pageInfo.endCursor ?? null) : null);
    });
  }, [applied, after]);

  useEffect(() => {
    if (!focusSummary.current || busy) return;
    focusSummary.current = false;
    summaryRef.current?.focus();
  }, [busy]);

  const turnPage = (cursorsAfter: (stack: Array<string | undefined>) => Array<string | undefined>) => {
    focusSummary.current = true;
    setCursors(cursorsAfter);
  };

  const errorField = error instanceof ApiError ? error.extensions.field : undefined;
  const describedBy = (...fields: string[]) =>
    typeof errorField === 'string' && fields.includes(errorField) ? errorId : undefined;

  const apply = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      const filters: AppliedFilters = {};
      const username = form.username.trim();
      if (username) {
        const { user } = await request(UserByUsernameQuery, { username });
        if (!user) throw new ApiError('BAD_USER_INPUT', `No user is named “${username}”.`, { field: 'username' });
        filters.userId = user.id;
        setNames((known) => new Map(known).set(user.id, user.username));
      }
      if (form.type) filters.types = [form.type];
      if (form.from) filters.since = isoFromLocal(form.from, 'since', 'From');
      if (form.to) filters.until = isoFromLocal(form.to, 'until', 'To');
      setApplied(filters);
      setCursors([undefined]);
    });
  };

  const clear = () => {
    setForm(EMPTY_FORM);
    setApplied({});
    setCursors([undefined]);
  };

  const who = (id: string | null | undefined) => {
    if (!id) return '—';
    const name = names.get(id);
    return name ?? (name === null ? `deleted account (${id})` : id);
  };

  return (
    <AdminLayout title="Audit log">
      <form onSubmit={apply} className="admin-filters" aria-label="Filters" noValidate>
        <div className="field">
          <label htmlFor={`${errorId}-type`}>Event type</label>
          <select
            id={`${errorId}-type`}
            value={form.type}
            onChange={(event) => setForm({ ...form, type: event.target.value })}
            aria-describedby={describedBy('types')}
          >
            <option value="">All events</option>
            {types.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </div>
        <Field
          label="Username"
          value={form.username}
          onChange={(username) => setForm({ ...form, username })}
          autoComplete="off"
          errorId={describedBy('username', 'userId')}
        />
        <Field
          label="From"
          type="datetime-local"
          value={form.from}
          onChange={(from) => setForm({ ...form, from })}
          errorId={describedBy('since')}
        />
        <Field
          label="To"
          type="datetime-local"
          value={form.to}
          onChange={(to) => setForm({ ...form, to })}
          errorId={describedBy('until')}
        />
        <div className="actions">
          <button type="submit" disabled={busy}>
            Apply filters
          </button>
          <button type="button" className="secondary" onClick={clear} disabled={busy}>
            Clear filters
          </button>
        </div>
      </form>
      <ErrorAlert error={error} id={errorId} />
      {events ? (
        <>
          <p role="status" ref={summaryRef} tabIndex={-1}>
            {events.length === 0
              ? 'No events match these filters.'
              : `Page ${pageNumber}: ${events.length} ${events.length === 1 ? 'event' : 'events'}, newest first.`}
          </p>
          {events.length > 0 ? (
            <div className="table-scroll">
              <table>
                <caption className="visually-hidden">Audit events</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">User</th>
                    <th scope="col">Event</th>
                    <th scope="col">Details</th>
                    <th scope="col">IP address</th>
                  </tr>
                </thead>
                <tbody>
                  {events.map((event) => (
                    <tr key={event.id}>
                      <td>
                        <DateTime value={event.createdAt} precision="second" />
                      </td>
                      <td>{who(event.userId)}</td>
                      <td>
                        <code>{event.type}</code>
                      </td>
                      <td className="audit-details">
                        {event.actorId && event.actorId !== event.userId ? <>by {who(event.actorId)}. </> : null}
                        {describeDetails(event.details)}
                      </td>
                      <td>{event.ip ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          <nav className="pager" aria-label="Audit log pages">
            <button
              type="button"
              className="secondary"
              disabled={busy || cursors.length === 1}
              onClick={() => turnPage((stack) => stack.slice(0, -1))}
            >
              Previous page
            </button>
            <button
              type="button"
              className="secondary"
              disabled={busy || !next}
              onClick={() => next && turnPage((stack) => [...stack, next])}
            >
              Next page
            </button>
          </nav>
        </>
      ) : busy ? (
        <p>Loading…</p>
      ) : null}
    </AdminLayout>
  );
}

/** The value of a datetime-local field (the browser's time zone) as the API's DateTime. */
function isoFromLocal(value: string, field: string, label: string): string {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new ApiError('BAD_USER_INPUT', `${label} is not a date and time.`, { field });
  return time.toISOString();
}

/** An event's particulars as "name: value" pairs; they never hold a secret (the API records none). */
function describeDetails(details: Record<string, unknown> | null | undefined): string {
  if (!details) return '';
  return Object.entries(details)
    .map(([name, value]) => `${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

/**
 * `known` with the usernames of the page's users and actors added (null: the account is gone), asked one id at a
 * time since the API has no batch lookup; a page names few distinct accounts, and each is asked once.
 */
async function withUsernames(
  known: ReadonlyMap<string, string | null>,
  events: AuditEvent[],
): Promise<ReadonlyMap<string, string | null>> {
  const ids = new Set<string>();
  for (const event of events) for (const id of [event.userId, event.actorId]) if (id && !known.has(id)) ids.add(id);
  const found = await Promise.all(
    [...ids].map(async (id) => [id, (await request(UserByIdQuery, { id })).user?.username ?? null] as const),
  );
  return new Map([...known, ...found]);
}
