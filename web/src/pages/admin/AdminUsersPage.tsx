import { AdminLayout } from './AdminLayout';

export function AdminUsersPage() {
  return <AdminLayout title="Users">{null}</AdminLayout>;
}
