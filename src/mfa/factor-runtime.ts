import { isDuplicateKey } from '../db/duplicate-key.js';
import { createHmac } from 'node:crypto';
import type { Types } from 'mongoose';
import type { UserRecord } from '../accounts/user.model.js';
import { SecretBoxError, type SecretBox } from '../crypto/secret-box.js';
import { badInput, serviceUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CeremonyModel, CeremonyRecord } from './ceremony.model.js';
import { compactCode } from './code-input.js';
import type {
  AttemptPurpose,
  Begun,
  FactorPlugin,
  KeyedHash,
  RawEnrollmentInput,
  StoredFactor,
  Verdict,
} from './factor-plugin.js';
import type { FactorRegistry } from './factor-registry.js';
import { factorOwner, factorSecretContext, FactorStatus, type FactorModel, type FactorRecord } from './factor.model.js';

/** What a client sent as a factor's response: a typed code (`code`), or structured JSON (`response`, e.g. WebAuthn). */
export type FactorResponse = { kind: 'code'; value: string } | { kind: 'json'; value: unknown };

/** A typed code longer than this is refused as input, whatever a plugin allows (GraphQL caps the field too). */
export const MAX_TYPED_CODE_CHARS = 256;
const DEFAULT_CODE_MAX_CHARS = 64;

/** A ceremony lives as long as an mfaToken: time to touch a key or open a mail, then it dies. */
export const CEREMONY_TTL_MS = 5 * 60_000;

/** Delivered codes are stored keyed under this purpose; they live minutes, so a key rotation merely voids those in flight. */
const FACTOR_CODE_HMAC_PURPOSE = 'factor-codes';

/** A response checked by its plugin, with the ceremony it used (to be spent with it). */
export type Checked = { verdict: Verdict; ceremony?: CeremonyRecord };

/** Where an attempt was begun, so its ceremony is found only there. */
export type AttemptBinding =
  { signInChallengeId: Types.ObjectId } | { sessionId: Types.ObjectId } | { passwordlessKey: string };

/**
 * The one place that calls factor plugins and writes what they own: a
 * factor's secret (sealed), state, replay key and lookup key, and the
 * ceremonies begun for it. The services around it (sign-in, enrollment,
 * delivery) decide when; this decides how, the same for every type: the
 * response's form is checked before a plugin sees it, secrets are opened
 * here, and a success is spent with conditional updates so that no replay
 * key, state or ceremony serves twice.
 */
export class FactorRuntime {
  constructor(
    private readonly deps: {
      models: { factors: FactorModel; ceremonies: CeremonyModel };
      registry: FactorRegistry;
      secrets: SecretBox;
      logger: Logger;
      clock: () => Date;
    },
  ) {}

  plugin(type: string): FactorPlugin {
    const plugin = this.deps.registry.get(type);
    if (!plugin) throw new Error(`no factor plugin is registered for the stored type "${type}"`);
    return plugin;
  }

  /** Whether this server can check factors of `type` (a plugin may have been dropped from FACTOR_PLUGINS). */
  loads(type: string): boolean {
    return this.deps.registry.get(type) !== undefined;
  }

  /** Whether `type`'s codes are delivered (e-mail, SMS) rather than read off a device the user holds. */
  delivers(type: string): boolean {
    return this.plugin(type).delivery !== undefined;
  }

  /** The plugin's enrollment input from enableMfa's `email` and `options`, checked by the plugin. */
  enrollmentInput(plugin: FactorPlugin, raw: RawEnrollmentInput): Record<string, unknown> {
    if (plugin.parseEnrollmentInput) return plugin.parseEnrollmentInput(raw);
    if (raw.options !== undefined && raw.options !== null)
      throw badInput('options', `${plugin.displayName} takes no enrollment options.`);
    return raw.email === undefined ? {} : { email: raw.email };
  }

