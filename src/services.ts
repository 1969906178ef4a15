import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';
import { AccountMail } from './accounts/account-mail.js';
import { accountTokenModel } from './accounts/account-token.model.js';
import { AccountTokens } from './accounts/account-tokens.js';
import { AccountsService } from './accounts/accounts.service.js';
import { CredentialChange } from './accounts/credential-change.js';
import { EmailVerificationService } from './accounts/email-verification.service.js';
import { PasswordResetService } from './accounts/password-reset.service.js';
import { AttemptBudget } from './accounts/attempt-budget.js';
import { LastAdminGuard } from './accounts/last-admin-guard.js';
import { LoginThrottle } from './accounts/login-throttle.js';
import { PasswordHasher } from './accounts/password-hasher.js';
import { PasswordsService } from './accounts/passwords.service.js';
import { userModel } from './accounts/user.model.js';
import { UserAdminService } from './accounts/user-admin.service.js';
import { apiKeyModel } from './api-keys/api-key.model.js';
import { ApiKeysService } from './api-keys/api-keys.service.js';
import { auditEventModel } from './audit/audit-event.model.js';
import { AuditService, type AuditObserver } from './audit/audit.service.js';
import { AuditTrail } from './audit/audit-trail.js';
import type { Config } from './config/config.js';
import type { Logger } from './logger.js';
import { AdminAccess } from './mfa/admin-access.js';
import { DisableMfaService } from './mfa/disable-mfa.service.js';
import { EnrollmentService } from './mfa/enrollment.service.js';
import { FactorsService } from './mfa/factors.service.js';
import { RecoveryCodesService } from './mfa/recovery-codes.service.js';
import type { FactorPlugin } from './mfa/factor-plugin.js';
import { FactorRegistry } from './mfa/factor-registry.js';
import { FactorRuntime } from './mfa/factor-runtime.js';
import { PasskeySignInService } from './mfa/passkey-sign-in.service.js';
import { ceremonyModel } from './mfa/ceremony.model.js';
import { factorModel } from './mfa/factor.model.js';
import { mfaPolicyModel } from './mfa/mfa-policy.model.js';
import { MfaPolicySettings } from './mfa/mfa-policy-settings.js';
import { EnrollmentGrace } from './mfa/enrollment-grace.js';
import { trustedDeviceModel } from './mfa/trusted-device.model.js';
import { TrustedDevicesService } from './mfa/trusted-devices.service.js';
import { MfaPolicyService } from './mfa/mfa-policy.service.js';
import { SecondFactorAttempts } from './mfa/second-factor-attempts.js';
import { SecondFactorService } from './mfa/second-factor.service.js';
import type { SecretBox } from './crypto/secret-box.js';
import { SecurityNotices } from './mfa/security-notices.js';
import { ChallengeService } from './mfa/challenge.service.js';
import { DeliveryCaps } from './mfa/delivery-caps.js';
import type { MailSender } from './mail/mail-sender.js';
import type { MailQueue } from './mail/mail-queue.js';
import { MailDelivery, MailQueueMonitor } from './mail/mail-queue-status.js';
import { signInChallengeModel } from './mfa/sign-in-challenge.model.js';
import { SignInService } from './mfa/sign-in.service.js';
import { sessionModel } from './sessions/session.model.js';
import { SessionsService } from './sessions/sessions.service.js';
import { CacheInvalidation } from './sessions/cache-invalidation.js';
import { CredentialCache } from './sessions/credential-cache.js';
import type { AuthCacheMetrics } from './metrics/auth-cache-metrics.js';

/** Every service, wired once per app; resolvers reach them through the GraphQL context. */
export interface Services {
  config: Config;
  accounts: AccountsService;
  sessions: SessionsService;
  trustedDevices: TrustedDevicesService;
  audit: AuditService;
  auditTrail: AuditTrail;
  admins: AdminAccess;
  apiKeys: ApiKeysService;
  factorRegistry: FactorRegistry;
  mfaPolicy: MfaPolicyService;
  secondFactor: SecondFactorService;
  enrollment: EnrollmentService;
  signIn: SignInService;
  disableMfa: DisableMfaService;
  challenges: ChallengeService;
  passkeySignIn: PasskeySignInService;
  factors: FactorsService;
  recoveryCodes: RecoveryCodesService;
  emailVerification: EmailVerificationService;
  userAdmin: UserAdminService;
  passwords: PasswordsService;
  passwordReset: PasswordResetService;
  /** The mail queue as admins see it (counts, failed jobs). */
  mailQueue: MailQueueMonitor;
  /** The sessions and API keys this process holds in memory, and what keeps them true across processes. */
  credentialCache: CredentialCache;
  cacheInvalidation: CacheInvalidation;
}

