import { isDuplicateKey } from '../db/duplicate-key.js';
import { randomInt } from 'node:crypto';
import type { Types } from 'mongoose';
import { Role, type UserModel, type UserRecord } from '../accounts/user.model.js';
import { findOneWithOwner } from '../db/with-owner.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import type { SessionViewer, Viewer } from '../auth/viewer.js';
import { AppError, ErrorCode, badInput, notFound, serviceUnavailable } from '../errors.js';
import { LAST_USED_RESOLUTION_MS, hashToken, newOpaqueToken } from '../crypto/opaque-token.js';
import type { AdminAccess } from '../mfa/admin-access.js';
import type { FactorsService } from '../mfa/factors.service.js';
import type { ApiKeyModel, ApiKeyRecord } from './api-key.model.js';
import type { CredentialCache } from '../sessions/credential-cache.js';

/** Recognisable in logs, diffs and secret scanners; what follows is 256 random bits. */
export const API_KEY_PREFIX = 'mfa_ak_';
/** Characters of the key kept for display: the prefix plus 4 of the 43 random ones. */
const HINT_LENGTH = API_KEY_PREFIX.length + 4;
/** Live keys one user may hold; more is a leak waiting to happen. */
export const MAX_API_KEYS_PER_USER = 25;
/**
 * Tries at a free slot before giving up: each lost try means a parallel
 * creation took a slot, so without revocations in between the limit is
 * reached (and refused) within this many.
 */
const MAX_SLOT_TRIES = MAX_API_KEYS_PER_USER + 1;

export interface CreatedApiKey {
  apiKey: ApiKeyRecord;
  /** The whole key, returned this once. */
  secret: string;
}

/** API keys let scripts in without MFA; a key's owner is always its creator, never an input. */
export class ApiKeysService {
  constructor(
    private readonly deps: {
      models: { apiKeys: ApiKeyModel; users: UserModel };
      audit: AuditService;
      factors: FactorsService;
      admins: AdminAccess;
      /** Keys this process has seen, so a warm request reads no database. */
      cache: CredentialCache;
    },
  ) {}

  /** A key for the calling session's user. */
  async create(
    viewer: SessionViewer,
    input: { name: string; expiresAt?: Date | null },
    ip?: string,
    now = new Date(),
  ): Promise<CreatedApiKey> {
    // A key outlives the session and skips MFA, so minting one needs the same fresh proof as adding a factor.
    await this.deps.factors.assertRecentProofIfEnrolled(viewer);
    const userId = viewer.user._id;
    if (input.expiresAt && input.expiresAt <= now) throw badInput('expiresAt', 'expiresAt must be in the future.');
    const secret = newOpaqueToken(API_KEY_PREFIX);
    const fields = {
      userId,
      name: input.name,
      secretHash: hashToken(secret),
      hint: secret.slice(0, HINT_LENGTH),
      createdAt: now,
      expiresAt: input.expiresAt ?? undefined,
    };
    for (let tries = 0; tries < MAX_SLOT_TRIES; tries++) {
      const slot = await this.freeSlot(userId);
      if (slot === undefined)
        throw new AppError(ErrorCode.BAD_USER_INPUT, `At most ${MAX_API_KEYS_PER_USER} API keys; revoke one first.`, {
          field: 'name',
        });
      try {
        const [created] = await this.deps.models.apiKeys.create([{ ...fields, slot }]);
        const apiKey = created.toObject();
        await this.deps.audit.record({
          type: AuditEventType.API_KEY_CREATED,
          userId,
          ip,
          details: { apiKeyId: apiKey._id.toHexString(), name: apiKey.name },
        });
        return { apiKey, secret };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error; // a parallel creation took this slot first
      }
    }
    throw serviceUnavailable('API keys of this account are being created and revoked too fast; try again.');
  }

  /**
   * Revokes a key: the caller's own, or, for an admin with a fresh second
   * factor, any user's but another admin's. Anyone else's key is NOT_FOUND,
   * as if it did not exist.
   */
  async revoke(viewer: Viewer, apiKeyId: Types.ObjectId, ip?: string): Promise<void> {
    const key = await this.deps.models.apiKeys
      .findOne({ _id: apiKeyId, revokedAt: { $exists: false } }, { userId: 1 })
      .lean<Pick<ApiKeyRecord, '_id' | 'userId'>>();
    const own = key?.userId.equals(viewer.user._id) ?? false;
    if (!key || (!own && !(await this.adminRevocation(viewer, key.userId)))) throw notFound('API key');
    const revoked = await this.deps.models.apiKeys
      .findOneAndUpdate(
        { _id: apiKeyId, revokedAt: { $exists: false } },
        { $set: { revokedAt: new Date() }, $unset: { slot: 1 } },
      )
      .lean<ApiKeyRecord>();
    if (!revoked) throw notFound('API key');
    await this.deps.audit.record({
      type: AuditEventType.API_KEY_REVOKED,
      userId: revoked.userId,
      actorId: own ? undefined : viewer.user._id,
      ip,
      details: { apiKeyId: apiKeyId.toHexString(), name: revoked.name },
    });
  }

