import { factorTypeName } from './factor-names';

/** What people read for each audit event type the service records (src/audit/audit-event.model.ts). */
const EVENT_NAMES: Record<string, string> = {
  'account.signed_up': 'Account created',
  'account.admin_created': 'Administrator account created',
  'account.sign_up_throttled': 'Sign-ups refused: too many',
  'sign_in.succeeded': 'Signed in',
  'sign_in.failed': 'Sign-in failed',
  'sign_in.throttled': 'Sign-ins refused: too many attempts',
  'sign_in.locked_out': 'Sign-in locked after failed attempts',
  'sign_in.mfa_required': 'Password accepted, second factor asked',
  'sign_in.enrollment_required': 'Password accepted, enrollment required',
  'session.signed_out': 'Signed out',
  'session.revoked': 'Sessions ended',
  'session.stepped_up': 'Identity confirmed with a second factor',
  'api_key.created': 'API key created',
  'api_key.revoked': 'API key revoked',
  'mfa.enrollment_started': 'Second factor enrollment started',
  'mfa.enrollment_code_failed': 'Wrong code during enrollment',
  'mfa.factor_activated': 'Second factor added',
  'mfa.factor_removed': 'Second factor removed',
  'mfa.factor_renamed': 'Second factor renamed',
  'mfa.verification_succeeded': 'Second factor accepted',
  'mfa.verification_failed': 'Second factor refused',
  'mfa.locked_out': 'Second factor locked after failed attempts',
  'mfa.recovery_code_used': 'Recovery code used',
  'mfa.recovery_codes_regenerated': 'Recovery codes regenerated',
  'mfa.policy_status_changed': 'Multifactor policy changed',
  'mfa.allowed_factor_types_changed': 'Allowed methods changed',
  'mfa.policy_changed': 'Sign-in settings changed',
  'mfa.trusted_device_issued': 'Device remembered',
  'mfa.trusted_device_used': 'Remembered device skipped the second factor',
  'mfa.trusted_device_refused': 'Remembered device not accepted',
  'mfa.trusted_device_revoked': 'Remembered devices forgotten',
  'mfa.enrollment_skipped': 'Enrollment postponed',
  'account.email_verification_sent': 'E-mail verification sent',
  'account.email_verified': 'E-mail address verified',
  'account.email_change_requested': 'E-mail change requested',
  'account.email_changed': 'E-mail address changed',
  'account.password_reset_requested': 'Password reset requested',
  'account.password_reset_unknown': 'Password resets asked for unknown accounts',
  'account.unlocked': 'Account unlocked',
  'account.deactivated': 'Account deactivated',
  'account.reactivated': 'Account reactivated',
  'account.deleted': 'Account deleted',
  'account.role_changed': 'Role changed',
  'account.password_changed': 'Password changed',
  'account.password_reset_required': 'Password reset required',
};

/** How a sign-in or proof was made (`details.method`), as people name it. */
function methodName(method: string): string {
  if (method === 'password') return 'password';
  if (method === 'recovery_code') return 'a recovery code';
  if (method === 'trusted_device') return 'a remembered device';
  const [type, mode] = method.split(':');
  return mode === 'passwordless' ? `${factorTypeName(type ?? method)} alone` : factorTypeName(method);
}

/**
 * A readable line for an audit event: its type's name, and the particulars that say more (the method, the factor
 * type, a key's name, how many). Unknown types (a newer server) show as they are.
 */
export function describeAuditEvent(type: string, details?: Record<string, unknown> | null): string {
  const name = EVENT_NAMES[type] ?? type;
  const text = (key: string): string | undefined => {
    const value = details?.[key];
    return typeof value === 'string' ? value : undefined;
  };
  const count = typeof details?.count === 'number' ? details.count : undefined;
  const factorType = text('factorType');
  const method = text('method');
  if (factorType) return `${name}: ${factorTypeName(factorType)}`;
  if (method) return `${name} with ${methodName(method)}`;
  if (type.startsWith('api_key.') && text('name')) return `${name}: ${text('name')}`;
  if (count !== undefined && count > 1) return `${name} (${count})`;
  return name;
}
