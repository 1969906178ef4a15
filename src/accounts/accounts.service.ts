import { isDuplicateKey } from '../db/duplicate-key.js';
import type { Types } from 'mongoose';
import { AuditEventType } from '../audit/audit-event.model.js';
import type { AuditService } from '../audit/audit.service.js';
import { clientNetwork } from '../client-network.js';
import { ConfigError } from '../config/config-error.js';
import { AppError, ErrorCode, forbidden, invalidCredentials, tooManyAttempts } from '../errors.js';
import type { SecurityNotices } from '../mfa/security-notices.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { AttemptBudget } from './attempt-budget.js';
import type { CredentialChange } from './credential-change.js';
import { PasswordLimit, type LoginThrottle } from './login-throttle.js';
import type { PasswordHasher } from './password-hasher.js';
import { checkNewPassword, normalizePassword } from './password-rules.js';
import { MfaPolicyStatus, Role, usernameKey, type UserModel, type UserRecord } from './user.model.js';

export interface SignUpInput {
  username: string;
  password: string;
  email?: string;
}

/**
 * How a new password comes: changed by its owner (who proved the current one; the other sessions end, this one
 * stays) or reset (by a mailed token or at an admin's demand: every session ends).
 */
export type PasswordSetting =
  | { via: 'change'; currentSessionId: Types.ObjectId; ip?: string; client?: string }
  | { via: 'reset'; ip?: string; client?: string };

/** The owner's words a new password may not be built from (NIST SP 800-63B rev 4: context-specific words). */
export interface PasswordOwner {
  username: string;
  email?: string;
}

export class AccountsService {
  constructor(
    private readonly deps: {
      models: { users: UserModel };
      hasher: PasswordHasher;
      throttle: LoginThrottle;
      /** Sign-ups per client address (SIGNUP_RATE_PER_ADDRESS an hour). */
      signUps: AttemptBudget;
      sessions: SessionsService;
      credentialChange: CredentialChange;
      audit: AuditService;
      notices: SecurityNotices;
      options: {
        allowSignup: boolean;
        /** PASSWORD_MIN_LENGTH. */
        passwordMinLength: number;
        /** MFA_ISSUER: the service's own name, a context-specific word no password may be built from. */
        serviceName: string;
      };
    },
  ) {}

  /**
   * Throttled per client address, counted before the password is hashed: each sign-up costs an argon2id hash and
   * a stored account. The password rules come first (and again in createUser, for every other way in).
   */
  async signUp(input: SignUpInput, ip: string): Promise<UserRecord> {
    if (!this.deps.options.allowSignup) throw forbidden('Sign-up is closed on this server.');
    // Before the budget: a password the rules refuse costs no hash, and trying another must not use up sign-ups.
    this.assertNewPassword(input.password, input, 'password');
    const address = clientNetwork(ip);
    const retryAfterSeconds = await this.deps.signUps.reserve(address);
    if (retryAfterSeconds !== undefined) {
      await this.deps.audit.recordRepeated({ type: AuditEventType.SIGN_UP_THROTTLED, key: address, ip });
      throw tooManyAttempts(retryAfterSeconds);
    }
    const user = await this.createUser(input, Role.USER, address).catch(async (error: unknown) => {
      // The server had no room to hash it: nothing was created, so the sign-up does not count (as a sign-in's check does not).
      if (error instanceof AppError && error.code === ErrorCode.SERVICE_UNAVAILABLE)
        await this.deps.signUps.refund(address);
      throw error;
    });
    await this.deps.audit.record({ type: AuditEventType.SIGN_UP, userId: user._id, ip });
    return user;
  }

  /**
   * Creates the account unless the name is taken; the unique index decides,
   * also under concurrency. `client` is whose turn the hash takes in the
   * hashing queue (unset: the server's own).
   */
  async createUser(input: SignUpInput, role: Role, client?: string): Promise<UserRecord> {
    this.assertNewPassword(input.password, input, 'password');
    const passwordHash = await this.deps.hasher.hash(normalizePassword(input.password), client);
    try {
      const [user] = await this.deps.models.users.create([
        {
          username: input.username,
          usernameKey: usernameKey(input.username),
          email: input.email,
          passwordHash,
          role,
          mfaPolicyStatus: initialPolicyStatus(role),
        },
      ]);
      return user.toObject();
    } catch (error) {
      if (isDuplicateKey(error)) {
        throw new AppError(ErrorCode.BAD_USER_INPUT, 'That username is taken.', { field: 'username' });
      }
      throw error;
    }
  }

  /**
   * Throws BAD_USER_INPUT on `field` unless `password` may become `owner`'s new password, naming the rule that
   * refused it in `extensions.rule` (see password-rules.ts). The message never repeats the password.
   */
  assertNewPassword(password: string, owner: PasswordOwner, field = 'newPassword'): void {
    const check = checkNewPassword(password, {
      minLength: this.deps.options.passwordMinLength,
      username: owner.username,
      email: owner.email,
      serviceName: this.deps.options.serviceName,
    });
    if (!check.ok) throw new AppError(ErrorCode.BAD_USER_INPUT, check.message, { field, rule: check.rule });
  }

