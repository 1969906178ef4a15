/** The names people see for the factor types (the console's wording), with the server's display name as fallback. */
const NAMES: Record<string, string> = {
  totp: 'Authentication app',
  email: 'One-time e-mail password',
  webauthn: 'Passkey',
};

export function factorTypeName(type: string, displayName?: string): string {
  return NAMES[type] ?? displayName ?? type;
}
