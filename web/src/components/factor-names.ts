/**
 * What people call a factor type: the plugin's displayName where the API gave it (factorTypes), else the built-in
 * types' display names, for lists that carry only a type (a user's factors, login's factors).
 */
const NAMES: Record<string, string> = {
  totp: 'Authentication app',
  email: 'One-time e-mail password',
  webauthn: 'Passkey',
};

export function factorTypeName(type: string, displayName?: string): string {
  return displayName ?? NAMES[type] ?? type;
}
