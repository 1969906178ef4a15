import { createRequire } from 'node:module';

/**
 * The rules a new password must meet (signUp, changePassword, resetPassword), after NIST SP 800-63B rev 4
 * §3.1.1.2: a minimum length, a generous maximum, any Unicode including spaces, no composition rules ("one digit,
 * one capital"), and a blocklist of commonly used, expected or compromised passwords and of context-specific words.
 *
 * Every check is explainable: a password is refused for being too short or too long, for being on the list of
 * common passwords shipped in @zxcvbn-ts/language-common (about 49,000 passwords seen most often in breaches)
 * or one of them with a run such as "123456" or "!!!!" stuck on, for being nothing but repeated or consecutive
 * characters, or for being the user's own name, address or the service's name with only such a guessable rest.
 * Those lists are what an online guesser tries first; the throttles on sign-in make the rest too slow to try.
 *
 * Pure: no database and no GraphQL, so the same answer everywhere and in tests.
 */

/** NIST SP 800-63B rev 4: at least 15 characters for a password that may be the only factor, at least 8 with MFA. */
export const DEFAULT_PASSWORD_MIN_LENGTH = 15;
/** The lowest minimum a deployment may configure (NIST's floor when a password is never the only factor). */
export const LOWEST_PASSWORD_MIN_LENGTH = 8;
/** The highest minimum a deployment may configure: NIST asks verifiers to accept passwords of at least 64. */
export const HIGHEST_PASSWORD_MIN_LENGTH = 64;
/**
 * The longest password, in code points after normalisation (the minimum counts the typed form too): the argon2
 * input bound (SignUpInput's PASSWORD_MAX_LENGTH).
 */
export const PASSWORD_MAX_LENGTH = 256;
/**
 * The longest string, in UTF-16 units, that is normalised at all: canonical composition joins at most 4 code
 * points into one (U+1F82 is the longest decomposition), and a code point is at most 2 UTF-16 units, so a longer
 * string normalises to more than PASSWORD_MAX_LENGTH code points. Sign-in takes passwords up to this long too.
 */
export const PASSWORD_MAX_INPUT_UNITS = 8 * PASSWORD_MAX_LENGTH;

/** Which rule refused a password: stable, for clients to pick their own wording. */
export type PasswordRule =
  'NOT_UNICODE' | 'TOO_SHORT' | 'TOO_LONG' | 'COMMON' | 'REPETITIVE_OR_SEQUENTIAL' | 'CONTEXT_SPECIFIC';

/**
 * The answer. It never holds the password (nor its normalised form), so it can be logged or returned as it is;
 * the caller hashes `normalizePassword(password)` itself.
 */
export type PasswordCheck = { ok: true } | { ok: false; rule: PasswordRule; message: string };

export interface PasswordContext {
  /** PASSWORD_MIN_LENGTH: code points, both as typed and after normalisation. */
  minLength: number;
  /** Context-specific words (NIST): a password that is one of them, or one of them plus a guessable rest, is refused. */
  username?: string;
  email?: string;
  /** The service's own name, e.g. MFA_ISSUER. */
  serviceName?: string;
}

/**
 * The form of a password that is checked, hashed and verified: Unicode NFKC. The same password can reach the
 * server as different code points — "é" precomposed from one keyboard and "e" + U+0301 COMBINING ACUTE from
 * another (macOS), "ｐａｓｓ" in full width from an input method left in full-width mode, "ﬁ" as a ligature pasted
 * from a document — and without normalising, the user could not sign in with the password they chose. NIST
 * SP 800-63B rev 4 §3.1.1.2 asks for NFKC or NFKD before hashing; NFKC also folds compatibility forms, so the
 * length and blocklist checks see what the user sees. Sign-in must verify against the hash of this same form,
 * so every hash and verify goes through here.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Whether `password` may become a user's new password, and if not, which rule refused it. */
