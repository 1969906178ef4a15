import { AdminLayout } from './AdminLayout';

export function AdminAuditPage() {
  return <AdminLayout title="Audit log">{null}</AdminLayout>;
}
