// How the admin's user pages word the API's values: one place, so the table and the user page say the same.

/** A date-time from the API in the reader's locale and time zone. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—';
  return new Date(value).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function yesNo(value: boolean): string {
  return value ? 'Yes' : 'No';
}

export function policyName(status: string): string {
  return status === 'ENABLED' ? 'Enabled' : 'Disabled';
}

export function roleName(role: string): string {
  return role === 'ADMIN' ? 'Admin' : 'User';
}
