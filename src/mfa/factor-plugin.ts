import type { ClassType } from 'type-graphql';
import type { MailSender } from '../mail/mail-sender.js';

/**
 * The contract between the MFA core and a factor type (version 2). A plugin
 * describes a ceremony: what enrolling creates (`enroll`, then `activate` with
 * the client's first response), what a sign-in attempt starts with (`begin`:
 * state kept with the attempt, options for the client, a delivery), and
 * whether a response is right (`verify`). Everything shared is the core's:
 * factor records and their lifecycle, tokens, attempt limits and lockout,
 * single use (of replay keys, of attempt state, of enrollment), recovery
 * codes, policy, audit, encryption. The core is the only caller of these
 * members, in one place (FactorRuntime).
 */
export interface FactorPlugin {
  /** Stable id stored in every factor record, e.g. "totp", "email", "webauthn". Never change it once factors exist. */
  readonly type: string;
  /** Shown to people choosing a factor, e.g. "Authentication app". */
  readonly displayName: string;
  /** What a success proves; policy can read it and audit records it. */
  readonly assurance: FactorAssurance;
  /** The form of a client's response; anything else is a failed attempt that never reaches the plugin. */
  readonly responseLimits: ResponseLimits;
  /** The type-graphql object type of this plugin's enrollment details: a member of the EnrollmentDetails union. */
  readonly detailsType: ClassType;
  /**
   * A user may hold several ACTIVE factors of this type (passkeys: one per device). Otherwise a second
   * enrollment of the type is refused (ALREADY_ENABLED) unless it replaces the first (`recreate`).
   */
  readonly multiplePerUser?: boolean;
  /**
   * Checks and shapes this type's enrollment input (enableMfa's `email` and its free-form JSON `options`),
   * throwing `badInput` for what it cannot take. What it returns reaches `enroll` as `input`. Without it,
   * `options` is refused and `email` passed on.
   */
  parseEnrollmentInput?(input: RawEnrollmentInput): Record<string, unknown>;
  /** Creates what a new (PENDING) factor stores, and what the enrolling client is shown once. */
  enroll(request: EnrollRequest): Promise<Enrollment>;
  /**
   * Checks the client's response to the enrollment (acceptMfa) and says what the ACTIVE factor keeps.
   * Without it, the core calls `verify` on the PENDING factor, as for a sign-in.
   */
  activate?(request: VerifyRequest): Promise<Verdict>;
  /**
   * Starts one attempt (beginMfa; sendMfaCode; right after enrollment for factors with `delivery`). The core
   * keeps `attemptState` with the attempt (the sign-in's mfaToken or the session, and the factor), hands it to
   * `verify`, and spends it with the success that used it: it works once, for that attempt only.
   */
  begin?(request: BeginRequest): Promise<Begun>;
  /** Whether the client's response proves the factor now. Compare secrets in constant time. */
  verify(request: VerifyRequest): Promise<Verdict>;
  /** Limits the core enforces on `deliver` (required when `begin` delivers). */
  readonly delivery?: DeliveryLimits;
  /**
   * Where a delivery goes, normalised so that every spelling of one mailbox or phone gives the same string
   * (e.g. case, sub-addresses). Required with `delivery`: the core caps sends per destination, across all users
   * while the factor is PENDING (the destination unproven) and per owner, and counts them under a keyed hash of
   * this value, never the value itself.
   */
  destination?(factor: StoredFactor): string;
  /**
   * The e-mail address an accepted enrollment proves the owner reads (the enrollment code went there and came
   * back), for factors that mail codes. When it is the account's own address, the core marks it verified.
   */
  provenEmail?(factor: StoredFactor): string | undefined;
  /**
   * Sign-in without a username or password (passkeys: discoverable credentials with user verification). The
   * core starts an attempt bound to no user, finds the factor by the key the response names, checks it with
   * `verify` (purpose "passwordless") and applies the user's lockout and policy.
   */
  readonly discoverable?: DiscoverableSignIn;
}

/**
 * What proving a factor shows. "possession": the user holds a device or mailbox (TOTP, e-mail, SMS codes).
 * "phishing-resistant": possession, bound to this service's origin so a look-alike site cannot relay it
 * (NIST SP 800-63B §5.2.5: WebAuthn).
 */
export type FactorAssurance = 'possession' | 'phishing-resistant';

/**
 * The form of a response. "code": a typed string; the core takes out ASCII spaces and one dash ("123 456",
 * "123-456") and tests `pattern` on the rest (so it describes the code without them), at most `maxChars`
 * (64 when unset) before that. "json": a structured response (a WebAuthn credential), at most `maxBytes` as
 * JSON; the plugin checks its shape.
 */
export type ResponseLimits = { kind: 'code'; pattern: RegExp; maxChars?: number } | { kind: 'json'; maxBytes: number };

/**
 * Why an attempt is made, which follows from where it was begun: confirming a new factor ("enrollment"), a
 * sign-in's second step ("sign-in"), a signed-in session proving a factor again ("step-up": stepUp, disableMfa,
 * regenerating recovery codes), or a sign-in with the factor alone ("passwordless"). The check is the same, but
 * a ceremony may be bound to its purpose (WebAuthn: a registration challenge never signs in).
 */
export type AttemptPurpose = 'enrollment' | 'sign-in' | 'step-up' | 'passwordless';

/**
 * Per-plugin limits on deliveries. The service adds caps of its own that no plugin sets:
 * sends per destination (across users while unproven) and per client address.
 */
export interface DeliveryLimits {
  /** Least time between two sends for one factor. */
  cooldownSeconds: number;
  /**
   * Most sends per user and hour, counted across all of the user's delivered codes (one window on the user,
   * whatever the type); the cap of the factor being sent applies.
   */
  maxSendsPerHour: number;
  /** Wrong tries one delivered code survives; the next send starts a new count (the user's lockout count goes on). */
  maxAttemptsPerCode: number;
}

