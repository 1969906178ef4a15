import { AdminLayout } from './AdminLayout';

export function AdminMailPage() {
  return <AdminLayout title="Mail queue">{null}</AdminLayout>;
}