  /**
   * The one place a user's password is replaced (changePassword, resetPassword): checks the new-password
   * rules, hashes the NFKC form, clears a forced reset, bumps credentialsVersion in the same update (so a
   * sign-in that checked the old password keeps nothing it issues), ends what the old password opened
   * (CredentialChange: sessions — a change keeps the session that made it, a reset ends every one — pending
   * mfaTokens, reset tokens, a pending e-mail change), audits and tells the owner.
   *
   * `expectedHash`: the hash the caller verified the current password against. The write is conditional on
   * it, so of two changes that proved the same current password only the first lands; the other is refused
   * as a wrong current password, which it now is. A reset passes none: it replaces whatever is there.
   */
  async setPassword(
    user: UserRecord,
    newPassword: string,
    setting: PasswordSetting,
    expectedHash?: string,
  ): Promise<void> {
    this.assertNewPassword(newPassword, user);
    const passwordHash = await this.deps.hasher.hash(normalizePassword(newPassword), setting.client);
    const updated = await this.deps.models.users
      .findOneAndUpdate(
        { _id: user._id, ...(expectedHash === undefined ? {} : { passwordHash: expectedHash }) },
        {
          $set: { passwordHash },
          // A pending e-mail change goes with the hash (CredentialChange drops its token): none is verified meanwhile.
          $unset: { passwordResetRequired: 1, pendingEmail: 1, pendingEmailSessionId: 1 },
          $inc: { credentialsVersion: 1 },
        },
        { returnDocument: 'after', projection: { credentialsVersion: 1 } },
      )
      .lean<Pick<UserRecord, '_id' | 'credentialsVersion'>>();
    if (!updated) {
      if (expectedHash === undefined) throw new AppError(ErrorCode.NOT_FOUND, 'User not found.');
      throw new AppError(
        ErrorCode.INVALID_CREDENTIALS,
        'The current password was changed meanwhile. Sign in again with the new one.',
        { field: 'currentPassword' },
      );
    }
    await this.deps.audit.record({
      type: AuditEventType.PASSWORD_CHANGED,
      userId: user._id,
      ip: setting.ip,
      details: { via: setting.via },
    });
    await this.deps.notices.passwordChanged(user, setting.via);
    // The session that made the change goes on under the new password; every other one was opened with the old.
    if (setting.via === 'change')
      await this.deps.sessions.carryOver(setting.currentSessionId, updated.credentialsVersion ?? 0);
    await this.deps.credentialChange.credentialsChanged(user._id, {
      reason: setting.via === 'change' ? 'password_changed' : 'password_reset',
      except: setting.via === 'change' ? setting.currentSessionId : undefined,
      ip: setting.ip,
    });
  }

  /**
   * Admins created before their MFA was mandatory get it now (at start): their
   * next sign-in asks for their factor, or enrolls one. Returns how many changed.
   */
  async enforceAdminMfa(): Promise<number> {
    const offFilter = { role: Role.ADMIN, mfaPolicyStatus: { $ne: MfaPolicyStatus.ENABLED } };
    const admins = await this.deps.models.users.find(offFilter, { _id: 1 }).lean<Pick<UserRecord, '_id'>[]>();
    if (admins.length === 0) return 0;
    const ids = admins.map(({ _id }) => _id);
    const { modifiedCount } = await this.deps.models.users.updateMany(
      { ...offFilter, _id: { $in: ids } },
      { $set: { mfaPolicyStatus: MfaPolicyStatus.ENABLED } },
    );
    // As when an admin turns MFA on for someone: their password-only sessions end rather than pause, so none of
    // them stands again should MFA ever be turned off.
    for (const id of ids) await this.deps.sessions.endPasswordOnlySessions(id, {});
    return modifiedCount;
  }

  /**
   * Creates the configured admin at start when no account of that name exists. An ADMIN_PASSWORD the password
   * rules refuse stops the start (ConfigError, naming the rule): an admin account must not be the weakest one.
   * Once the admin exists the variable is not read, so a server that created it before these rules still starts.
   */
  async ensureAdmin(credentials: { username: string; password: string }): Promise<boolean> {
    if (await this.deps.models.users.exists({ usernameKey: usernameKey(credentials.username) })) return false;
    try {
      this.assertNewPassword(credentials.password, credentials, 'password');
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      throw new ConfigError(
        `ADMIN_PASSWORD breaks the password rules (${String(error.extensions.rule)}): ${error.message}`,
      );
    }
    const user = await this.createUser(credentials, Role.ADMIN).catch((error: unknown) => {
      if (error instanceof AppError) return undefined; // another process created it first
      throw error;
    });
    if (user) await this.deps.audit.record({ type: AuditEventType.ADMIN_CREATED, userId: user._id });
    return user !== undefined;
  }