  /** What a new PENDING factor stores: the plugin's enrollment, its secret sealed to `factorId`. */
  async enroll(
    plugin: FactorPlugin,
    owner: UserRecord,
    input: Record<string, unknown>,
    factorId: Types.ObjectId,
    existing: FactorRecord[],
  ) {
    const now = this.deps.clock();
    const enrollment = await plugin.enroll({
      owner: factorOwner(owner),
      input,
      existing: existing.map((factor) => this.storedFactor(factor, owner)),
      now,
    });
    return {
      secret:
        enrollment.secret === undefined
          ? undefined
          : this.deps.secrets.seal(enrollment.secret, factorSecretContext(factorId)),
      state: enrollment.state ?? {},
      attemptState: enrollment.attemptState,
      details: enrollment.details,
    };
  }

  /**
   * Starts an attempt of `factor`: the plugin's `begin`; its attempt state is kept as the one ceremony of this
   * factor at `binding` (replacing an earlier one there). A delivery is returned, not made: the caller reserves
   * its limits first, then calls `deliver`.
   */
  async begin(
    factor: FactorRecord,
    owner: UserRecord,
    binding?: AttemptBinding,
  ): Promise<Pick<Begun, 'clientOptions' | 'deliver'>> {
    const plugin = this.plugin(factor.type);
    if (!plugin.begin) return {};
    const now = this.deps.clock();
    const purpose = purposeOf(factor, binding);
    const stored = this.storedFactor(factor, owner);
    const begun = await plugin.begin({ factor: stored, now, purpose, keyedHash: this.keyedHashFor(factor._id) });
    if (begun.attemptState) {
      if (!binding)
        throw new Error(`factor plugin "${factor.type}" keeps attempt state, but nothing binds this attempt`);
      const boundTo = bindingKey(binding);
      const ceremony = {
        boundTo,
        factorId: factor._id,
        purpose,
        state: begun.attemptState,
        createdAt: now,
        expiresAt: new Date(now.getTime() + CEREMONY_TTL_MS),
      };
      // One write, so that of parallel begins one ceremony stands; the unique index turns a parallel upsert's
      // second insert into a duplicate-key error, and the retry then replaces the ceremony that was inserted.
      const replace = () =>
        this.deps.models.ceremonies.replaceOne({ boundTo, factorId: factor._id }, ceremony, { upsert: true });
      await replace().catch((error: unknown) => {
        if (!isDuplicateKey(error)) throw error;
        return replace();
      });
    }
    return { clientOptions: begun.clientOptions, deliver: begun.deliver };
  }

  /** Makes a delivery `begin` returned, once its limits are reserved; the new state kills the previous code. */
  async deliver(factor: FactorRecord, delivery: NonNullable<Begun['deliver']>): Promise<void> {
    await delivery.send();
    await this.deps.models.factors.updateOne(
      { _id: factor._id },
      { $set: { state: delivery.factorState, codeFailures: 0 }, $inc: { stateVersion: 1 } },
    );
  }

  /**
   * Whether `response` proves `factor` (ACTIVE, or PENDING for `activate`) now: its form against the plugin's
   * `responseLimits` (a code is compacted first: ASCII spaces and one dash out), then the plugin, with the
   * attempt state of the ceremony begun at `binding` (or the pending enrollment's). Spends nothing.
   */
  async check(
    factor: FactorRecord,
    stored: StoredFactor,
    response: FactorResponse,
    context: { binding?: AttemptBinding; ceremony?: CeremonyRecord },
  ): Promise<Checked> {
    const plugin = this.plugin(factor.type);
    const value = this.admit(plugin, response);
    if (value === undefined) return { verdict: { accepted: false } };
    // Only a plugin with `begin` can have kept attempt state: the others (TOTP) cost no lookup.
    const ceremony =
      context.ceremony ??
      (plugin.begin && context.binding && factor.status === FactorStatus.ACTIVE
        ? await this.ceremonyAt(context.binding, factor._id)
        : undefined);
    const attemptState = factor.status === FactorStatus.PENDING ? factor.pending?.attemptState : ceremony?.state;
    const request = {
      factor: stored,
      response: value,
      attemptState,
      purpose: purposeOf(factor, context.binding),
      now: this.deps.clock(),
      keyedHash: this.keyedHashFor(factor._id),
    };
    const verdict =
      factor.status === FactorStatus.PENDING && plugin.activate
        ? await plugin.activate(request)
        : await plugin.verify(request);
    return { verdict, ceremony };
  }

