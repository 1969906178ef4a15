import type { IncomingHttpHeaders } from 'node:http';
import { API_KEY_PREFIX } from '../api-keys/api-keys.service.js';
import type { Services } from '../services.js';
import { DEVICE_TOKEN_PREFIX } from '../mfa/trusted-devices.service.js';
import { ACCESS_TOKEN_PREFIX } from '../sessions/sessions.service.js';
import type { Viewer } from './viewer.js';

/**
 * The console's session cookie: an access token, never an API key. A cookie travels with every request the browser
 * makes, so only the endpoints that ask for it read it: GET /auth/check and GraphQL, whose CSRF prevention refuses
 * the requests another site's page could make (src/auth/session-delivery.ts sets it).
 */
export const SESSION_COOKIE = 'mfa_session';

/**
 * The console's "Remember this device": a device token (verifyMfa's rememberDevice), kept where no script can read
 * it. Only login reads it (with cookie: true and no deviceToken argument); it is never a credential on its own.
 */
export const DEVICE_COOKIE = 'mfa_device';

/** The characters of an access token or API key (prefix and base64url), at most 200 of them. */
const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;
const BEARER = /^Bearer ([A-Za-z0-9_-]{1,200})$/;

/** What a request presents, read from its headers alone. */
export type PresentedCredential =
  | { kind: 'none' }
  /** Something that cannot be a credential of ours: another scheme, another prefix, bad characters, two cookies. */
  | { kind: 'malformed' }
  /** `fromCookie` when it came as the session cookie rather than in the Authorization header. */
  | { kind: 'session'; accessToken: string; fromCookie?: true }
  | { kind: 'apiKey'; secret: string };

/**
 * Reads `Authorization: Bearer <access token or API key>` (told apart by prefix) or, when `cookie` is asked for and
 * there is no Authorization header, the session cookie. An Authorization header always wins: a malformed one is not
 * overruled by a cookie.
 */
export function presentedCredential(
  headers: Pick<IncomingHttpHeaders, 'authorization' | 'cookie'>,
  accept: { cookie: boolean },
): PresentedCredential {
  const header = headers.authorization;
  if (header !== undefined) {
    const credential = BEARER.exec(header)?.[1];
    if (credential?.startsWith(ACCESS_TOKEN_PREFIX)) return { kind: 'session', accessToken: credential };
    if (credential?.startsWith(API_KEY_PREFIX)) return { kind: 'apiKey', secret: credential };
    return { kind: 'malformed' };
  }
  if (!accept.cookie || headers.cookie === undefined) return { kind: 'none' };
  const values = cookieValues(headers.cookie, SESSION_COOKIE);
  if (values.length === 0) return { kind: 'none' };
  // Two cookies of one name (one planted by a sibling subdomain, say): which the browser meant cannot be told.
  if (values.length > 1) return { kind: 'malformed' };
  const [value] = values;
  if (!TOKEN.test(value) || !value.startsWith(ACCESS_TOKEN_PREFIX)) return { kind: 'malformed' };
  return { kind: 'session', accessToken: value, fromCookie: true };
}

/**
 * The device token of the `mfa_device` cookie, when there is exactly one well-formed one; anything else reads as none
 * (a second factor is then asked, as without it).
 */
export function presentedDeviceToken(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  const values = cookieValues(cookieHeader, DEVICE_COOKIE);
  if (values.length !== 1) return undefined;
  const [value] = values;
  return TOKEN.test(value) && value.startsWith(DEVICE_TOKEN_PREFIX) ? value : undefined;
}

/** Every value of the cookie `name` in a Cookie header (RFC 6265 §5.4: `name=value` pairs joined by "; "). */
function cookieValues(header: string, name: string): string[] {
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at === -1 || pair.slice(0, at).trim() !== name) continue;
    values.push(pair.slice(at + 1).trim());
  }
  return values;
}

/** Who a request's credential names, or why there is nobody; `fromCookie` when the session cookie was that credential. */
export type CredentialCheck =
  | { outcome: 'anonymous' }
  | { outcome: 'viewer'; viewer: Viewer; fromCookie: boolean }
  /** `malformed`, or the kind of credential that was well formed but is unknown, expired or revoked. */
  | { outcome: 'refused'; reason: 'malformed' | 'session' | 'apiKey'; fromCookie: boolean };

export type CredentialResolver = (
  headers: Pick<IncomingHttpHeaders, 'authorization' | 'cookie'>,
  accept: { cookie: boolean },
) => Promise<CredentialCheck>;

/**
 * The one path from a request's credential to a viewer, for the GraphQL context and GET /auth/check alike: an access
 * token through SessionsService.authenticate, an API key through ApiKeysService.authenticate.
 */
export function credentialResolver(services: Pick<Services, 'sessions' | 'apiKeys'>): CredentialResolver {
  return async (headers, accept) => {
    const presented = presentedCredential(headers, accept);
    switch (presented.kind) {
      case 'none':
        return { outcome: 'anonymous' };
      case 'malformed':
        // A malformed Authorization header, or a cookie (bad characters, two of them) that the browser sent.
        return { outcome: 'refused', reason: 'malformed', fromCookie: headers.authorization === undefined };
      case 'session': {
        const fromCookie = presented.fromCookie === true;
        const found = await services.sessions.authenticate(presented.accessToken);
        return found
          ? { outcome: 'viewer', viewer: { kind: 'session', ...found }, fromCookie }
          : { outcome: 'refused', reason: 'session', fromCookie };
      }
      case 'apiKey': {
        const found = await services.apiKeys.authenticate(presented.secret);
        return found
          ? { outcome: 'viewer', viewer: { kind: 'apiKey', ...found }, fromCookie: false }
          : { outcome: 'refused', reason: 'apiKey', fromCookie: false };
      }
    }
  };
}
