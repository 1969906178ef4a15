import { useEffect, useId, useState, type FormEvent } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Link } from '../../components/Link';
import { request } from '../../graphql/client';
import { AdminUsersQuery } from '../../graphql/admin-users';
import type { ConsoleAdminUsersQuery } from '../../gql/graphql';
import { AdminLayout } from './AdminLayout';
import { formatDateTime } from '../../components/format';
import { policyName, roleName, yesNo } from './user-facts';
import './admin-users.css';

type UserConnection = ConsoleAdminUsersQuery['users'];

/** The table's narrowing, as the URL's query string keeps it (so Back from a user returns to the same list). */
interface Filters {
  text: string;
  mfaPolicyStatus: '' | 'ENABLED' | 'DISABLED';
  locked: '' | 'yes' | 'no';
  role: '' | 'USER' | 'ADMIN';
  status: '' | 'ACTIVE' | 'DEACTIVATED';
}

const PAGE_SIZE = 20;
/** The API takes 1 to 64 characters of search text. */
const MAX_TEXT = 64;
/** Typing pauses this long before the search runs; Enter runs it at once. */
const SEARCH_DELAY_MS = 300;

const QUERY_KEYS: Record<keyof Filters, string> = {
  text: 'q',
  mfaPolicyStatus: 'mfa',
  locked: 'locked',
  role: 'role',
  status: 'status',
};

function oneOf<T extends string>(value: string | null, allowed: readonly T[]): T | '' {
  return allowed.find((candidate) => candidate === value) ?? '';
}

function filtersFromUrl(): Filters {
  const params = new URLSearchParams(window.location.search);
  return {
    text: (params.get(QUERY_KEYS.text) ?? '').slice(0, MAX_TEXT),
    mfaPolicyStatus: oneOf(params.get(QUERY_KEYS.mfaPolicyStatus), ['ENABLED', 'DISABLED'] as const),
    locked: oneOf(params.get(QUERY_KEYS.locked), ['yes', 'no'] as const),
    role: oneOf(params.get(QUERY_KEYS.role), ['USER', 'ADMIN'] as const),
    status: oneOf(params.get(QUERY_KEYS.status), ['ACTIVE', 'DEACTIVATED'] as const),
  };
}

function filtersToUrl(filters: Filters): string {
  const params = new URLSearchParams();
  for (const key of Object.keys(QUERY_KEYS) as Array<keyof Filters>) {
    const value = filters[key].trim();
    if (value) params.set(QUERY_KEYS[key], value);
  }
  const query = params.toString();
  return `${window.location.pathname}${query ? `?${query}` : ''}`;
}