  /**
   * Spends an accepted verdict on an ACTIVE factor: the ceremony first (deleted: of parallel requests with one
   * ceremony, one goes on), then the replay key and state in one conditional update (the key must be newer than
   * the spent one, the state unchanged since it was read). Null when a parallel request got there first; what
   * was spent then stays spent, so a lost race leaves nothing usable.
   */
  async spend(factor: FactorRecord, checked: Checked): Promise<FactorRecord | null> {
    const { verdict, ceremony } = checked;
    if (!verdict.accepted) throw new Error('only an accepted verdict is spent');
    // Single use needs something to spend: a replay key, or the attempt state the response answered. A plugin that
    // accepts with neither would take the same response again; that is its fault, refused here rather than trusted.
    if (verdict.replayKey === undefined && !ceremony)
      throw new Error(
        `factor plugin "${factor.type}" accepted a response that spends nothing (no replayKey, no attempt state): it could be replayed`,
      );
    if (ceremony) {
      const taken = await this.deps.models.ceremonies.deleteOne({ _id: ceremony._id });
      if (taken.deletedCount !== 1) return null;
    }
    const now = this.deps.clock();
    const filter: Record<string, unknown> = { _id: factor._id, status: FactorStatus.ACTIVE };
    const set: Record<string, unknown> = { lastUsedAt: now, codeFailures: 0 };
    const conditions: Record<string, unknown>[] = [];
    if (verdict.replayKey !== undefined) {
      conditions.push({ $or: [{ lastUsedStep: { $exists: false } }, { lastUsedStep: { $lt: verdict.replayKey } }] });
      set.lastUsedStep = verdict.replayKey;
    }
    if (verdict.state) {
      conditions.push(
        factor.stateVersion === undefined
          ? { stateVersion: { $exists: false } }
          : { stateVersion: factor.stateVersion },
      );
      set.state = verdict.state;
    }
    if (conditions.length > 0) filter.$and = conditions;
    return this.deps.models.factors
      .findOneAndUpdate(
        filter,
        { $set: set, ...(verdict.state ? { $inc: { stateVersion: 1 } } : {}) },
        {
          returnDocument: 'after',
        },
      )
      .lean<FactorRecord>();
  }

  /**
   * What an accepted enrollment response makes of the PENDING factor: the `$set` that activates it (its
   * replay key spent, its state and lookup key replaced when the plugin says so).
   */
  activation(verdict: Verdict, now: Date): Record<string, unknown> {
    if (!verdict.accepted) throw new Error('only an accepted verdict activates');
    return {
      status: FactorStatus.ACTIVE,
      activatedAt: now,
      lastUsedAt: now,
      ...(verdict.replayKey !== undefined ? { lastUsedStep: verdict.replayKey } : {}),
      ...(verdict.state ? { state: verdict.state } : {}),
      ...(verdict.lookupKey !== undefined ? { lookupKey: verdict.lookupKey } : {}),
    };
  }

  /** The plugins that offer sign-in with the factor alone (passkeys), in FACTOR_PLUGINS order. */
  discoverablePlugins(): FactorPlugin[] {
    return this.deps.registry.all().filter((plugin) => plugin.discoverable);
  }

