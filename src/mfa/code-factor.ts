import type { ClassType } from 'type-graphql';
import type {
  BeginRequest,
  Begun,
  DeliveryLimits,
  EnrollRequest,
  Enrollment,
  FactorAssurance,
  FactorPlugin,
  KeyedHash,
  RawEnrollmentInput,
  StoredFactor,
  Verdict,
  VerifyRequest,
} from './factor-plugin-v2.js';

/** What a typed-code factor (TOTP, e-mail, SMS) describes; `codeFactor` makes the ceremony around it. */
export interface CodeFactorSpec {
  type: string;
  displayName: string;
  /** @default "possession" */
  assurance?: FactorAssurance;
  /** The exact form of a code, without the ASCII spaces and the one dash the core takes out first, e.g. `/^\d{6}$/`. */
  pattern: RegExp;
  /** @default 64 */
  maxChars?: number;
  detailsType: ClassType;
  parseEnrollmentInput?(input: RawEnrollmentInput): Record<string, unknown>;
  enroll(request: EnrollRequest): Promise<Enrollment>;
  /**
   * The replay key a well-formed code belongs to — a TOTP time step, an e-mail send's sequence number — or null
   * when it is wrong. The core accepts each key of a factor once and refuses it and every older one afterwards,
   * atomically. Compare in constant time.
   */
  match(request: CodeMatchRequest): Promise<number | null>;
  /** For factors that deliver codes: a fresh code, and the state that replaces the previous one. */
  deliver?(request: BeginRequest): Promise<NonNullable<Begun['deliver']>>;
  delivery?: DeliveryLimits;
  destination?(factor: StoredFactor): string;
  provenEmail?(factor: StoredFactor): string | undefined;
}

export interface CodeMatchRequest {
  factor: StoredFactor;
  /** Compacted and checked against `pattern`. */
  code: string;
  now: Date;
  keyedHash: KeyedHash;
  /** Keys at or before this one are spent: `match` may skip the work for them (and answer null). */
  afterKey?: number;
}

/**
 * A factor plugin for typed codes. A code is accepted when `match` names a key newer than the last one spent;
 * a refused code whose key was spent is told apart from a wrong one (`alreadyUsed`), so the client can say
 * "wait for the next code" rather than "wrong code".
 */
export function codeFactor(spec: CodeFactorSpec): FactorPlugin {
  const { match, deliver, pattern, maxChars, assurance, ...plugin } = spec;
  const verify = async ({ factor, response, now, keyedHash }: VerifyRequest): Promise<Verdict> => {
    if (typeof response !== 'string') return { accepted: false };
    const spent = factor.lastReplayKey;
    const request = { factor, code: response, now, keyedHash };
    const key = await match({ ...request, afterKey: spent });
    if (key !== null && (spent === undefined || key > spent)) return { accepted: true, replayKey: key };
    if (spent === undefined) return { accepted: false };
    // Refused. A `match` that skips spent keys (TOTP) answers null for a replay, so ask once more as if none were
    // spent: a key at or before the spent one means the code was right once and is used up, not mistyped.
    const earlier = key ?? (await match(request));
    return { accepted: false, alreadyUsed: earlier !== null && earlier <= spent };
  };
  return {
    ...plugin,
    assurance: assurance ?? 'possession',
    responseLimits: { kind: 'code', pattern, maxChars },
    verify,
    ...(deliver
      ? { begin: async (request: BeginRequest): Promise<Begun> => ({ deliver: await deliver(request) }) }
      : {}),
  };
}