export function checkNewPassword(password: string, context: PasswordContext): PasswordCheck {
  // A lone UTF-16 surrogate is no character: UTF-8 encoding (what argon2 hashes) turns every one into U+FFFD,
  // so two different strings would hash alike.
  if (LONE_SURROGATE.test(password))
    return refuse('NOT_UNICODE', 'The password holds an invalid character (a lone UTF-16 surrogate).');
  // Refused before normalising it (the HTTP body limit bounds the input too, but this function stands alone).
  if (password.length > PASSWORD_MAX_INPUT_UNITS) return tooLong();
  const normalized = normalizePassword(password);
  const length = codePoints(normalized).length;
  // The minimum holds for what was typed as well: NFKC expands some single characters (U+FDFA becomes 18), and
  // one typed character is one guess whatever it normalises to. The smaller count decides.
  if (Math.min(length, codePoints(password).length) < context.minLength)
    return refuse(
      'TOO_SHORT',
      `The password must be at least ${context.minLength} characters long. A few unrelated words make a long one that is easy to remember.`,
    );
  if (length > PASSWORD_MAX_LENGTH) return tooLong();

  const folded = fold(normalized);
  // The most specific reason first: a run of characters, then the user's own words, then the list.
  if (isRepetitiveOrSequential(folded))
    return refuse(
      'REPETITIVE_OR_SEQUENTIAL',
      'The password is made of repeated or consecutive characters (like "aaaa" or "1234abcd"). Choose another.',
    );
  if (isContextSpecific(folded, context))
    return refuse(
      'CONTEXT_SPECIFIC',
      'The password is built from your username, your email address or the name of this service. Choose another.',
    );
  if (isCommon(folded))
    return refuse(
      'COMMON',
      'The password is one of the most common passwords, or one with a few repeated or consecutive characters added. Choose another.',
    );
  return { ok: true };
}

/**
 * Reads the common-password list now rather than at the first check (e.g. at start), and says how large it is.
 * The first load decompresses and indexes the list: tens of milliseconds and a few MiB, once per process.
 */
export function loadCommonPasswords(): number {
  return commonPasswords().size;
}

const LONE_SURROGATE = /\p{Cs}/u;

function refuse(rule: PasswordRule, message: string): PasswordCheck {
  return { ok: false, rule, message };
}

function tooLong(): PasswordCheck {
  return refuse('TOO_LONG', `The password must be at most ${PASSWORD_MAX_LENGTH} characters long.`);
}

function codePoints(text: string): string[] {
  return Array.from(text);
}

/** Case does not make a common password less common: "PassWord" is guessed right after "password". */
function fold(normalized: string): string {
  return normalized.toLowerCase();
}

let commonPasswordSet: Set<string> | undefined;

/**
 * The list, folded as passwords are, in a Set built at first use: loading the package decompresses it, which
 * a process that never checks a new password (the mail worker) should not pay for.
 */
function commonPasswords(): Set<string> {
  if (commonPasswordSet === undefined) {
    // The package is CommonJS; require keeps the load synchronous and lazy.
    const { dictionary } = createRequire(import.meta.url)(
      '@zxcvbn-ts/language-common',
    ) as typeof import('@zxcvbn-ts/language-common');
    commonPasswordSet = new Set(dictionary['passwords-common'].map((entry) => fold(normalizePassword(entry))));
  }
  return commonPasswordSet;
}

/**
 * On the list; or a listed password with one run of repeated or consecutive characters before or after it
 * ("password" + "123456", "!!!" + "monkey"), the first thing a guesser appends; or a listed password repeated.
 */
function isCommon(folded: string): boolean {
  const list = commonPasswords();
  if (list.has(folded)) return true;
  const characters = codePoints(folded);
  // Where each character starts in the string, so that heads and tails are slices, not joins.
  const offsets = [0];
  for (const character of characters) offsets.push(offsets[offsets.length - 1] + character.length);
  const last = characters.length;
  // A listed head before a tail that is one run: the tail starts inside the last run.
  for (let split = Math.max(1, last - leadingRun([...characters].reverse())); split < last; split++)
    if (list.has(folded.slice(0, offsets[split]))) return true;
  // A head that is one run before a listed tail: the head ends inside the first run.
  for (let split = 1; split <= Math.min(leadingRun(characters), last - 1); split++)
    if (list.has(folded.slice(offsets[split]))) return true;
  const unit = repeatedUnit(characters);
  return unit !== undefined && list.has(unit.join(''));
}

