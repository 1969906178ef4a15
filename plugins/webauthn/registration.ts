import {
  generateRegistrationOptions,
  verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON,
} from '@simplewebauthn/server';
import type { FactorOwner } from '../../src/plugin-kit.js';
import { isBase64Url, toBase64Url } from './base64url.js';
import { registrationResponse } from './credential-response.js';
import { isCounter, knownTransports, type PasskeyState } from './passkey-credential.js';
import { userHandle } from './user-handle.js';
import { CEREMONY_TIMEOUT_MS, PUBLIC_KEY_MAX_BYTES } from './webauthn.constants.js';
import type { WebAuthnSettings } from './webauthn-settings.js';

/**
 * PublicKeyCredentialCreationOptionsJSON for a new passkey of `owner`. The passkeys the owner already has are
 * excluded, so an authenticator that holds one says so instead of registering a second factor for itself.
 */
export async function creationOptions(
  settings: WebAuthnSettings,
  owner: FactorOwner,
  existing: readonly PasskeyState[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: settings.rpName,
    rpID: settings.rpId,
    userName: owner.username,
    userDisplayName: owner.username,
    userID: userHandle(owner.id),
    timeout: CEREMONY_TIMEOUT_MS,
    // We decide nothing on the authenticator's make or certification, so we ask for no attestation: the browser
    // then sends none, and no identifying certificate reaches us (WebAuthn §14.4.1).
    attestationType: 'none',
    excludeCredentials: existing.map(({ credentialId, transports }) => ({ id: credentialId, transports })),
    // A discoverable credential where the authenticator can store one (passwordless sign-in later); user
    // verification where it can, though a second factor after a password does not need it.
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
}

/**
 * The passkey a registration response creates, when @simplewebauthn/server verifies it against our challenge,
 * origins and RP ID; undefined for any refusal (the library throws for most of them).
 */
export async function verifyRegistration(
  settings: WebAuthnSettings,
  response: unknown,
  expectedChallenge: string,
): Promise<PasskeyState | undefined> {
  const credential = registrationResponse(response);
  if (!credential) return undefined;
  let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    result = await verifyRegistrationResponse({
      response: credential,
      expectedChallenge,
      expectedOrigin: settings.origins,
      expectedRPID: settings.rpId,
      // A second factor after a password proves possession; UV is demanded where it is the only factor (passwordless).
      requireUserVerification: false,
    });
  } catch {
    // Its refusals are plain Errors, and so are its reactions to a malformed attestation object or COSE key: nothing
    // tells a fault of ours apart from a bad response, so every throw is a refused response.
    return undefined;
  }
  if (!result.verified) return undefined;
  const { credential: created, credentialBackedUp, credentialDeviceType, aaguid } = result.registrationInfo;
  // The library takes the id from the authenticator data and does not compare it with the one the client named.
  if (created.id !== credential.id || !isCounter(created.counter)) return undefined;
  const publicKey = toBase64Url(created.publicKey);
  if (!isBase64Url(publicKey, { maxBytes: PUBLIC_KEY_MAX_BYTES })) return undefined;
  return {
    credentialId: created.id,
    publicKey,
    counter: created.counter,
    transports: knownTransports(credential.response.transports),
    backedUp: credentialBackedUp,
    deviceType: credentialDeviceType,
    aaguid,
  };
}
