import { AdminLayout } from './AdminLayout';

export function AdminPolicyPage() {
  return <AdminLayout title="Policy">{null}</AdminLayout>;
}