  /**
   * Checks a password. Unknown names and wrong passwords fail alike, in the
   * same time (one argon2 verification either way) and with the same error;
   * attempts are throttled per address, per username and address, and per
   * username (see LoginThrottle), and each refusal is audited once per
   * window with a count. When the server has no room to hash, the attempt is
   * refused with SERVICE_UNAVAILABLE and given back. What happens next
   * (session, second factor, enrollment) is the sign-in service's decision.
   */
  async checkPassword(username: string, password: string, ip: string): Promise<UserRecord> {
    const key = usernameKey(username);
    const reservation = await this.deps.throttle.reserve(key, ip);
    if ('refused' in reservation) {
      const { refused } = reservation;
      const type =
        refused.limit === PasswordLimit.ACCOUNT ? AuditEventType.SIGN_IN_LOCKED_OUT : AuditEventType.SIGN_IN_THROTTLED;
      // A refusal per address counts requests for any names: the first one's name would say nothing about the rest.
      const details =
        refused.limit === PasswordLimit.ADDRESS ? { limit: refused.limit } : { limit: refused.limit, username: key };
      await this.deps.audit.recordRepeated({ type, key: `${refused.limit}|${refused.key}`, ip, details });
      throw tooManyAttempts(refused.retryAfterSeconds);
    }
    let matches: boolean;
    let user: UserRecord | null;
    try {
      user = await this.deps.models.users.findOne({ usernameKey: key }).lean<UserRecord>();
      matches = await this.verifyPassword(user, password, reservation.allowed.network);
    } catch (error) {
      await this.deps.throttle.refund(reservation.allowed);
      throw error;
    }
    // A deactivated account answers as a wrong password does, after the same verification: whoever tries learns
    // nothing (the owner was told by a notice). The right password then clears no failure count either.
    if (!matches || !user || user.deactivatedAt) {
      await this.deps.audit.record({
        type: AuditEventType.SIGN_IN_FAILED,
        userId: user?._id,
        ip,
        details: { username: key, ...(matches && user?.deactivatedAt ? { reason: 'deactivated' } : {}) },
      });
      throw invalidCredentials();
    }
    await this.deps.throttle.succeeded(reservation.allowed);
    // Only after the password was verified, so the answer tells nothing to whoever does not know it.
    if (user.passwordResetRequired) {
      await this.deps.audit.record({
        type: AuditEventType.SIGN_IN_FAILED,
        userId: user._id,
        ip,
        details: { username: key, reason: 'password_reset_required' },
      });
      throw new AppError(
        ErrorCode.PASSWORD_RESET_REQUIRED,
        'An administrator asked you to choose a new password: reset it ("Forgot your password") to sign in.',
      );
    }
    return user;
  }

  /**
   * Whether `password` is `user`'s, comparing the NFKC form, as every password is hashed since the rules were
   * wired in. Passwords stored before were hashed as typed: when the NFKC form differs from what was typed, the
   * typed form is tried too, and a match there is rehashed in the NFKC form, so the next sign-in takes one
   * verification. Whether the second verification runs depends on the typed password only, never on whether
   * the user exists, so an unknown name still costs what a wrong password costs.
   */
  private async verifyPassword(user: UserRecord | null, password: string, client: string): Promise<boolean> {
    const normalized = normalizePassword(password);
    if (await this.deps.hasher.verify(user?.passwordHash, normalized, client)) return true;
    if (normalized === password || !(await this.deps.hasher.verify(user?.passwordHash, password, client))) return false;
    await this.rehash(user!, normalized, client);
    return true;
  }

  /** Replaces a hash of the typed form by one of the NFKC form, unless the password changed meanwhile. */
  private async rehash(user: UserRecord, normalized: string, client: string): Promise<void> {
    let passwordHash: string;
    try {
      passwordHash = await this.deps.hasher.hash(normalized, client);
    } catch (error) {
      // No room to hash now: the sign-in stands, and the next one rehashes.
      if (error instanceof AppError && error.code === ErrorCode.SERVICE_UNAVAILABLE) return;
      throw error;
    }
    const { modifiedCount } = await this.deps.models.users.updateOne(
      { _id: user._id, passwordHash: user.passwordHash },
      { $set: { passwordHash } },
    );
    // The caller goes on with this record (changePassword sets the next hash on the condition of this one).
    if (modifiedCount === 1) user.passwordHash = passwordHash;
  }

  async logout(sessionId: Types.ObjectId, userId: Types.ObjectId, ip?: string): Promise<void> {
    await this.deps.sessions.revoke(sessionId);
    await this.deps.audit.record({ type: AuditEventType.SIGNED_OUT, userId, ip });
  }
}

/**
 * Users start with MFA off until they enroll; admins start with it on, so the
 * first admin sign-in enrolls a factor (privileged accounts use
 * multi-factor authentication, NIST SP 800-53 IA-2(1)).
 */
function initialPolicyStatus(role: Role): MfaPolicyStatus {
  return role === Role.ADMIN ? MfaPolicyStatus.ENABLED : MfaPolicyStatus.DISABLED;
}