export interface ServiceDeps {
  config: Config;
  connection: Connection;
  redis: Redis;
  logger: Logger;
  factorPlugins: FactorPlugin[];
  /** Seals factor secrets and keys recovery-code hashes. */
  secrets: SecretBox;
  /** Security notices (and the plugins' codes, through their own options). */
  mail: MailSender;
  /** The queue behind `mail`, read by the admin console; none in the CLIs. */
  mailQueue?: MailQueue;
  /** The time every MFA rule reads; tests move it to cross TOTP steps and expiries. */
  clock?: () => Date;
  /** Sees every audit event recorded (the sign-in metrics count them); none in the CLIs. */
  auditObserver?: AuditObserver;
  /** Counts the credential cache's lookups and invalidations (GET /metrics). */
  cacheMetrics?: AuthCacheMetrics;
}

export async function createServices(deps: ServiceDeps): Promise<Services> {
  const { config, connection, redis, logger, secrets } = deps;
  const clock = deps.clock ?? (() => new Date());
  // Every service takes one `deps` object, and a dependency's name means one kind of thing everywhere: `models.x` is a
  // mongoose model, `options` settings, and a bare noun (`factors`, `challenges`, `sessions`) the service of that name in Services.
  const models = {
    users: userModel(connection),
    sessions: sessionModel(connection),
    auditEvents: auditEventModel(connection),
    apiKeys: apiKeyModel(connection),
    factors: factorModel(connection),
    signInChallenges: signInChallengeModel(connection),
    ceremonies: ceremonyModel(connection),
    policies: mfaPolicyModel(connection),
    accountTokens: accountTokenModel(connection),
    trustedDevices: trustedDeviceModel(connection),
  };
  // Indexes (unique usernames, token hashes, TTLs) must exist before the first request relies on them.
  await Promise.all(Object.values(models).map((model) => model.init()));
  const audit = new AuditService({ models, logger, observer: deps.auditObserver });
  const factorRegistry = new FactorRegistry(deps.factorPlugins);
  const caps = new DeliveryCaps({
    redis,
    redisKeyPrefix: config.redisKeyPrefix,
    secrets,
    limits: config.mfa.deliveryCaps,
    logger,
  });
  const notices = new SecurityNotices({
    mail: deps.mail,
    caps,
    logger,
    issuer: config.mfa.issuer,
    registry: factorRegistry,
    clock,
  });
  const settings = new MfaPolicySettings({ models });
  const trustedDevices = new TrustedDevicesService({ models, settings, audit, clock });
  const factors = new FactorsService({ models, audit, notices, trustedDevices, clock });
  const admins = new AdminAccess({ models, factors, clock });
  const credentialCache = new CredentialCache({
    maxEntries: config.sessions.cacheEntries,
    maxAgeMs: config.sessions.cacheMaxAgeMs,
    metrics: deps.cacheMetrics,
  });
  const cacheInvalidation = new CacheInvalidation({
    cache: credentialCache,
    connection,
    redis,
    redisKeyPrefix: config.redisKeyPrefix,
    logger,
  });
  cacheInvalidation.start();
  const sessions = new SessionsService({
    models,
    audit,
    admins,
    trustedDevices,
    cache: credentialCache,
    options: config.sessions,
  });
  const throttle = new LoginThrottle({
    redis,
    redisKeyPrefix: config.redisKeyPrefix,
    options: { checksPerAddressPerMinute: config.accounts.loginRatePerAddressPerMinute },
  });
  const signUps = new AttemptBudget({
    redis,
    options: {
      keyPrefix: `${config.redisKeyPrefix}:throttle:sign-up`,
      attempts: config.accounts.signUpRatePerAddressPerHour,
      windowSeconds: 60 * 60,
    },
  });
  const credentialChange = new CredentialChange({ models, sessions, trustedDevices, clock });
  const accounts = new AccountsService({
    models,
    hasher: new PasswordHasher(),
    throttle,
    signUps,
    sessions,
    credentialChange,
    audit,
    notices,
    options: {
      allowSignup: config.accounts.allowSignup,
      passwordMinLength: config.accounts.passwordMinLength,
      serviceName: config.mfa.issuer,
    },
  });
  const mfaPolicy = new MfaPolicyService({
    models,
    settings,
    trustedDevices,
    admins,
    sessions,
    registry: factorRegistry,
    audit,
    notices,
    recoveryCodeCount: config.mfa.recoveryCodeCount,
    clock,
  });
  const attempts = new SecondFactorAttempts({ models });
  const runtime = new FactorRuntime({ models, registry: factorRegistry, secrets, logger, clock });
  const secondFactor = new SecondFactorService({
    models,
    runtime,
    attempts,
    secrets,
    audit,
    notices,
    logger,
    clock,
  });
  const signIn = new SignInService({
    models,
    accounts,
    sessions,
    factors,
    secondFactor,
    trustedDevices,
    grace: new EnrollmentGrace({ models, settings, clock }),
    audit,
    clock,
  });
  const challenges = new ChallengeService({ models, signIn, runtime, caps, logger, clock });
  const passkeySignIn = new PasskeySignInService({
    models,
    runtime,
    secondFactor,
    mfaPolicy,
    sessions,
    audit,
    // Asked for without credentials, like a password check: as many per address, and minute, as LOGIN_RATE_PER_ADDRESS.
    begins: new AttemptBudget({
      redis,
      options: {
        keyPrefix: `${config.redisKeyPrefix}:throttle:passkey-sign-in`,
        attempts: config.accounts.loginRatePerAddressPerMinute,
        windowSeconds: 60,
      },
    }),
    clock,
  });
  const recoveryCodes = new RecoveryCodesService({
    models,
    factors,
    signIn,
    secrets,
    audit,
    notices,
    clock,
    count: config.mfa.recoveryCodeCount,
  });
  const enrollment = new EnrollmentService({
    models,
    factors,
    recoveryCodes,
    runtime,
    mfaPolicy,
    admins,
    sessions,
    audit,
    challenges,
    notices,
    clock,
  });
  const disableMfa = new DisableMfaService({ accounts, factors, secondFactor, sessions, admins });
  const apiKeys = new ApiKeysService({ models, audit, factors, admins, cache: credentialCache });
  const auditTrail = new AuditTrail({ models, admins });
  const mailQueue = new MailQueueMonitor({ queue: deps.mailQueue, delivery: mailDelivery(config) });
  const tokens = new AccountTokens({ models });
  const accountMail = new AccountMail({ tokens, caps, mail: deps.mail, issuer: config.mfa.issuer, clock });
  const emailVerification = new EmailVerificationService({
    models,
    tokens,
    accountMail,
    factors,
    sessions,
    notices,
    audit,
    clock,
  });
  const userAdmin = new UserAdminService({
    models,
    admins,
    sessions,
    credentialChange,
    trustedDevices,
    attempts,
    throttle,
    lastAdmin: new LastAdminGuard({ models, clock }),
    audit,
    notices,
    clock,
  });
  const passwords = new PasswordsService({
    models,
    accounts,
    factors,
    admins,
    credentialChange,
    audit,
    notices,
  });
  const passwordReset = new PasswordResetService({
    models,
    tokens,
    accountMail,
    caps,
    throttle,
    accounts,
    audit,
    logger,
    clock,
  });
  return {
    config,
    accounts,
    sessions,
    trustedDevices,
    audit,
    auditTrail,
    mailQueue,
    admins,
    apiKeys,
    factorRegistry,
    mfaPolicy,
    secondFactor,
    enrollment,
    signIn,
    disableMfa,
    challenges,
    passkeySignIn,
    factors,
    recoveryCodes,
    emailVerification,
    userAdmin,
    passwords,
    passwordReset,
    credentialCache,
    cacheInvalidation,
  };
}

/** Who delivers this server's mails, from its own settings (a separate worker's SMTP_URL is its own). */
function mailDelivery(config: Config): MailDelivery {
  if (config.mail.worker === 'off') return MailDelivery.SEPARATE_WORKER;
  return config.mail.smtpUrl ? MailDelivery.INLINE_SMTP : MailDelivery.INLINE_LOG;
}
