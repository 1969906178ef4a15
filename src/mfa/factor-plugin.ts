import type { ClassType } from 'type-graphql';
import type { MailSender } from '../mail/mail-sender.js';

/*
 * A plugin imports from the service this module only (besides npm packages and
 * its own files), so the core can change behind it. Besides the contract's
 * types, it hands plugins these helpers:
 * - `badInput(field, message)`: refuses enrollment input with the API's BAD_USER_INPUT error;
 * - `mailboxKey(address)`: one string per mailbox, the normalisation `destination` asks for.
 */
export { badInput } from '../errors.js';
export { mailboxKey } from '../mail/mailbox-key.js';

/**
 * The contract between the MFA core and a factor type. A plugin answers two
 * questions — "what does enrolling create?" and "which time step (or send)
 * does this code belong to?" — and may deliver codes. Everything shared is
 * the core's: factor records and their lifecycle, tokens, attempt limits and
 * lockout, single-use consumption, recovery codes, policy, audit, encryption.
 */
export interface FactorPlugin {
  /** Stable id stored in every factor record, e.g. "totp", "email". Never change it once factors exist. */
  readonly type: string;
  /** Shown to people choosing a factor, e.g. "Authenticator app". */
  readonly displayName: string;
  /**
   * Exact form of a code (e.g. `/^\d{6}$/`), tested after the core took out ASCII spaces and one dash
   * ("123 456", "123-456"), so it describes the code without them; anything else is a failed attempt that never reaches `verify`.
   */
  readonly codePattern: RegExp;
  /** The type-graphql object type of this plugin's enrollment details: a member of the EnrollmentDetails union. */
  readonly detailsType: ClassType;
  /** Creates what a new factor stores, and what the enrolling client is shown once. */
  enroll(request: EnrollRequest): Promise<Enrollment>;
  /**
   * The step a well-formed code belongs to — a TOTP time step, an e-mail send's
   * sequence number — or null when it is wrong. The core accepts each step of a
   * factor once and refuses it and every older step afterwards, atomically.
   * Compare in constant time.
   */
  verify(request: VerifyRequest): Promise<number | null>;
  /**
   * Delivers a fresh code (e-mail, SMS), replacing any earlier one; factors whose
   * codes the user already has (TOTP) leave it out. The core calls it right after
   * enrollment and on `sendMfaCode`, within `delivery`'s limits.
   */
  challenge?(request: ChallengeRequest): Promise<Challenge>;
  /**
   * Where `challenge` would deliver, normalised so that every spelling of one
   * mailbox or phone gives the same string (e.g. case, sub-addresses). Required
   * with `challenge`: the core caps sends per destination, across all users
   * while the factor is PENDING (the destination unproven) and per owner, and
   * counts them under a keyed hash of this value, never the value itself.
   */
  destination?(factor: StoredFactor): string;
  /**
   * The e-mail address an accepted enrollment proves the owner reads (the
   * enrollment code went there and came back), for factors that mail codes.
   * When it is the account's own address, the core marks that address
   * verified (User.emailVerified).
   */
  provenEmail?(factor: StoredFactor): string | undefined;
  /** Limits the core enforces for factors with `challenge`. */
  readonly delivery?: DeliveryLimits;
}

/**
 * Per-plugin limits. The service adds caps of its own that no plugin sets:
 * sends per destination (across users while unproven) and per client address (DeliveryCaps).
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

export interface EnrollRequest {
  owner: FactorOwner;
  /** Plugin-specific enrollment input, e.g. the address for e-mail codes. */
  input: { email?: string };
  now: Date;
}

export interface Enrollment {
  /** Stored encrypted (AES-256-GCM) by the core and handed back to `verify`; e.g. the TOTP seed. */
  secret?: string;
  /** Non-secret state stored in the factor record, e.g. a masked address. */
  state?: Record<string, unknown>;
  /** An instance of `detailsType`, returned to the client once (enableMfa). */
  details: object;
}

/** A factor as the core hands it to a plugin: the secret already decrypted. */
export interface StoredFactor {
  id: string;
  owner: FactorOwner;
  secret?: string;
  state: Record<string, unknown>;
  /**
   * The last step the core accepted; `verify` may skip work for older ones. To tell a replayed code from a
   * wrong one, the core may call `verify` again for a refused code with this left out.
   */
  lastUsedStep?: number;
}

export interface VerifyRequest {
  factor: StoredFactor;
  /** Already compacted (ASCII spaces and one dash out) and checked against `codePattern`. */
  code: string;
  now: Date;
  /** The same keyed hash `challenge` was given, for comparing a code with the stored hash. */
  keyedHash: KeyedHash;
}

export interface ChallengeRequest {
  factor: StoredFactor;
  now: Date;
  /** Why: the user is confirming a new factor, or signing in / stepping up with an active one. */
  purpose: 'enrollment' | 'verification';
  /**
   * HMAC-SHA256 under a server key that is not in the database, bound to this
   * factor: store codes through it, so a leaked record cannot be brute-forced
   * offline (a 6-digit code has only 10^6 values).
   */
  keyedHash: KeyedHash;
}

export type KeyedHash = (value: string) => string;

export interface Challenge {
  /** Replaces the factor's stored state, e.g. the new code's hash and send sequence. */
  state: Record<string, unknown>;
}

/** What a plugin module exports: a factory taking deployment options, e.g. `totpFactor({ issuer })`. */
export type FactorPluginFactory<Options = FactorPluginOptions> = (options: Options) => FactorPlugin;

/** Options the service passes to every plugin factory it loads from FACTOR_PLUGINS. */
export interface FactorPluginOptions {
  /** Names the service in authenticator apps and mails (MFA_ISSUER). */
  issuer: string;
  /** Sends mail through the service's queue (at-least-once, retried, idempotent per key). */
  mail: MailSender;
}
