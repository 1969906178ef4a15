import { AdminLayout } from './AdminLayout';

/** One user, by the username in the path (/admin/users/<username>). */
export function AdminUserPage({ username }: { username: string }) {
  return <AdminLayout title={username}>{null}</AdminLayout>;
}
