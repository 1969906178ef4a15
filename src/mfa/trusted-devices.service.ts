import { Types } from 'mongoose';
import { Role, type UserRecord } from '../accounts/user.model.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import type { SessionViewer } from '../auth/viewer.js';
import { hashToken, newOpaqueToken, opaqueTokenHash } from '../crypto/opaque-token.js';
import { AppError, ErrorCode } from '../errors.js';
import type { SessionModel } from '../sessions/session.model.js';
import { DAY_MS, type MfaPolicySettings } from './mfa-policy-settings.js';
import type { TrustedDeviceModel, TrustedDeviceRecord } from './trusted-device.model.js';

export const DEVICE_TOKEN_PREFIX = 'mfa_dt_';

/** Most devices `trustedDevices` lists, newest first. */
export const MAX_LISTED_TRUSTED_DEVICES = 100;

/** Why a user's remembered devices were forgotten in bulk, as the audit trail records it. */
export type DevicesForgottenBecause =
  | 'credentials_changed'
  | 'factors_removed'
  | 'others_revoked_by_owner'
  | 'revoked_by_admin'
  | 'became_admin'
  | 'policy_off';

const noSuchDevice = () =>
  new AppError(ErrorCode.NOT_FOUND, 'You have no remembered device with that id.', { field: 'id' });

/**
 * "Remember this device": after a second factor, verifyMfa may hand out a device token (256 random bits, stored as
 * SHA-256, bound to the user) that stands in for the second factor at the owner's later logins, for the policy's
 * trustedDeviceDays. It never stands in for the password (login checks the password first), nor for step-up or
 * disableMfa (a session it opens has passed no second factor), and never for an admin (NIST SP 800-53 IA-2(1):
 * every privileged sign-in proves a factor). A token that does not work (another user's, expired, revoked,
 * malformed) changes nothing: the login asks for the second factor as it would have.
 */
export class TrustedDevicesService {
  constructor(
    private readonly deps: {
      models: { trustedDevices: TrustedDeviceModel; sessions: SessionModel };
      settings: MfaPolicySettings;
      audit: AuditService;
      clock: () => Date;
    },
  ) {}

  /**
   * How many days "Remember this device" remembers now: the policy's trustedDeviceDays (0: none). What login tells
   * a sign-in's second step: the same for every account, so that an answer to a password alone says nothing about
   * the account (an admin's role included; `issue` gives an admin no device all the same).
   */
  async offeredDays(): Promise<number> {
    const { trustedDeviceDays } = await this.deps.settings.read();
    return Math.max(0, trustedDeviceDays);
  }

  /**
   * A new device token for `user` and when it stops working, when the policy remembers devices and the user is no
   * admin; undefined otherwise. `credentialsVersion` is the one the sign-in's password was checked under, so a
   * password change racing the sign-in leaves the token worthless.
   */
  async issue(
    user: UserRecord,
    origin: { credentialsVersion: number; ip?: string; userAgent?: string },
  ): Promise<{ deviceToken: string; expiresAt: Date } | undefined> {
    if (user.role === Role.ADMIN) return undefined;
    const trustedDeviceDays = await this.offeredDays();
    if (trustedDeviceDays <= 0) return undefined;
    const now = this.deps.clock();
    const deviceToken = newOpaqueToken(DEVICE_TOKEN_PREFIX);
    const expiresAt = new Date(now.getTime() + trustedDeviceDays * DAY_MS);
    const [device] = await this.deps.models.trustedDevices.create([
      {
        tokenHash: hashToken(deviceToken),
        userId: user._id,
        createdAt: now,
        expiresAt,
        credentialsVersion: origin.credentialsVersion,
        ip: origin.ip,
        userAgent: origin.userAgent,
      },
    ]);
    await this.deps.audit.record({
      type: AuditEventType.TRUSTED_DEVICE_ISSUED,
      userId: user._id,
      ip: origin.ip,
      details: { deviceId: device._id.toHexString(), days: trustedDeviceDays },
    });
    return { deviceToken, expiresAt };
  }

  /**
   * The live device `deviceToken` names for `user` (whose password was just checked, reading `credentialsVersion`),
   * marked used; undefined when it does not work, for whatever reason. One conditional update: a revocation that
   * landed first is seen, one landing later is caught by `stillTrusted`.
   */
  async use(
    user: UserRecord,
    deviceToken: string,
    context: { credentialsVersion: number; ip?: string },
  ): Promise<TrustedDeviceRecord | undefined> {
    const refused = async (reason: string) => {
      await this.deps.audit.record({
        type: AuditEventType.TRUSTED_DEVICE_REFUSED,
        userId: user._id,
        ip: context.ip,
        details: { reason },
      });
      return undefined;
    };
    if (user.role === Role.ADMIN) return refused('admin');
    const tokenHash = deviceTokenHash(deviceToken);
    if (!tokenHash) return refused('unknown');
    const { trustedDeviceDays } = await this.deps.settings.read();
    if (trustedDeviceDays <= 0) return refused('policy_off');
    const now = this.deps.clock();
    const version = context.credentialsVersion;
    const device = await this.deps.models.trustedDevices
      .findOneAndUpdate(
        {
          tokenHash,
          userId: user._id,
          revokedAt: { $exists: false },
          expiresAt: { $gt: now },
          // The policy as it is now: a lower trustedDeviceDays shortens every device already remembered.
          createdAt: { $gt: new Date(now.getTime() - trustedDeviceDays * DAY_MS) },
          credentialsVersion: version === 0 ? { $in: [0, null] } : version,
        },
        { $set: { lastUsedAt: now } },
        { returnDocument: 'after' },
      )
      .lean<TrustedDeviceRecord>();
    if (!device) return refused('unknown');
    await this.deps.audit.record({
      type: AuditEventType.TRUSTED_DEVICE_USED,
      userId: user._id,
      ip: context.ip,
      details: { deviceId: device._id.toHexString() },
    });
    return device;
  }