  /**
   * Starts a sign-in with the factor alone: the plugin's discoverable `begin`, its attempt state kept as a
   * ceremony bound to `binding` and to no factor (the response will name one).
   */
  async beginDiscoverable(
    plugin: FactorPlugin,
    binding: { passwordlessKey: string },
  ): Promise<Record<string, unknown>> {
    if (!plugin.discoverable) throw new Error(`factor plugin "${plugin.type}" offers no discoverable sign-in`);
    const now = this.deps.clock();
    const begun = await plugin.discoverable.begin({ now });
    await this.deps.models.ceremonies.insertMany([
      {
        boundTo: bindingKey(binding),
        purpose: 'passwordless',
        state: begun.attemptState,
        createdAt: now,
        expiresAt: new Date(now.getTime() + CEREMONY_TTL_MS),
      },
    ]);
    return begun.clientOptions;
  }

  /** The live ceremony of a discoverable sign-in, or undefined when there is none (unknown, spent or expired). */
  async discoverableCeremony(binding: { passwordlessKey: string }): Promise<CeremonyRecord | undefined> {
    const found = await this.deps.models.ceremonies
      .findOne({ boundTo: bindingKey(binding), factorId: { $exists: false }, expiresAt: { $gt: this.deps.clock() } })
      .lean<CeremonyRecord>();
    return found ?? undefined;
  }

  /**
   * The ACTIVE factor a discoverable response names (a passkey's credential id), or null. The first one
   * registered wins should two ever share a key (activation refuses a key that is taken).
   */
  async factorNamedBy(plugin: FactorPlugin, response: unknown): Promise<FactorRecord | null> {
    const lookupKey = plugin.discoverable?.lookupKey(response);
    if (typeof lookupKey !== 'string' || lookupKey.length === 0) return null;
    return this.deps.models.factors
      .findOne({ lookupKey, type: plugin.type, status: FactorStatus.ACTIVE })
      .sort({ activatedAt: 1 })
      .lean<FactorRecord>();
  }

  /** Whether another ACTIVE factor of the type already has this lookup key (a credential registered twice). */
  async lookupKeyTaken(type: string, lookupKey: string): Promise<boolean> {
    return (await this.deps.models.factors.exists({ lookupKey, type, status: FactorStatus.ACTIVE })) !== null;
  }

  /** Where the plugin would deliver, normalised (see FactorPlugin's `destination`). */
  destination(factor: FactorRecord, owner: UserRecord): string {
    const plugin = this.plugin(factor.type);
    if (!plugin.destination) throw new Error(`factor plugin "${factor.type}" delivers but names no destination`);
    return plugin.destination(this.storedFactor(factor, owner));
  }

  /** The address an accepted enrollment proved the owner reads, if the plugin mails codes. */
  provenEmail(factor: FactorRecord, owner: UserRecord): string | undefined {
    return this.plugin(factor.type).provenEmail?.(this.storedFactor(factor, owner));
  }

  /** A factor's ceremony begun at `binding`, while it lives. */
  private async ceremonyAt(binding: AttemptBinding, factorId: Types.ObjectId): Promise<CeremonyRecord | undefined> {
    const found = await this.deps.models.ceremonies
      .findOne({ boundTo: bindingKey(binding), factorId, expiresAt: { $gt: this.deps.clock() } })
      .lean<CeremonyRecord>();
    return found ?? undefined;
  }

  /**
   * Whether `response` is larger than any response of the factor's type can be: bad input, refused before an
   * attempt is reserved (see `assertFits`), rather than a wrong code.
   */
  oversized(type: string, response: FactorResponse): boolean {
    const limits = this.plugin(type).responseLimits;
    if (response.kind === 'code')
      return response.value.length > (limits.kind === 'code' ? (limits.maxChars ?? DEFAULT_CODE_MAX_CHARS) : 0);
    return limits.kind !== 'json' || jsonBytes(response.value) > limits.maxBytes;
  }

