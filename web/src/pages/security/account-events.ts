/**
 * Sections of the security page that show what another section's action changed: a new password ends the other
 * sessions and forgets every remembered device, so those lists load again when it is announced here.
 */
export const CREDENTIALS_CHANGED = 'mfa-console:credentials-changed';

export function announceCredentialsChanged(): void {
  window.dispatchEvent(new Event(CREDENTIALS_CHANGED));
}
