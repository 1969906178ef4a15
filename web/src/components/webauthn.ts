// The browser's half of the passkey ceremonies, through @simplewebauthn/browser (the counterpart of the server's
// @simplewebauthn/server): the API's options are WebAuthn's JSON forms, and so are the answers it takes.
import {
  startAuthentication,
  startRegistration,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/browser';

/** Creates a passkey from enableMfa's `creationOptions`; the answer goes to acceptMfa as `response`. */
export function createPasskey(optionsJson: unknown): Promise<RegistrationResponseJSON> {
  return startRegistration({ optionsJSON: optionsJson as PublicKeyCredentialCreationOptionsJSON });
}

/** Signs with a passkey for beginMfa's `options`; the answer goes to verifyMfa (or stepUp…) as `response`. */
export function getPasskeyAssertion(optionsJson: unknown): Promise<AuthenticationResponseJSON> {
  return startAuthentication({ optionsJSON: optionsJson as PublicKeyCredentialRequestOptionsJSON });
}
