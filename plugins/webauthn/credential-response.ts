import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { isBase64Url } from './base64url.js';
import { CREDENTIAL_ID_MAX_BYTES, RESPONSE_MAX_BYTES, USER_HANDLE_MAX_BYTES } from './webauthn.constants.js';

/*
 * A client's response is anything JSON can hold. These functions turn it into the shape @simplewebauthn/server
 * reads, or undefined, so the library never meets a value of the wrong type: it throws on most refusals, and a
 * throw from it can then be read as "refused" with some confidence.
 */

/** The credential id a response names (`id`, the same as `rawId`), canonical base64url; undefined if none. */
export function credentialIdOf(response: unknown): string | undefined {
  if (!isRecord(response)) return undefined;
  const { id, rawId } = response;
  return isBase64Url(id, { maxBytes: CREDENTIAL_ID_MAX_BYTES }) && rawId === id ? id : undefined;
}

/** A registration response (navigator.credentials.create's credential, as JSON), or undefined. */
export function registrationResponse(response: unknown): RegistrationResponseJSON | undefined {
  const id = credentialIdOf(response);
  if (id === undefined || !isRecord(response) || response.type !== 'public-key') return undefined;
  const inner = response.response;
  if (!isRecord(inner) || !isBase64Url(inner.attestationObject, { maxBytes: RESPONSE_MAX_BYTES })) return undefined;
  if (!isClientData(inner.clientDataJSON, 'webauthn.create')) return undefined;
  const transports = Array.isArray(inner.transports) ? inner.transports.filter((t) => typeof t === 'string') : [];
  return {
    id,
    rawId: id,
    type: 'public-key',
    response: { clientDataJSON: inner.clientDataJSON, attestationObject: inner.attestationObject, transports },
    clientExtensionResults: {},
  };
}

/** An authentication response (navigator.credentials.get's credential, as JSON), or undefined. */
export function authenticationResponse(response: unknown): AuthenticationResponseJSON | undefined {
  const id = credentialIdOf(response);
  if (id === undefined || !isRecord(response) || response.type !== 'public-key') return undefined;
  const inner = response.response;
  if (!isRecord(inner) || !isClientData(inner.clientDataJSON, 'webauthn.get')) return undefined;
  const { authenticatorData, signature, userHandle } = inner;
  // 37 bytes: rpIdHash, flags and signCount (WebAuthn §6.1); an ECDSA signature is at least 8 bytes of DER.
  if (!isBase64Url(authenticatorData, { minBytes: 37, maxBytes: RESPONSE_MAX_BYTES })) return undefined;
  if (!isBase64Url(signature, { minBytes: 8, maxBytes: RESPONSE_MAX_BYTES })) return undefined;
  // A browser sends null for an authenticator that returned no user handle.
  if (userHandle !== undefined && userHandle !== null && !isBase64Url(userHandle, { maxBytes: USER_HANDLE_MAX_BYTES }))
    return undefined;
  return {
    id,
    rawId: id,
    type: 'public-key',
    response: {
      clientDataJSON: inner.clientDataJSON,
      authenticatorData,
      signature,
      ...(typeof userHandle === 'string' ? { userHandle } : {}),
    },
    clientExtensionResults: {},
  };
}

/**
 * clientDataJSON (WebAuthn §5.8.1) that is a JSON object of the ceremony's `type` with string `challenge` and
 * `origin`, made in a top-level page. `crossOrigin` set means a page of another site framed ours and started the
 * ceremony; nothing here is meant to be framed, and @simplewebauthn checks it only when the browser also says the
 * top origin (Safari does not), and not at all for registration, so it is refused here.
 */
function isClientData(value: unknown, type: 'webauthn.create' | 'webauthn.get'): value is string {
  if (!isBase64Url(value, { maxBytes: RESPONSE_MAX_BYTES })) return false;
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  return (
    isRecord(data) &&
    data.type === type &&
    typeof data.challenge === 'string' &&
    typeof data.origin === 'string' &&
    (data.crossOrigin === undefined || data.crossOrigin === false) &&
    data.topOrigin === undefined
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
