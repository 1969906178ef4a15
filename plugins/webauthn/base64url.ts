const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Whether `value` is unpadded base64url in its one canonical spelling, of at most `maxBytes` decoded bytes.
 * Canonical matters: "AB" and "AC" decode to the same byte, and a credential id is compared as a string (the
 * factor's lookup key), so only the spelling the browser and the library write (RFC 4648 §3.5) is taken.
 */
export function isBase64Url(
  value: unknown,
  { minBytes = 1, maxBytes }: { minBytes?: number; maxBytes: number },
): value is string {
  if (typeof value !== 'string' || value.length > Math.ceil((maxBytes * 4) / 3) || !BASE64URL.test(value)) return false;
  const bytes = Buffer.from(value, 'base64url');
  return bytes.length >= minBytes && bytes.length <= maxBytes && bytes.toString('base64url') === value;
}

export const fromBase64Url = (value: string) => new Uint8Array(Buffer.from(value, 'base64url'));

export const toBase64Url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