  /** Whether a device is still unrevoked: read after a session was issued with it, so a revocation racing the sign-in wins. */
  async stillTrusted(deviceId: Types.ObjectId): Promise<boolean> {
    return (await this.deps.models.trustedDevices.exists({ _id: deviceId, revokedAt: { $exists: false } })) !== null;
  }

  /** The viewer's remembered devices that would still work, newest first. */
  async list(viewer: SessionViewer): Promise<TrustedDeviceRecord[]> {
    const { trustedDeviceDays } = await this.deps.settings.read();
    if (trustedDeviceDays <= 0) return [];
    const now = this.deps.clock();
    const version = viewer.user.credentialsVersion ?? 0;
    return this.deps.models.trustedDevices
      .find({
        userId: viewer.user._id,
        revokedAt: { $exists: false },
        expiresAt: { $gt: now },
        createdAt: { $gt: new Date(now.getTime() - trustedDeviceDays * DAY_MS) },
        credentialsVersion: version === 0 ? { $in: [0, null] } : version,
      })
      .sort({ _id: -1 })
      .limit(MAX_LISTED_TRUSTED_DEVICES)
      .lean<TrustedDeviceRecord[]>();
  }

  /**
   * The owner forgets one of their devices (no step-up: it only takes access away), and the sessions it opened end
   * with it, so a stolen device token's sessions go too. Any id that is not one of the owner's unrevoked devices
   * gets the same NOT_FOUND.
   */
  async revokeOwn(viewer: SessionViewer, id: string, ip?: string): Promise<void> {
    if (!/^[0-9a-f]{24}$/i.test(id)) throw noSuchDevice();
    const deviceId = new Types.ObjectId(id);
    const now = this.deps.clock();
    const { modifiedCount } = await this.deps.models.trustedDevices.updateOne(
      { _id: deviceId, userId: viewer.user._id, revokedAt: { $exists: false } },
      { $set: { revokedAt: now } },
    );
    if (modifiedCount === 0) throw noSuchDevice();
    // After the device is marked: a sign-in with it that issued its session before this sees it ended here, one
    // that issues it after finds the device revoked (stillTrusted) and ends it itself.
    const { modifiedCount: sessionsEnded } = await this.deps.models.sessions.updateMany(
      { userId: viewer.user._id, trustedDeviceId: deviceId, revokedAt: { $exists: false } },
      { $set: { revokedAt: new Date() } },
    );
    await this.deps.audit.record({
      type: AuditEventType.TRUSTED_DEVICE_REVOKED,
      userId: viewer.user._id,
      ip,
      details: { count: 1, reason: 'revoked_by_owner', deviceId: id, sessionsEnded },
    });
  }

  /**
   * Forgets every user's remembered devices: an admin turned the feature off (trustedDeviceDays 0), and turning it on
   * again later must not bring them back. Audited with the admin as actor. Returns how many.
   */
  async revokeEveryone(context: { actorId: Types.ObjectId; ip?: string }): Promise<number> {
    const { modifiedCount: count } = await this.deps.models.trustedDevices.updateMany(
      { revokedAt: { $exists: false } },
      { $set: { revokedAt: this.deps.clock() } },
    );
    const sessionsEnded = await this.endDeviceSessions({});
    await this.deps.audit.record({
      type: AuditEventType.TRUSTED_DEVICE_REVOKED,
      actorId: context.actorId,
      ip: context.ip,
      details: { count, reason: 'policy_off', sessionsEnded },
    });
    return count;
  }

  /** Forgets every remembered device of a user; audited when any was forgotten. Returns how many. */
  async revokeAllOf(
    userId: Types.ObjectId,
    context: {
      reason: DevicesForgottenBecause;
      actorId?: Types.ObjectId;
      ip?: string;
      /**
       * The caller ends the user's sessions itself (revokeOtherSessions, revokeUserSessions, a credential change):
       * it counts them, and may keep the calling one.
       */
      sessionsEndedByCaller?: boolean;
    },
  ): Promise<number> {
    const { modifiedCount: count } = await this.deps.models.trustedDevices.updateMany(
      { userId, revokedAt: { $exists: false } },
      { $set: { revokedAt: this.deps.clock() } },
    );
    // The sessions the devices opened go with them, as with revokeOwn.
    const sessionsEnded = context.sessionsEndedByCaller ? 0 : await this.endDeviceSessions({ userId });
    if (count > 0 || sessionsEnded > 0)
      await this.deps.audit.record({
        type: AuditEventType.TRUSTED_DEVICE_REVOKED,
        userId,
        actorId: context.actorId,
        ip: context.ip,
        details: { count, reason: context.reason, ...(sessionsEnded > 0 ? { sessionsEnded } : {}) },
      });
    return count;
  }

  /** Ends the live sessions (within `filter`) that a remembered device opened. Returns how many. */
  private async endDeviceSessions(filter: Record<string, unknown>): Promise<number> {
    const { modifiedCount } = await this.deps.models.sessions.updateMany(
      { ...filter, trustedDeviceId: { $exists: true }, revokedAt: { $exists: false } },
      { $set: { revokedAt: new Date() } },
    );
    return modifiedCount;
  }
}

/** What the database keeps of a device token; undefined for anything not shaped like one (it then simply does not work). */
function deviceTokenHash(deviceToken: string): string | undefined {
  return opaqueTokenHash(deviceToken, DEVICE_TOKEN_PREFIX);
}
