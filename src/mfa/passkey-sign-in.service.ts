import type { UserModel, UserRecord } from '../accounts/user.model.js';
import type { AttemptBudget } from '../accounts/attempt-budget.js';
import { AuditEventType } from '../audit/audit-event.model.js';
import { clientNetwork } from '../client-network.js';
import type { AuditService } from '../audit/audit.service.js';
import { newOpaqueToken, opaqueTokenHash } from '../crypto/opaque-token.js';
import { AppError, ErrorCode, badInput, tokenExpired, tooManyAttempts } from '../errors.js';
import { SessionScope } from '../sessions/session.model.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { FactorPlugin } from './factor-plugin.js';
import type { FactorRuntime } from './factor-runtime.js';
import type { MfaPolicyService } from './mfa-policy.service.js';
import type { SecondFactorService } from './second-factor.service.js';
import type { SignedIn } from './sign-in.service.js';

export const PASSKEY_CHALLENGE_PREFIX = 'mfa_pk_';

/** Every refusal of a response says the same, so nobody learns whether a credential, or its account, exists. */
const NOT_ACCEPTED = 'That passkey was not accepted. Try again, or sign in with your password.';

/**
 * Sign-in with a passkey alone (discoverable credentials with user verification): the browser offers the
 * user's passkeys for this site, the response names one, and it is checked under the same rule as every second
 * factor (SecondFactorService): one attempt against its owner's lockout, each challenge spent once. The session
 * counts as second-factor verified: a passkey with user verification is something one has and something one is
 * or knows (NIST SP 800-63B §5.1.8, multi-factor cryptographic authenticator).
 */
export class PasskeySignInService {
  constructor(
    private readonly deps: {
      models: { users: UserModel };
      runtime: FactorRuntime;
      secondFactor: SecondFactorService;
      mfaPolicy: MfaPolicyService;
      sessions: SessionsService;
      audit: AuditService;
      /** Passwordless challenges per client address: each one is a record in the database, asked for by anyone. */
      begins: AttemptBudget;
      clock: () => Date;
    },
  ) {}

  /** beginPasskeySignIn: a challenge id for passkeySignIn and the options for navigator.credentials.get. */
  async begin(ip: string): Promise<{ challengeId: string; options: Record<string, unknown> }> {
    const plugin = await this.plugin();
    // Per network (an IPv4 address, an IPv6 /64), as the password throttle counts: one host holds a whole /64.
    const retryAfterSeconds = await this.deps.begins.reserve(clientNetwork(ip));
    if (retryAfterSeconds !== undefined) throw tooManyAttempts(retryAfterSeconds);
    const challengeId = newOpaqueToken(PASSKEY_CHALLENGE_PREFIX);
    const options = await this.deps.runtime.beginDiscoverable(plugin, { passwordlessKey: challengeKey(challengeId) });
    return { challengeId, options };
  }

