import type { Types } from 'mongoose';
import type { UserModel, UserRecord } from '../accounts/user.model.js';
import { findOneWithOwner } from '../accounts/with-owner.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import { AppError, ErrorCode, badInput, notFound } from '../errors.js';
import { LAST_USED_RESOLUTION_MS, hashToken, newOpaqueToken } from '../sessions/opaque-token.js';
import type { Viewer } from '../graphql/context.js';
import type { FactorsService } from '../mfa/factors.service.js';
import type { ApiKeyModel, ApiKeyRecord } from './api-key.model.js';

/** Recognisable in logs, diffs and secret scanners; what follows is 256 random bits. */
export const API_KEY_PREFIX = 'mfa_ak_';
/** Characters of the key kept for display: the prefix plus 4 of the 43 random ones. */
const HINT_LENGTH = API_KEY_PREFIX.length + 4;
/** Live keys one user may hold; more is a leak waiting to happen. */
export const MAX_API_KEYS_PER_USER = 25;

export interface CreatedApiKey {
  apiKey: ApiKeyRecord;
  /** The whole key, returned this once. */
  secret: string;
}

/** API keys let scripts in without MFA; the key's owner is always the caller, never an input. */
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeyModel,
    private readonly users: UserModel,
    private readonly audit: AuditService,
    private readonly factors: FactorsService,
  ) {}

  /** A key for the calling session's user. */
  async create(viewer: Extract<Viewer, { kind: 'session' }>, input: { name: string; expiresAt?: Date | null }, ip?: string, now = new Date()): Promise<CreatedApiKey> {
    // A key outlives the session and skips MFA, so minting one needs the same fresh proof as adding a factor.
    await this.factors.assertRecentProofIfEnrolled(viewer);
    const userId = viewer.user._id;
    if (input.expiresAt && input.expiresAt <= now) throw badInput('expiresAt', 'expiresAt must be in the future.');
    const live = await this.keys.countDocuments({ userId, revokedAt: { $exists: false } });
    if (live >= MAX_API_KEYS_PER_USER) {
      throw new AppError(ErrorCode.BAD_USER_INPUT, `At most ${MAX_API_KEYS_PER_USER} API keys; revoke one first.`, { field: 'name' });
    }
    const secret = newOpaqueToken(API_KEY_PREFIX);
    const [created] = await this.keys.create([
      { userId, name: input.name, secretHash: hashToken(secret), hint: secret.slice(0, HINT_LENGTH), createdAt: now, expiresAt: input.expiresAt ?? undefined },
    ]);
    const apiKey = created.toObject();
    await this.audit.record({ type: AuditEventType.API_KEY_CREATED, userId, ip, details: { apiKeyId: apiKey._id.toHexString(), name: apiKey.name } });
    return { apiKey, secret };
  }

  /** Revokes one of the caller's own keys; someone else's key is NOT_FOUND, as if it did not exist. */
  async revoke(userId: Types.ObjectId, apiKeyId: Types.ObjectId, ip?: string): Promise<void> {
    const revoked = await this.keys
      .findOneAndUpdate({ _id: apiKeyId, userId, revokedAt: { $exists: false } }, { $set: { revokedAt: new Date() } })
      .lean<ApiKeyRecord>();
    if (!revoked) throw notFound('API key');
    await this.audit.record({ type: AuditEventType.API_KEY_REVOKED, userId, ip, details: { apiKeyId: apiKeyId.toHexString(), name: revoked.name } });
  }

  /** The caller's live keys (expired ones included, so they can be seen and revoked), newest first. */
  list(userId: Types.ObjectId): Promise<ApiKeyRecord[]> {
    return this.keys.find({ userId, revokedAt: { $exists: false } }).sort({ _id: -1 }).lean<ApiKeyRecord[]>();
  }

  /** The live key behind a presented secret; undefined when unknown, expired or revoked. */
  async authenticate(secret: string, now = new Date()): Promise<{ apiKey: ApiKeyRecord; user: UserRecord } | undefined> {
    const found = await findOneWithOwner(this.keys, this.users, { secretHash: hashToken(secret) });
    if (!found?.owner) return undefined;
    const { record: apiKey, owner: user } = found;
    if (apiKey.revokedAt || (apiKey.expiresAt && apiKey.expiresAt <= now)) return undefined;
    if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.keys.updateOne({ _id: apiKey._id }, { $set: { lastUsedAt: now } });
      apiKey.lastUsedAt = now;
    }
    return { apiKey, user };
  }
}
