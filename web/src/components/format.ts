import { factorTypeName } from './factor-names';

// How the console words the API's values (moments, devices, sign-in methods): one place, so every page says the same.

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const DATE_TIME_SECONDS = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A moment in the reader's locale and time zone, e.g. "30 Nov 2026, 19:40"; "—" when there is none. */
export function formatDateTime(iso: string | null | undefined): string {
  return iso ? DATE_TIME.format(new Date(iso)) : '—';
}

/** A moment to the second, for logs whose entries a minute would not tell apart, e.g. "30 Nov 2026, 19:40:12". */
export function formatDateTimeSeconds(iso: string | null | undefined): string {
  return iso ? DATE_TIME_SECONDS.format(new Date(iso)) : '—';
}

/** A day in the reader's locale, e.g. "30 Nov 2026"; "—" when there is none. */
export function formatDate(iso: string | null | undefined): string {
  return iso ? DATE.format(new Date(iso)) : '—';
}

/**
 * A User-Agent as a person recognises their device: "Firefox on Windows", "Safari on iPhone", "curl". The header is
 * free text any client may send, so this only recognises the common browsers and tools, and otherwise shows the
 * header's first word rather than guessing.
 */
export function deviceName(userAgent: string | null | undefined): string {
  const agent = userAgent?.trim();
  if (!agent) return 'Unknown device';
  const browser = browserOf(agent);
  const system = systemOf(agent);
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return browser;
  const first = /^[^\s/;()]+/.exec(agent)?.[0] ?? agent;
  return first.length > 40 ? `${first.slice(0, 40)}…` : first;
}

function browserOf(agent: string): string | undefined {
  // Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
  const browsers: Array<[RegExp, string]> = [
    [/\bEdg(e|A|iOS)?\//, 'Edge'],
    [/\b(OPR|Opera)\//, 'Opera'],
    [/\bSamsungBrowser\//, 'Samsung Internet'],
    [/\b(Firefox|FxiOS)\//, 'Firefox'],
    [/\b(HeadlessChrome|Chrome|Chromium|CriOS)\//, 'Chrome'],
    [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
    [/^curl\//, 'curl'],
    [/^Wget\//, 'Wget'],
    [/^(node|undici)\b/, 'Node.js'],
    [/^python-requests\//, 'Python requests'],
    [/^Go-http-client\//, 'Go HTTP client'],
  ];
  return browsers.find(([pattern]) => pattern.test(agent))?.[1];
}

function systemOf(agent: string): string | undefined {
  const systems: Array<[RegExp, string]> = [
    [/\biPhone\b/, 'iPhone'],
    [/\biPad\b/, 'iPad'],
    [/\bAndroid\b/, 'Android'],
    [/\bCrOS\b/, 'ChromeOS'],
    [/\bWindows\b/, 'Windows'],
    [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
    [/\bLinux\b|\bX11\b/, 'Linux'],
  ];
  return systems.find(([pattern]) => pattern.test(agent))?.[1];
}

/** How a session's sign-in was proven, in the words the rest of the console uses. */
export function signInMethodName(method: string): string {
  if (method === 'password') return 'Password';
  if (method === 'recovery_code') return 'Recovery code';
  return factorTypeName(method);
}
