import { isIP } from 'node:net';
import type { FactorPluginOptions } from '../../src/plugin-kit.js';

/** Where passkeys of this deployment are bound: the RP ID the authenticator scopes them to, and the pages that may use them. */
export interface WebAuthnSettings {
  /** The relying party ID: a domain; the authenticator signs its SHA-256 into every response. */
  rpId: string;
  /** Every origin (`https://host[:port]`) a browser may report in clientDataJSON, exactly as it writes them. */
  origins: string[];
  /** Shown by the authenticator when a passkey is created. */
  rpName: string;
}

const KNOWN_SETTINGS = ['RP_ID', 'ORIGINS', 'RP_NAME'];
const RP_NAME_MAX_CHARS = 100;
/** RFC 1035 §2.3.4: a name is at most 253 characters in text, a label 1–63 letters, digits and hyphens. */
const DOMAIN_MAX_CHARS = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The plugin's settings from `WEBAUTHN_*` (RP_ID, ORIGINS comma-separated, RP_NAME), defaulting to PUBLIC_URL's
 * host and origin and MFA_ISSUER. Checked once at start, since a wrong RP ID or origin refuses every passkey
 * later (or, worse, accepts one created on a page that is not ours).
 * @throws Error naming the setting and what is wrong with it.
 */
export function webauthnSettings(
  options: Pick<FactorPluginOptions, 'issuer' | 'publicUrl' | 'settings' | 'production'>,
): WebAuthnSettings {
  const settings = options.settings ?? {};
  const unknown = Object.keys(settings).filter((key) => !KNOWN_SETTINGS.includes(key));
  if (unknown.length > 0)
    fail(
      `unknown setting ${unknown.map((key) => `WEBAUTHN_${key}`).join(', ')} (known: WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS, WEBAUTHN_RP_NAME)`,
    );

  const origins =
    settings.ORIGINS === undefined
      ? [origin(options.publicUrl, 'PUBLIC_URL', { allowPath: true })]
      : settings.ORIGINS.split(',').map((entry) => origin(entry.trim(), 'WEBAUTHN_ORIGINS', { allowPath: false }));

  const rpId = settings.RP_ID === undefined ? new URL(origins[0]).hostname : settings.RP_ID.trim().toLowerCase();
  checkRpId(rpId, settings.RP_ID === undefined ? 'the RP ID (PUBLIC_URL host)' : 'WEBAUTHN_RP_ID');

  for (const entry of origins) {
    const url = new URL(entry);
    // WebAuthn §5.1.3 / §5.1.4.1: the RP ID must be the origin's host or a registrable domain suffix of it.
    if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`))
      fail(`origin ${entry} is not on the RP ID ${rpId} (its host must be ${rpId} or end in .${rpId})`);
    // Browsers offer WebAuthn only in secure contexts; plain http works for localhost alone (W3C Secure Contexts).
    if (options.production && url.protocol !== 'https:' && !isLocalhost(url.hostname))
      fail(`origin ${entry} is not https, which production requires (http is allowed for localhost only)`);
  }

  const rpName = (settings.RP_NAME ?? options.issuer ?? '').trim();
  if (rpName.length === 0 || rpName.length > RP_NAME_MAX_CHARS || /\p{Cc}/u.test(rpName))
    fail(`WEBAUTHN_RP_NAME (default MFA_ISSUER) must be 1..${RP_NAME_MAX_CHARS} characters without control characters`);

  return { rpId, origins: [...new Set(origins)], rpName };
}

/** An origin as a browser serialises it into clientDataJSON (scheme, lower-case host, port only when not the default). */
function origin(value: string | undefined, name: string, { allowPath }: { allowPath: boolean }): string {
  if (typeof value !== 'string') fail(`${name} is not set`);
  if (value === '') fail(`${name} has an empty entry`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`${name} entry ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`${name} entry ${value} is not an http(s) URL`);
  if (url.username !== '' || url.password !== '') fail(`${name} entry ${value} carries credentials`);
  // PUBLIC_URL may name a page below the origin; an origin in WEBAUTHN_ORIGINS is an origin and nothing more.
  if (
    !allowPath &&
    (url.pathname !== '/' || url.search !== '' || url.hash !== '' || value.endsWith('?') || value.endsWith('#'))
  )
    fail(`${name} entry ${value} has a path, query or fragment: an origin is scheme://host[:port] only`);
  return url.origin;
}

function checkRpId(rpId: string, name: string): void {
  if (isIP(rpId) !== 0 || rpId.startsWith('['))
    fail(`${name} ${rpId} is an IP address: browsers accept only domain names as RP IDs`);
  const labels = rpId.split('.');
  if (rpId.length > DOMAIN_MAX_CHARS || !labels.every((label) => LABEL.test(label)))
    fail(`${name} ${JSON.stringify(rpId)} is not a domain name`);
  // Without the Public Suffix List this catches the common mistake only: a single label ("com") other than localhost
  // would scope passkeys to every site under it, which browsers refuse anyway.
  if (labels.length < 2 && rpId !== 'localhost')
    fail(`${name} ${rpId} is a top-level domain, not a registrable domain`);
}

function isLocalhost(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost');
}

function fail(message: string): never {
  throw new Error(`webauthn factor: ${message}`);
}