  /**
   * Throws BAD_USER_INPUT when no factor of `types` takes a response of this kind (a typed code for a passkey, or
   * the reverse), or when it is too large for every one of them: a client's mistake, refused before any attempt
   * is reserved, rather than a wrong code.
   */
  assertFits(types: readonly string[], response: FactorResponse): void {
    if (types.length === 0) return;
    if (!types.some((type) => this.plugin(type).responseLimits.kind === response.kind))
      throw response.kind === 'code'
        ? badInput('code', 'This factor takes a response from the device (passkeys), not a typed code.')
        : badInput('response', 'This factor takes a typed code, not a response.');
    if (types.every((type) => this.oversized(type, response)))
      throw response.kind === 'code'
        ? badInput('code', 'That is far too long to be a code.')
        : badInput('response', 'That response is larger than a response of this factor can be.');
  }

  /**
   * The response as the plugin receives it, or undefined when its form is not the plugin's: a failed attempt
   * that never reaches the plugin. A code is compacted first (ASCII spaces and one dash out).
   */
  private admit(plugin: FactorPlugin, response: FactorResponse): unknown {
    const limits = plugin.responseLimits;
    if (response.kind !== limits.kind || this.oversized(plugin.type, response)) return undefined;
    if (limits.kind === 'json') return response.value;
    const compact = compactCode(response.value as string);
    return limits.pattern.test(compact) ? compact : undefined;
  }

  /**
   * The factor as a plugin sees it, its secret decrypted. A secret this
   * server cannot open (its key id is not configured, or it fails
   * authentication under the configured key) is SERVICE_UNAVAILABLE: the
   * server's fault, never a wrong code; operators get one line naming the key id.
   */
  storedFactor(factor: FactorRecord, owner: UserRecord): StoredFactor {
    let secret: string | undefined;
    try {
      secret = factor.secret && this.deps.secrets.open(factor.secret, factorSecretContext(factor._id));
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      this.deps.logger.error(
        { factorId: factor._id.toHexString(), kid: String(factor.secret?.kid), reason: error.code },
        `cannot open a factor secret, so its codes cannot be checked: ${error.message}. Configure that key in MFA_ENCRYPTION_KEYS`,
      );
      throw serviceUnavailable(
        'This factor cannot be checked right now, through no fault of yours. Try again later, or use another factor.',
      );
    }
    return {
      id: factor._id.toHexString(),
      owner: factorOwner(owner),
      secret,
      state: factor.state ?? {},
      lastReplayKey: factor.lastUsedStep,
    };
  }

  /** HMAC-SHA256 bound to the factor, under a key that is not in the database (see the contract's `keyedHash`). */
  private keyedHashFor(factorId: Types.ObjectId): KeyedHash {
    const { key } = this.deps.secrets.hmacKey(FACTOR_CODE_HMAC_PURPOSE);
    const prefix = `${factorId.toHexString()}:`;
    return (value) =>
      createHmac('sha256', key)
        .update(prefix + value)
        .digest('base64url');
  }
}

/** An attempt's purpose follows from what it is for: a PENDING factor's enrollment, or where it was begun. */
function purposeOf(factor: FactorRecord, binding: AttemptBinding | undefined): AttemptPurpose {
  if (factor.status === FactorStatus.PENDING) return 'enrollment';
  if (!binding)
    throw new Error('an attempt on an ACTIVE factor is begun for a sign-in, a session or a passwordless sign-in');
  if ('signInChallengeId' in binding) return 'sign-in';
  return 'sessionId' in binding ? 'step-up' : 'passwordless';
}

/**
 * The size of a client's JSON value as JSON text. A value nested too deeply for JSON.stringify (a RangeError: its
 * recursion runs out of stack, some thousands of levels down, well within the HTTP body limit) is as large as can
 * be: no factor's response comes near that depth, and measuring it must not become a 500.
 */
function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch (error) {
    if (error instanceof RangeError) return Number.POSITIVE_INFINITY;
    throw error;
  }
}

function bindingKey(binding: AttemptBinding): string {
  if ('signInChallengeId' in binding) return `sign-in:${binding.signInChallengeId.toHexString()}`;
  if ('sessionId' in binding) return `session:${binding.sessionId.toHexString()}`;
  return `passwordless:${binding.passwordlessKey}`;
}