/** The account a factor belongs to, as a plugin sees it. */
export interface FactorOwner {
  id: string;
  username: string;
  email?: string;
}

/** enableMfa's plugin-specific input as the client sent it. */
export interface RawEnrollmentInput {
  email?: string;
  /** enableMfa's free-form `options` (JSON), for the plugin to check. */
  options?: unknown;
}

export interface EnrollRequest {
  owner: FactorOwner;
  /** What `parseEnrollmentInput` returned (by default `{ email }` when given). */
  input: Record<string, unknown>;
  /** The owner's ACTIVE factors of this type (for `multiplePerUser` types, e.g. to exclude known credentials). */
  existing: StoredFactor[];
  now: Date;
}

export interface Enrollment {
  /** Stored encrypted (AES-256-GCM) by the core and handed back in every request; e.g. the TOTP seed. */
  secret?: string;
  /** Non-secret state stored in the factor record, e.g. a masked address. */
  state?: Record<string, unknown>;
  /** Kept with the pending enrollment and handed to `activate` (e.g. a WebAuthn registration challenge). */
  attemptState?: Record<string, unknown>;
  /** An instance of `detailsType`, returned to the client once (enableMfa). */
  details: object;
}

/** A factor as the core hands it to a plugin: the secret already decrypted. */
export interface StoredFactor {
  id: string;
  owner: FactorOwner;
  secret?: string;
  state: Record<string, unknown>;
  /** The newest replay key the core accepted for this factor; it refuses this one and every older one. */
  lastReplayKey?: number;
}

interface FactorRequest {
  factor: StoredFactor;
  now: Date;
  /**
   * HMAC-SHA256 under a server key that is not in the database, bound to this factor: store codes through it,
   * so a leaked record cannot be brute-forced offline (a 6-digit code has only 10^6 values).
   */
  keyedHash: KeyedHash;
}

export interface BeginRequest extends FactorRequest {
  purpose: AttemptPurpose;
}

export interface Begun {
  /** Kept by the core with this attempt; `verify` gets it back; spent with the success. */
  attemptState?: Record<string, unknown>;
  /** Returned to the client (beginMfa's `options`), e.g. WebAuthn request options. Nothing secret. */
  clientOptions?: Record<string, unknown>;
  /**
   * A delivery the core makes within `delivery`'s limits (reserved first): `send` delivers, and on success
   * `factorState` replaces the factor's state (e.g. the new code's keyed hash), killing the previous code.
   */
  deliver?: { send(): Promise<void>; factorState: Record<string, unknown> };
}

export interface VerifyRequest extends FactorRequest {
  /** The client's response: a compacted code matching `responseLimits` ("code"), or parsed JSON ("json"). */
  response: unknown;
  /** What `begin` (or `enroll`, for `activate`) kept with this attempt; undefined when nothing was begun. */
  attemptState?: Record<string, unknown>;
  purpose: AttemptPurpose;
}

/**
 * A plugin's answer. An accepted response must spend something: a `replayKey`, or the attempt state it answered
 * (the core refuses, as a fault of the plugin, a success that spends neither: it could be replayed). Accepted: the
 * core spends the attempt state, then `replayKey` (refusing it and every older one afterwards, for this factor),
 * and replaces the state with `state` (a compare-and-set: of two parallel successes, one wins); a lost race leaves
 * what was spent spent. Refused: `alreadyUsed` when the response was right once and its replay key is spent (the
 * message then says to wait for a new code); `reason` for the audit trail.
 */
export type Verdict =
  | {
      accepted: true;
      replayKey?: number;
      state?: Record<string, unknown>;
      /** From `activate` only: what `discoverable.lookupKey` will name this factor by (a credential id). */
      lookupKey?: string;
    }
  | {
      accepted: false;
      alreadyUsed?: boolean;
      /** A short word for the audit trail (e.g. "counter_not_increasing"); never shown to the client. */
      reason?: string;
    };

export interface DiscoverableSignIn {
  /** Starts an attempt for no known user: its state and the client's options. */
  begin(request: { now: Date }): Promise<Required<Pick<Begun, 'attemptState' | 'clientOptions'>>>;
  /** The lookup key a response names (a credential id), as `activate`'s `lookupKey` stored it; undefined if none. */
  lookupKey(response: unknown): string | undefined;
}

export type KeyedHash = (value: string) => string;

/** What a plugin module exports: a factory taking deployment options, e.g. `totpFactor({ issuer })`. */
export type FactorPluginFactory<Options = FactorPluginOptions> = (options: Options) => FactorPlugin;

/** Options the service passes to every plugin factory it loads from FACTOR_PLUGINS. */
export interface FactorPluginOptions {
  /** Names the service in authenticator apps and mails (MFA_ISSUER). */
  issuer: string;
  /** Sends mail through the service's queue (at-least-once, retried, idempotent per key). */
  mail: MailSender;
  /** Where the service's pages are (PUBLIC_URL), e.g. the default WebAuthn origin. */
  publicUrl: string;
  /**
   * This plugin's own settings: every environment variable named `<NAME>_<KEY>`, where NAME is the plugin's
   * FACTOR_PLUGINS name in upper case with dashes as underscores, keyed by KEY (WEBAUTHN_RP_ID → `RP_ID`).
   * The plugin checks them and throws at start when one is wrong.
   */
  settings: Readonly<Record<string, string>>;
  /** Whether the service runs with NODE_ENV=production (stricter defaults, e.g. https origins only). */
  production: boolean;
}
