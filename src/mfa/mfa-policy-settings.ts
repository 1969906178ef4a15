import type { MfaPolicyModel, MfaPolicyRecord } from './mfa-policy.model.js';

export const MFA_POLICY_ID = 'mfa';

/** Longest trustedDeviceDays and enrollmentGraceDays an admin may set. */
export const MAX_POLICY_DAYS = 90;

export const DAY_MS = 24 * 60 * 60_000;

/** The deployment-wide sign-in settings with their defaults applied. */
export interface MfaPolicySettingsValues {
  /** Unset: every registered type. */
  allowedFactorTypes?: string[];
  trustedDeviceDays: number;
  passkeySignIn: boolean;
  enrollmentGraceDays: number;
}

/**
 * Reads the one policy document. Every rule that depends on it reads it at the moment it applies (a sign-in, a
 * device token's use), so an admin's change holds at once: lowering trustedDeviceDays to 0 stops every remembered
 * device. Kept apart from MfaPolicyService so the services that only read it (trusted devices, sign-in) need none
 * of that service's dependencies.
 */
export class MfaPolicySettings {
  constructor(private readonly deps: { models: { policies: MfaPolicyModel } }) {}

  async read(): Promise<MfaPolicySettingsValues> {
    const record = await this.deps.models.policies.findById(MFA_POLICY_ID).lean<MfaPolicyRecord>();
    return {
      allowedFactorTypes: record?.allowedFactorTypes,
      trustedDeviceDays: record?.trustedDeviceDays ?? 0,
      passkeySignIn: record?.passkeySignIn ?? true,
      enrollmentGraceDays: record?.enrollmentGraceDays ?? 0,
    };
  }
}
