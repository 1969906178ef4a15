/**
 * What a person may put inside a factor's code: authenticator apps show
 * "123 456" and some mails "123-456". ASCII spaces anywhere and one dash are
 * taken out before the plugin's exact `codePattern` check, the same for every
 * factor type; anything else (tabs, no-break or other Unicode spaces, two
 * dashes, Unicode digits, letters where the pattern has none) is left in, so
 * the code stays refused. Recovery codes have their own, wider rule
 * (`normalizeRecoveryCode` in recovery-codes.ts).
 */
export function compactCode(input: string): string {
  const spaceless = input.replaceAll(' ', '');
  const dash = spaceless.indexOf('-');
  if (dash === -1 || spaceless.indexOf('-', dash + 1) !== -1) return spaceless;
  return spaceless.slice(0, dash) + spaceless.slice(dash + 1);
}
