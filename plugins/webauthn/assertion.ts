import {
  generateAuthenticationOptions,
  verifyAuthenticationResponse,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { authenticationResponse } from './credential-response.js';
import { isCounter, toWebAuthnCredential, type PasskeyState } from './passkey-credential.js';
import { toBase64Url } from './base64url.js';
import { userHandle } from './user-handle.js';
import { CEREMONY_TIMEOUT_MS } from './webauthn.constants.js';
import type { WebAuthnSettings } from './webauthn-settings.js';

/**
 * PublicKeyCredentialRequestOptionsJSON: for one passkey (`allow`), or, with none, for whichever discoverable
 * passkey of this RP the user picks.
 */
export async function requestOptions(
  settings: WebAuthnSettings,
  allow: readonly PasskeyState[],
  userVerification: 'preferred' | 'required',
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: settings.rpId,
    allowCredentials: allow.map(({ credentialId, transports }) => ({ id: credentialId, transports })),
    userVerification,
    timeout: CEREMONY_TIMEOUT_MS,
  });
}

export interface AssertionCheck {
  credential: PasskeyState;
  /** The account the passkey belongs to: a user handle in the response must be its own. */
  ownerId: string;
  expectedChallenge: string;
  /** Passwordless sign-in: the passkey is the only factor, so the authenticator must have verified the user. */
  passwordless: boolean;
}

/** What an accepted assertion changes in the passkey's state. */
export type AssertionResult = Pick<PasskeyState, 'counter' | 'backedUp'>;

/** The audit trail's word for a valid signature whose counter did not grow: two authenticators hold the key. */
export const COUNTER_NOT_INCREASING = 'counter_not_increasing';

/**
 * Whether `response` is an assertion of `credential` over our challenge, origins and RP ID (@simplewebauthn/server
 * checks the signature and flags, we the counter); undefined for a refusal, which the library mostly throws, and
 * `{ refused: COUNTER_NOT_INCREASING }` for a valid signature with a counter that did not grow (a clone).
 */
export async function verifyAssertion(
  settings: WebAuthnSettings,
  response: unknown,
  { credential, ownerId, expectedChallenge, passwordless }: AssertionCheck,
): Promise<AssertionResult | { refused: typeof COUNTER_NOT_INCREASING } | undefined> {
  const assertion = authenticationResponse(response);
  // The library verifies against the credential it is given and never compares it with the one the response names.
  if (!assertion || assertion.id !== credential.credentialId) return undefined;
  // WebAuthn §7.2 step 6: a user handle, when given, must be the owner's; a passwordless sign-in must have one, since
  // the user was identified by nothing else.
  const handle = assertion.response.userHandle;
  if (handle !== undefined && handle !== toBase64Url(userHandle(ownerId))) return undefined;
  if (passwordless && handle === undefined) return undefined;
  let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    result = await verifyAuthenticationResponse({
      response: assertion,
      expectedChallenge,
      expectedOrigin: settings.origins,
      expectedRPID: settings.rpId,
      // Counter 0: the library would throw on a counter that did not grow, a refusal like any other; the counter
      // rule is applied below, once the signature is known good, so that a clone is told apart (and only the key's
      // holder can make that claim in the audit trail).
      credential: { ...toWebAuthnCredential(credential), counter: 0 },
      requireUserVerification: passwordless,
    });
  } catch {
    // Its refusals (origin, RP ID, flags, counter) are plain Errors, like its reactions to malformed authenticator
    // data or CBOR: nothing tells a fault of ours apart from a bad response, so every throw is a refused response.
    return undefined;
  }
  if (!result.verified) return undefined;
  const { newCounter, credentialDeviceType, credentialBackedUp } = result.authenticationInfo;
  if (!isCounter(newCounter)) return undefined;
  if (!counterMayFollow(credential.counter, newCounter)) return { refused: COUNTER_NOT_INCREASING };
  // Backup eligibility is fixed when a credential is created (WebAuthn §6.1.3): a change means another authenticator.
  if (credentialDeviceType !== credential.deviceType) return undefined;
  return { counter: newCounter, backedUp: credentialBackedUp };
}

/**
 * WebAuthn §6.1.1: a signature counter that does not grow means two authenticators share the key (a clone), so
 * it is refused; an authenticator without a counter (synced passkeys) always says 0, which is taken while the
 * stored one is 0 too. The library has the same rule, but it is kept out of it (see verifyAssertion): this is the
 * only check, so that the refusal can say why.
 */
export function counterMayFollow(stored: number, received: number): boolean {
  return (stored === 0 && received === 0) || received > stored;
}
