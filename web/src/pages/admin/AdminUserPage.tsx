import { useCallback, useEffect, useState } from 'react';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Link } from '../../components/Link';
import { request } from '../../graphql/client';
import { AdminUserAccessQuery, AdminUserQuery } from '../../graphql/admin-users';
import { AdminLayout } from './AdminLayout';
import { AccountSection } from './user/AccountSection';
import { ApiKeysSection } from './user/ApiKeysSection';
import { MfaSection } from './user/MfaSection';
import { SessionsSection } from './user/SessionsSection';
import type { Access, User } from './user/user-types';
import './admin-users.css';

/** One user (/admin/users/<username>): the account, its MFA, sessions and API keys, and what an admin may change. */
export function AdminUserPage({ username }: { username: string }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [access, setAccess] = useState<Access | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);

  const reload = useCallback(async () => {
    const found = (await request(AdminUserQuery, { username })).user ?? null;
    setUser(found);
    setAccess(found ? await request(AdminUserAccessQuery, { userId: found.id }) : null);
  }, [username]);

  useEffect(() => {
    setUser(undefined);
    setLoadError(null);
    reload().catch((caught: unknown) => setLoadError(caught));
  }, [reload]);

  if (user === null) {
    return (
      <AdminLayout title="User not found">
        <div className="admin-users">
          <p>There is no user named “{username}”.</p>
          <p>
            <Link href="/admin">Back to users</Link>
          </p>
        </div>
      </AdminLayout>
    );
  }

  return (
    <AdminLayout title={username}>
      <div className="admin-users admin-user">
        <p>
          <Link href="/admin">Back to users</Link>
        </p>
        <ErrorAlert error={loadError} />
        {user === undefined ? (
          loadError ? null : (
            <p role="status">Loading…</p>
          )
        ) : (
          <>
            <AccountSection user={user} reload={reload} />
            <MfaSection user={user} reload={reload} />
            <SessionsSection user={user} sessions={access?.sessions ?? []} reload={reload} />
            <ApiKeysSection user={user} apiKeys={access?.apiKeys ?? []} reload={reload} />
          </>
        )}
      </div>
    </AdminLayout>
  );
}