  /** passkeySignIn: the response to `begin`'s options; a full, second-factor-verified session. */
  async signIn(challengeId: string, response: unknown, ip: string, userAgent?: string): Promise<SignedIn> {
    const plugin = await this.plugin();
    const binding = { passwordlessKey: challengeKey(challengeId) };
    // Before the response names a factor: input too large for any passkey is refused as such, whoever it names.
    this.deps.runtime.assertFits([plugin.type], { kind: 'json', value: response });
    const ceremony = await this.deps.runtime.discoverableCeremony(binding);
    if (!ceremony) throw tokenExpired('passkey sign-in challenge');
    const factor = await this.deps.runtime.factorNamedBy(plugin, response);
    if (!factor) {
      await this.deps.audit.record({ type: AuditEventType.SIGN_IN_FAILED, ip, details: { method: plugin.type } });
      throw new AppError(ErrorCode.INVALID_CODE, NOT_ACCEPTED);
    }
    // Deactivation (and a reset demanded by an administrator) stop a passkey as they stop a password: checked before
    // the proof, so such an account's passkey neither succeeds nor clears a failure count, and again with the user
    // the proof read, for a change that lands meanwhile.
    const owner = await this.deps.models.users.findById(factor.userId).lean<UserRecord>();
    if (!owner) throw new AppError(ErrorCode.INVALID_CODE, NOT_ACCEPTED);
    await this.refuseIfShut(owner, plugin, ip);
    const { user } = await this.deps.secondFactor
      .provePasswordless(factor, response, { ip, binding, ceremony })
      .catch((error: unknown) => {
        // The same answer as for a credential nobody registered: no attemptsRemaining, no message of its own, so
        // that a response naming a registered credential tells nothing more. (A lockout still says so: its owner
        // must learn when to try again, and it takes a credential id to cause one.)
        if (error instanceof AppError && error.code === ErrorCode.INVALID_CODE)
          throw new AppError(ErrorCode.INVALID_CODE, NOT_ACCEPTED);
        throw error;
      });
    await this.refuseIfShut(user, plugin, ip);
    const now = this.deps.clock();
    const { accessToken, session } = await this.deps.sessions.issue(user._id, SessionScope.FULL, {
      ip,
      userAgent,
      method: `${plugin.type}:passwordless`,
      mfaVerifiedAt: now,
      credentialsVersion: user.credentialsVersion ?? 0,
    });
    await this.deps.audit.record({
      type: AuditEventType.SIGN_IN_SUCCEEDED,
      userId: user._id,
      ip,
      details: { method: `${plugin.type}:passwordless`, factorId: factor._id.toHexString() },
    });
    return { kind: 'signedIn', user, accessToken, absoluteExpiresAt: session.absoluteExpiresAt };
  }

  /** Refuses, as any other refused passkey, a user who may not sign in now; audited with the reason. */
  private async refuseIfShut(user: UserRecord, plugin: FactorPlugin, ip: string): Promise<void> {
    const reason = this.refusal(user);
    if (!reason) return;
    await this.deps.audit.record({
      type: AuditEventType.SIGN_IN_FAILED,
      userId: user._id,
      ip,
      details: { method: plugin.type, reason },
    });
    throw new AppError(ErrorCode.INVALID_CODE, NOT_ACCEPTED);
  }

  /** Why this user may not sign in now, or undefined. */
  private refusal(user: UserRecord): string | undefined {
    if (user.deactivatedAt) return 'deactivated';
    if (user.passwordResetRequired) return 'password_reset_required';
    return undefined;
  }

  /** Whether begin and signIn are open now (a sign-in page offers the button only then); the same check they make. */
  async offered(): Promise<boolean> {
    try {
      await this.plugin();
      return true;
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.FACTOR_TYPE_NOT_ALLOWED) return false;
      throw error;
    }
  }

  /** The plugin passwordless sign-in uses, when one is loaded and the policy allows both it and passkey sign-in. */
  private async plugin(): Promise<FactorPlugin> {
    // One read of the policy for both of its settings.
    const { passkeySignIn, allowedFactorTypes } = await this.deps.mfaPolicy.policy();
    if (!passkeySignIn)
      throw new AppError(ErrorCode.FACTOR_TYPE_NOT_ALLOWED, 'Sign-in with a passkey alone is turned off here.');
    const plugin = this.deps.runtime
      .discoverablePlugins()
      .find((candidate) => allowedFactorTypes.includes(candidate.type));
    if (!plugin) throw new AppError(ErrorCode.FACTOR_TYPE_NOT_ALLOWED, 'Sign-in with a passkey is not offered here.');
    return plugin;
  }
}

/** What the database keeps of a challenge id; anything not shaped like one is refused before any lookup. */
function challengeKey(challengeId: string): string {
  const hash = opaqueTokenHash(challengeId, PASSKEY_CHALLENGE_PREFIX);
  if (!hash) throw badInput('challengeId', 'That is not a passkey sign-in challenge id.');
  return hash;
}
