import type { WebAuthnCredential } from '@simplewebauthn/server';
import { isBase64Url, fromBase64Url } from './base64url.js';
import { CREDENTIAL_ID_MAX_BYTES, PUBLIC_KEY_MAX_BYTES, TRANSPORTS } from './webauthn.constants.js';

/** What an ACTIVE passkey factor keeps (its `state`): nothing secret, a public key and what the RP may show or check. */
export interface PasskeyState {
  /** base64url, as the browser names it (`PublicKeyCredential.id`); also the factor's lookup key. */
  credentialId: string;
  /** The COSE_Key, base64url. */
  publicKey: string;
  /** The signature counter last accepted (WebAuthn §6.1.1); 0 for authenticators without one (synced passkeys). */
  counter: number;
  /** Hints for the browser (allowCredentials, excludeCredentials), filtered to the values WebAuthn defines. */
  transports: string[];
  /** Backup state (BS flag), as last seen. */
  backedUp: boolean;
  /** From the backup-eligible flag (BE), fixed at creation: a synced passkey is "multiDevice". */
  deviceType: 'singleDevice' | 'multiDevice';
  /** The authenticator model, when it says (all zeroes otherwise). */
  aaguid: string;
}

/** The largest value a 32-bit signature counter takes (WebAuthn §6.1: signCount is 4 bytes, big-endian). */
const COUNTER_MAX = 0xffffffff;

export const isCounter = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= COUNTER_MAX;

/**
 * The factor's state as a passkey, or an error. The state is ours (written by `activate`), so a state that is not
 * a passkey is a fault of the server or its database, not a wrong answer: it throws rather than refusing.
 */
export function passkeyState(state: Record<string, unknown>): PasskeyState {
  const { credentialId, publicKey, counter, transports, backedUp, deviceType, aaguid } = state;
  if (
    !isBase64Url(credentialId, { maxBytes: CREDENTIAL_ID_MAX_BYTES }) ||
    !isBase64Url(publicKey, { maxBytes: PUBLIC_KEY_MAX_BYTES }) ||
    !isCounter(counter) ||
    !Array.isArray(transports) ||
    !transports.every((transport) => typeof transport === 'string') ||
    typeof backedUp !== 'boolean' ||
    (deviceType !== 'singleDevice' && deviceType !== 'multiDevice') ||
    typeof aaguid !== 'string'
  )
    throw new Error('webauthn factor: the stored factor state is not a passkey credential');
  return { credentialId, publicKey, counter, transports: transports, backedUp, deviceType, aaguid };
}

/** The credential as @simplewebauthn/server verifies an assertion against it. */
export function toWebAuthnCredential(state: PasskeyState): WebAuthnCredential {
  return {
    id: state.credentialId,
    publicKey: fromBase64Url(state.publicKey),
    counter: state.counter,
    transports: state.transports,
  };
}

/** The transports a client reported, kept only when WebAuthn defines them, once each: they are echoed to browsers. */
export function knownTransports(reported: unknown): string[] {
  if (!Array.isArray(reported)) return [];
  return TRANSPORTS.filter((transport) => reported.includes(transport));
}