/**
 * NIST's "repetitive or sequential characters (e.g. 'aaaaaa', '1234abcd')": at most two runs of one repeated
 * character or consecutive characters up or down ("aaaa…", "abcd…", "9876…", "1234abcd…"), or one part said
 * over and over: any part three times or more ("xk7qxk7qxk7q"), or twice if it is such runs ("abcabc"); any
 * other part twice is allowed.
 */
function isRepetitiveOrSequential(folded: string): boolean {
  const characters = codePoints(folded);
  if (runs(characters) <= 2) return true;
  const unit = repeatedUnit(characters);
  if (unit === undefined) return false;
  return characters.length / unit.length >= 3 || runs(unit) <= 2;
}

/**
 * The username, the email address (and its part before "@"), the service's name, and the words in them of
 * three or more characters: a password that is nothing but those, or those with a common, repeated or
 * consecutive rest ("alice" + "123456"), is the first thing tried against that account. A word merely inside
 * a longer password ("alice-and-the-cheshire-cat" for alice) is allowed: the rest is what protects it.
 */
function isContextSpecific(folded: string, context: PasswordContext): boolean {
  const words = contextWords(context);
  if (words.length === 0) return false;
  let rest = folded;
  for (const word of words) rest = rest.split(word).join('');
  if (rest === folded) return false;
  const characters = codePoints(rest);
  return characters.length === 0 || isCommon(rest) || isRepetitiveOrSequential(rest);
}

function contextWords({ username, email, serviceName }: PasswordContext): string[] {
  const localPart = email?.includes('@') ? email.slice(0, email.lastIndexOf('@')) : undefined;
  const values = [username, email, localPart, serviceName].filter(
    (value): value is string => value !== undefined && value !== '',
  );
  const words = new Set<string>();
  for (const value of values) {
    const folded = fold(normalizePassword(value));
    words.add(folded);
    for (const part of folded.split(/[^\p{L}\p{M}\p{N}]+/u)) words.add(part);
  }
  // Longest first, so "alice.smith" goes before "alice" would leave ".smith".
  return [...words].filter((word) => codePoints(word).length >= 3).sort((a, b) => b.length - a.length);
}

/**
 * How many runs `characters` falls into, read left to right: a run is one character repeated, or characters each
 * one code point above (or each one below) the one before, "9" then "0" counting as consecutive ("7890123").
 */
function runs(characters: readonly string[]): number {
  let count = 0;
  for (let start = 0; start < characters.length; start += leadingRun(characters, start)) count++;
  return count;
}

/** How many characters from `start` on form one run (see runs). */
function leadingRun(characters: readonly string[], start = 0): number {
  if (characters.length - start < 2) return characters.length - start;
  const step = stepBetween(characters[start], characters[start + 1]);
  if (step === undefined) return 1;
  let end = start + 2;
  while (end < characters.length && stepBetween(characters[end - 1], characters[end]) === step) end++;
  return end - start;
}

/** 0 for the same character, +1 or -1 for the next or previous code point (digits wrap around), else undefined. */
function stepBetween(previous: string, current: string): number | undefined {
  const difference = current.codePointAt(0)! - previous.codePointAt(0)!;
  if (difference === 0 || difference === 1 || difference === -1) return difference;
  if (previous === '9' && current === '0') return 1;
  if (previous === '0' && current === '9') return -1;
  return undefined;
}

/** The shortest part that `characters` is two or more whole copies of, if any ("abcabc" → "abc"). */
function repeatedUnit(characters: readonly string[]): string[] | undefined {
  for (let size = 1; size <= characters.length / 2; size++) {
    if (characters.length % size !== 0) continue;
    if (characters.every((character, i) => character === characters[i % size])) return characters.slice(0, size);
  }
  return undefined;
}