  /** Live keys (expired ones included, so they can be seen and revoked), newest first: the viewer's, or, for an admin with MFA, `userId`'s. */
  async list(viewer: Viewer, userId?: Types.ObjectId): Promise<ApiKeyRecord[]> {
    const whose = await this.deps.admins.whose(viewer, userId);
    return this.deps.models.apiKeys
      .find({ userId: whose, revokedAt: { $exists: false } })
      .sort({ _id: -1 })
      .lean<ApiKeyRecord[]>();
  }

  /**
   * The live key behind `secret` and its owner: from this process's CredentialCache when it holds them, otherwise
   * read together in one round trip (and cached). Records lastUsedAt at most every LAST_USED_RESOLUTION_MS.
   * Undefined for an unknown, revoked or expired key and for a deactivated owner. The records are the caller's own.
   */
  async authenticate(
    secret: string,
    now = new Date(),
  ): Promise<{ apiKey: ApiKeyRecord; user: UserRecord } | undefined> {
    const secretHash = hashToken(secret);
    const key = `api_key:${secretHash}`;
    const { cache } = this.deps;
    const found = await cache.lookup('api_key', key, {
      read: async () => {
        const read = await findOneWithOwner(this.deps.models.apiKeys, this.deps.models.users, { secretHash });
        return read?.owner ? { apiKey: read.record, user: read.owner } : undefined;
      },
      usable: ({ apiKey, user }) => isLive(apiKey, user, now),
      owner: ({ apiKey }) => ownerOf(apiKey),
    });
    if (!found) return undefined;
    const { ticket, value: credential } = found;
    let { apiKey } = credential;
    if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      apiKey = { ...apiKey, lastUsedAt: now };
      // As for sessions (SessionsService.authenticate): cached at once, and through the driver, invalidating nothing.
      cache.set(key, { apiKey, user: credential.user }, ownerOf(apiKey), ticket, false);
      await this.deps.models.apiKeys.collection.updateOne({ _id: apiKey._id }, { $set: { lastUsedAt: now } });
    }
    return { apiKey: { ...apiKey }, user: { ...credential.user } };
  }

  /**
   * Whether the viewer may revoke a key of `ownerId` as an admin: AdminAccess.targetFor throws for an admin
   * who may not (or NOT_FOUND for a key whose owner is gone).
   */
  private async adminRevocation(viewer: Viewer, ownerId: Types.ObjectId): Promise<boolean> {
    if (viewer.user.role !== Role.ADMIN) return false;
    await this.deps.admins.targetFor(viewer, ownerId, { fresh: true });
    return true;
  }

  /**
   * A slot no live key of the user holds, picked at random so parallel
   * creations rarely collide; undefined at the limit. Keys from before slots
   * hold none, so they shrink the range instead: their number only falls.
   */
  private async freeSlot(userId: Types.ObjectId): Promise<number | undefined> {
    const live = await this.deps.models.apiKeys
      .find({ userId, revokedAt: { $exists: false } }, { slot: 1 })
      .lean<Pick<ApiKeyRecord, 'slot'>[]>();
    const taken = new Set(live.map((key) => key.slot));
    const unslotted = live.filter((key) => key.slot === undefined).length;
    const free: number[] = [];
    for (let slot = 0; slot < MAX_API_KEYS_PER_USER - unslotted; slot++) if (!taken.has(slot)) free.push(slot);
    return free.length === 0 ? undefined : free[randomInt(free.length)];
  }
}

/** A key that works: not revoked, not expired, its owner not deactivated. */
function isLive(apiKey: ApiKeyRecord, user: UserRecord, now: Date): boolean {
  return !apiKey.revokedAt && !(apiKey.expiresAt && apiKey.expiresAt <= now) && !user.deactivatedAt;
}

/** What invalidates a cached key: a change to its owner, or to itself. */
function ownerOf(apiKey: ApiKeyRecord): { userId: string; recordId: string } {
  return { userId: apiKey.userId.toHexString(), recordId: apiKey._id.toHexString() };
}
