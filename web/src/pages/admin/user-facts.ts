// How the admin's user pages word the API's values: one place, so the table and the user page say the same.

export function yesNo(value: boolean): string {
  return value ? 'Yes' : 'No';
}

export function policyName(status: string): string {
  return status === 'ENABLED' ? 'Enabled' : 'Disabled';
}

export function roleName(role: string): string {
  return role === 'ADMIN' ? 'Admin' : 'User';
}