/** Every user, searched and filtered, a page at a time (the connection's cursors; Previous goes back a stack). */
export function AdminUsersPage() {
  const [filters, setFilters] = useState<Filters>(filtersFromUrl);
  const [typed, setTyped] = useState(filters.text);
  /** The `after` cursor of each page visited before this one; the last is this page's. */
  const [cursors, setCursors] = useState<string[]>([]);
  const [users, setUsers] = useState<UserConnection | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const after = cursors.at(-1);

  const applyFilters = (change: Partial<Filters>) => {
    setFilters((current) => ({ ...current, ...change }));
    setCursors([]);
  };

  // The search runs once typing pauses.
  useEffect(() => {
    if (typed === filters.text) return;
    const timer = window.setTimeout(() => {
      setFilters((current) => ({ ...current, text: typed }));
      setCursors([]);
    }, SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [typed, filters.text]);

  useEffect(() => {
    window.history.replaceState(null, '', filtersToUrl(filters));
  }, [filters]);

  useEffect(() => {
    let stale = false;
    setLoading(true);
    const text = filters.text.trim();
    request(AdminUsersQuery, {
      first: PAGE_SIZE,
      after,
      text: text || undefined,
      mfaPolicyStatus: filters.mfaPolicyStatus || undefined,
      role: filters.role || undefined,
      status: filters.status || undefined,
      locked: filters.locked ? filters.locked === 'yes' : undefined,
    })
      .then((data) => {
        if (stale) return;
        setUsers(data.users);
        setError(null);
      })
      .catch((caught: unknown) => {
        if (!stale) setError(caught);
      })
      .finally(() => {
        if (!stale) setLoading(false);
      });
    return () => {
      stale = true;
    };
  }, [filters, after]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    applyFilters({ text: typed });
  };

  const rows = users?.edges ?? [];
  const page = cursors.length + 1;
  const endCursor = users?.pageInfo.endCursor;

  return (
    <AdminLayout title="Users">
      <div className="admin-users">
        <form role="search" aria-label="Find users" className="user-filters" onSubmit={submit}>
          <div className="field user-search">
            <SearchField value={typed} onChange={setTyped} />
          </div>
          <FilterSelect
            label="MFA policy"
            value={filters.mfaPolicyStatus}
            onChange={(mfaPolicyStatus) => applyFilters({ mfaPolicyStatus })}
            options={[
              ['', 'Any'],
              ['ENABLED', 'Enabled'],
              ['DISABLED', 'Disabled'],
            ]}
          />
          <FilterSelect
            label="Locked"
            value={filters.locked}
            onChange={(locked) => applyFilters({ locked })}
            options={[
              ['', 'Any'],
              ['yes', 'Yes'],
              ['no', 'No'],
            ]}
          />
          <FilterSelect
            label="Role"
            value={filters.role}
            onChange={(role) => applyFilters({ role })}
            options={[
              ['', 'Any'],
              ['USER', 'User'],
              ['ADMIN', 'Admin'],
            ]}
          />
          <FilterSelect
            label="Status"
            value={filters.status}
            onChange={(status) => applyFilters({ status })}
            options={[
              ['', 'Any'],
              ['ACTIVE', 'Active'],
              ['DEACTIVATED', 'Deactivated'],
            ]}
          />
        </form>

        <ErrorAlert error={error} />
        <p role="status" className="hint">
          {loading
            ? 'Loading users…'
            : rows.length === 0
              ? 'No users match.'
              : `Page ${page}: ${rows.length} ${rows.length === 1 ? 'user' : 'users'}.`}
        </p>

        <div className="table-scroll">
          <table className="users-table" aria-busy={loading}>
            <caption className="visually-hidden">Users, page {page}</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">E-mail</th>
                <th scope="col">Role</th>
                <th scope="col">MFA policy</th>
                <th scope="col">MFA on</th>
                <th scope="col">Locked</th>
                <th scope="col">Active</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ node: user }) => (
                <tr key={user.id}>
                  <th scope="row">
                    <Link href={`/admin/users/${encodeURIComponent(user.username)}`}>{user.username}</Link>
                  </th>
                  <td>
                    {user.email ? (
                      <>
                        {user.email} <span className="hint">({user.emailVerified ? 'verified' : 'unverified'})</span>
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{roleName(user.role)}</td>
                  <td>{policyName(user.mfaPolicyStatus)}</td>
                  <td>{yesNo(user.mfaEnabled)}</td>
                  <td>{user.lockedUntil ? `Until ${formatDateTime(user.lockedUntil)}` : 'No'}</td>
                  <td>{yesNo(user.active)}</td>
                  <td>{formatDateTime(user.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>

        <nav aria-label="Pages" className="actions pager">
          <button
            type="button"
            className="secondary"
            disabled={loading || cursors.length === 0}
            onClick={() => setCursors((stack) => stack.slice(0, -1))}
          >
            Previous page
          </button>
          <button
            type="button"
            className="secondary"
            disabled={loading || !users?.pageInfo.hasNextPage || !endCursor}
            onClick={() => {
              if (endCursor) setCursors((stack) => [...stack, endCursor]);
            }}
          >
            Next page
          </button>
        </nav>
      </div>
    </AdminLayout>
  );
}

function SearchField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const id = useId();
  return (
    <>
      <label htmlFor={id}>Search users</label>
      <input
        id={id}
        type="search"
        value={value}
        maxLength={MAX_TEXT}
        autoComplete="off"
        spellCheck={false}
        placeholder="Username or e-mail"
        onChange={(event) => onChange(event.target.value)}
      />
    </>
  );
}

function FilterSelect<T extends string>({
  label,
  value,
  onChange,
  options,
}: {
  label: string;
  value: T;
  onChange: (value: T) => void;
  options: Array<[T, string]>;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value as T)}>
        {options.map(([optionValue, optionLabel]) => (
          <option key={optionValue} value={optionValue}>
            {optionLabel}
          </option>
        ))}
      </select>
    </div>
  );
}
