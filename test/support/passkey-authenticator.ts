import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { Authenticator, FactorAnswer } from './factor-client.js';
import { SoftwarePasskey } from './software-passkey.js';

export interface PasskeyAuthenticatorOptions {
  /** The page the ceremonies run on (clientDataJSON's origin); the plugin must accept it. */
  origin: string;
  /**
   * Synced passkeys (a password manager's, backed up): no signature counter, so only the challenge tells a replayed
   * assertion from a fresh one. Otherwise device-bound keys whose counter grows with each assertion. @default true
   */
  synced?: boolean;
}

/**
 * A passkey per factor, held by a software authenticator on a page at `origin`, for the conformance suite: it
 * registers with enableMfa's `creationOptions` (a WebAuthn plugin's details) and signs beginMfa's request options.
 * A wrong answer is a registration over another challenge, or an assertion whose signature does not verify.
 */
export function passkeyAuthenticator({ origin, synced = true }: PasskeyAuthenticatorOptions): Authenticator {
  const kind = synced ? { counterStep: 0, backedUp: true } : { counterStep: 1, backedUp: false };
  const passkeys = new Map<string, SoftwarePasskey>();
  // One registration per PENDING factor: asked again, the same answer (as a TOTP app shows one code per step).
  const registrations = new Map<string, FactorAnswer>();

  const passkeyOf = (factorId: string) => {
    const passkey = passkeys.get(factorId);
    assert.ok(passkey, `no passkey was registered for factor ${factorId}`);
    return passkey;
  };

  return {
    enroll({ factorId, details }) {
      const known = registrations.get(factorId);
      if (known) return known;
      const passkey = new SoftwarePasskey();
      const answer = { response: passkey.create(creationOptionsOf(details), { origin, ...kind }) };
      passkeys.set(factorId, passkey);
      registrations.set(factorId, answer);
      return answer;
    },
    answer({ factorId, challenge }) {
      return { response: passkeyOf(factorId).get(requestOptionsOf(challenge.options), { origin }) };
    },
    wrong(_valid, context) {
      if ('challenge' in context)
        return {
          response: passkeyOf(context.factorId).get(requestOptionsOf(context.challenge.options), {
            origin,
            tamperSignature: true,
          }),
        };
      // Another passkey's registration, signed over a challenge the server never issued.
      const challenge = randomBytes(32).toString('base64url');
      return {
        response: new SoftwarePasskey().create(creationOptionsOf(context.details), { origin, challenge, ...kind }),
      };
    },
  };
}

function creationOptionsOf(details: Record<string, unknown>): PublicKeyCredentialCreationOptionsJSON {
  const options = details.creationOptions as PublicKeyCredentialCreationOptionsJSON | undefined;
  assert.ok(
    options && typeof options.challenge === 'string' && options.user && options.rp,
    `enableMfa's details hold no WebAuthn creation options: ${JSON.stringify(details)}`,
  );
  return options;
}

function requestOptionsOf(options: unknown): PublicKeyCredentialRequestOptionsJSON {
  const request = options as PublicKeyCredentialRequestOptionsJSON | null;
  assert.ok(
    request && typeof request.challenge === 'string',
    `beginMfa's options are no WebAuthn request options: ${JSON.stringify(options)}`,
  );
  return request;
}
