import type { ReactNode } from 'react';
import { Link } from '../../components/Link';
import { useRoute } from '../../components/router';

const SECTIONS = [
  { href: '/admin', label: 'Users' },
  { href: '/admin/policy', label: 'Policy' },
  { href: '/admin/audit', label: 'Audit log' },
  { href: '/admin/mail', label: 'Mail queue' },
];

/** The admin console's frame: its own navigation (the current part marked aria-current) and the page's title. */
export function AdminLayout({ title, children }: { title: string; children: ReactNode }) {
  const path = useRoute();
  const current = (href: string) =>
    href === '/admin' ? path === '/admin' || path.startsWith('/admin/users/') : path === href;
  return (
    <div className="admin">
      <nav aria-label="Admin" className="admin-nav">
        <ul>
          {SECTIONS.map((section) => (
            <li key={section.href}>
              <Link href={section.href} aria-current={current(section.href) ? 'page' : undefined}>
                {section.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main className="page">
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}
