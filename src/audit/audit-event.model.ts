import { Schema, type Connection, type Model, type Types } from 'mongoose';

/** Every security-relevant event, listed below so none goes unrecorded. Names are past tense, dot-separated. */
export const AuditEventType = {
  SIGN_UP: 'account.signed_up',
  SIGN_IN_SUCCEEDED: 'sign_in.succeeded',
  SIGN_IN_FAILED: 'sign_in.failed',
  SIGN_IN_THROTTLED: 'sign_in.throttled',
  SIGN_IN_LOCKED_OUT: 'sign_in.locked_out',
  SIGN_UP_THROTTLED: 'account.sign_up_throttled',
  SIGNED_OUT: 'session.signed_out',
  /** A user's sessions ended in bulk; `details.reason` says why, `details.count` how many. */
  SESSIONS_REVOKED: 'session.revoked',
  API_KEY_CREATED: 'api_key.created',
  API_KEY_REVOKED: 'api_key.revoked',
  ADMIN_CREATED: 'account.admin_created',
  SIGN_IN_MFA_REQUIRED: 'sign_in.mfa_required',
  SIGN_IN_ENROLLMENT_REQUIRED: 'sign_in.enrollment_required',
  MFA_ENROLLMENT_STARTED: 'mfa.enrollment_started',
  MFA_ENROLLMENT_CODE_FAILED: 'mfa.enrollment_code_failed',
  MFA_FACTOR_ACTIVATED: 'mfa.factor_activated',
  MFA_FACTOR_REMOVED: 'mfa.factor_removed',
  MFA_FACTOR_RENAMED: 'mfa.factor_renamed',
  MFA_SUCCEEDED: 'mfa.verification_succeeded',
  MFA_FAILED: 'mfa.verification_failed',
  MFA_LOCKED_OUT: 'mfa.locked_out',
  RECOVERY_CODE_USED: 'mfa.recovery_code_used',
  RECOVERY_CODES_REGENERATED: 'mfa.recovery_codes_regenerated',
  MFA_POLICY_STATUS_CHANGED: 'mfa.policy_status_changed',
  ALLOWED_FACTOR_TYPES_CHANGED: 'mfa.allowed_factor_types_changed',
  /** setMfaPolicy; `details` holds the settings it set. */
  MFA_POLICY_CHANGED: 'mfa.policy_changed',
  /** verifyMfa with rememberDevice issued a device token; `details.deviceId`, never the token. */
  TRUSTED_DEVICE_ISSUED: 'mfa.trusted_device_issued',
  /** A device token stood in for the second factor at login. */
  TRUSTED_DEVICE_USED: 'mfa.trusted_device_used',
  /** A device token given at login did not work (`details.reason`); the login asked for the second factor. */
  TRUSTED_DEVICE_REFUSED: 'mfa.trusted_device_refused',
  /** Remembered devices forgotten; `details.reason` says why, `details.count` how many. */
  TRUSTED_DEVICE_REVOKED: 'mfa.trusted_device_revoked',
  /** skipEnrollment: a full session within the enrollment grace; `details.deadline`. */
  ENROLLMENT_SKIPPED: 'mfa.enrollment_skipped',
  STEPPED_UP: 'session.stepped_up',
  EMAIL_VERIFICATION_SENT: 'account.email_verification_sent',
  /** `details.via`: `token` (verifyEmail) or `factor` (an e-mail factor's enrollment code). */
  EMAIL_VERIFIED: 'account.email_verified',
  EMAIL_CHANGE_REQUESTED: 'account.email_change_requested',
  EMAIL_CHANGED: 'account.email_changed',
  /** `details.sent`: whether a reset mail was queued (not when the address is unverified or the caps are full). */
  PASSWORD_RESET_REQUESTED: 'account.password_reset_requested',
  /** Requests for names or addresses no account has, counted per client network and hour. */
  PASSWORD_RESET_UNKNOWN: 'account.password_reset_unknown',
  /** An admin's user management; `actorId` is the admin. */
  USER_UNLOCKED: 'account.unlocked',
  USER_DEACTIVATED: 'account.deactivated',
  USER_REACTIVATED: 'account.reactivated',
  /** `userId` stays the deleted account's id; its earlier events are pseudonymised (see UserAdminService.delete). */
  USER_DELETED: 'account.deleted',
  /** `details.from` and `details.to`: the roles. */
  USER_ROLE_CHANGED: 'account.role_changed',
  /** `details.via`: "change" (the owner, with the current password) or "reset". Never the password. */
  PASSWORD_CHANGED: 'account.password_changed',
  /** An admin's requireUserPasswordReset; `actorId` is the admin. */
  PASSWORD_RESET_REQUIRED: 'account.password_reset_required',
} as const;
export type AuditEventType = (typeof AuditEventType)[keyof typeof AuditEventType];

export interface AuditEventRecord {
  _id: Types.ObjectId;
  type: AuditEventType;
  /** The account the event is about (absent for a failed sign-in to an unknown name). */
  userId?: Types.ObjectId;
  /** Who did it, when not the user themself (an admin). */
  actorId?: Types.ObjectId;
  ip?: string;
  /** Non-secret particulars: a key's name, a factor id. Never a password, code or token. */
  details?: Record<string, unknown>;
  /**
   * Set on an event that counts repeated refusals (`details.count`): the type,
   * key and window it counts, unique, so every refusal of that window, from
   * any process, adds to this one event instead of writing its own.
   */
  bucket?: string;
  createdAt: Date;
}

const auditEventSchema = new Schema<AuditEventRecord>(
  {
    type: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId },
    actorId: { type: Schema.Types.ObjectId },
    ip: { type: String },
    details: { type: Schema.Types.Mixed },
    bucket: { type: String },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
);
auditEventSchema.index({ userId: 1, _id: -1 });
// The admin console's filter by event type, newest first; with a user too, the index above serves it.
auditEventSchema.index({ type: 1, _id: -1 });
auditEventSchema.index({ bucket: 1 }, { unique: true, sparse: true });

export type AuditEventModel = Model<AuditEventRecord>;

export const auditEventModel = (connection: Connection): AuditEventModel =>
  connection.model<AuditEventRecord>('AuditEvent', auditEventSchema, 'auditEvents');
