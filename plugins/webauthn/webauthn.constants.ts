/**
 * The WebAuthn numbers of this plugin, each with its reason beside it.
 */

/**
 * How long the browser lets the user take (PublicKeyCredentialCreationOptions/RequestOptions `timeout`). Five
 * minutes, the same as the sign-in's mfaToken: WebAuthn §15.1 recommends 300 s when user verification is
 * required or preferred, for people who need longer to find and unlock a device.
 */
export const CEREMONY_TIMEOUT_MS = 5 * 60 * 1000;

/** WebAuthn §6.5.1 (credentialIdLength): a credential ID is at most 1023 bytes. */
export const CREDENTIAL_ID_MAX_BYTES = 1023;

/** A COSE_Key: 77 bytes for P-256, ~270 for RSA-2048; 2 KiB leaves room for RSA-4096 and ML-DSA-44 (1312-byte key). */
export const PUBLIC_KEY_MAX_BYTES = 2048;

/** WebAuthn §5.4.3: a user handle is at most 64 bytes; ours is a 32-byte hash. */
export const USER_HANDLE_MAX_BYTES = 64;

/**
 * Largest response (a PublicKeyCredential's JSON) the core lets through. A "none" attestation or an assertion of
 * an ES256 key is well under 1 KiB (the software authenticator's are ~0.7 KiB); the rest leaves room for an
 * attestation object carrying a certificate chain (packed, TPM), a few KiB once in base64url.
 */
export const RESPONSE_MAX_BYTES = 16 * 1024;

/** WebAuthn §5.8.4 AuthenticatorTransport, the values a browser may report and be given back. */
export const TRANSPORTS = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] as const;
