import { Counter, type Registry } from 'prom-client';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditObserver } from '../audit/audit.service.js';

/**
 * The audit events counted as sign-in outcomes, each by its audit type (the `event` label): the same names operators
 * read in the audit trail. Repeated refusals (sign_in.throttled, sign_in.locked_out) count every refusal, not only the
 * one event a window writes.
 */
export const SIGN_IN_EVENTS: readonly AuditEventType[] = [
  AuditEventType.SIGN_IN_SUCCEEDED,
  AuditEventType.SIGN_IN_FAILED,
  AuditEventType.SIGN_IN_THROTTLED,
  AuditEventType.SIGN_IN_LOCKED_OUT,
  AuditEventType.SIGN_IN_MFA_REQUIRED,
  AuditEventType.SIGN_IN_ENROLLMENT_REQUIRED,
  AuditEventType.MFA_SUCCEEDED,
  AuditEventType.MFA_FAILED,
  AuditEventType.MFA_LOCKED_OUT,
  AuditEventType.RECOVERY_CODE_USED,
  AuditEventType.TRUSTED_DEVICE_USED,
  AuditEventType.TRUSTED_DEVICE_REFUSED,
  AuditEventType.ENROLLMENT_SKIPPED,
];

/** `mfa_sign_in_events_total{event}`, counted from the audit trail: the AuditService's observer. */
export function signInMetrics(registry: Registry): AuditObserver {
  const events = new Counter({
    name: 'mfa_sign_in_events_total',
    help: 'Sign-in outcomes as the audit trail records them, by audit event type',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  // Every series from the start at 0, so rate() sees the first one happen.
  for (const event of SIGN_IN_EVENTS) events.inc({ event }, 0);
  const counted: ReadonlySet<string> = new Set(SIGN_IN_EVENTS);
  return {
    recorded(type) {
      if (counted.has(type)) events.inc({ event: type });
    },
  };
}
