import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Usernames people can tell apart. The basis is RFC 8265's UsernameCaseMapped
 * profile (PRECIS, RFC 8264): width mapping, then letters, combining marks and
 * digits of the IdentifierClass, no compatibility characters; accounts are then
 * matched case- and width-insensitively (usernameKey). On top of it, UTS #39
 * (Unicode Security Mechanisms) §5.2 "Highly Restrictive": one script, or Latin
 * with the scripts written together with Han in Japanese, Chinese or Korean —
 * so "pаypal" with a Cyrillic "а" is refused, as are invisible fillers such as
 * U+3164 HANGUL FILLER that make two names look the same.
 */

/** Unicode's Default_Ignorable_Code_Point (fillers, joiners, bidi controls), and other format and control characters: nothing to see. */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}\p{Zs}\p{Zl}\p{Zp}]/u;

/** RFC 8264 §9.1 LetterDigits (Ll Lu Lo Lm Mn Mc Nd; Lt maps to lowercase), plus the ASCII punctuation usernames had: . _ @ - */
const IDENTIFIER_CHARACTERS = /^[\p{Ll}\p{Lu}\p{Lt}\p{Lo}\p{Lm}\p{Mn}\p{Mc}\p{Nd}._@-]+$/u;

/** Fullwidth and halfwidth forms, mapped to their decompositions first (RFC 8265 §3.3.2, step 1). */
const WIDE_OR_NARROW = /[\u3000\uFF01-\uFFEE]/gu;

/** UAX #31 Table 5, Recommended Scripts: those in use today, which UTS #39's Identifier Profile allows. */
const RECOMMENDED_SCRIPTS = [
  'Arab',
  'Armn',
  'Beng',
  'Bopo',
  'Cyrl',
  'Deva',
  'Ethi',
  'Geor',
  'Grek',
  'Gujr',
  'Guru',
  'Hang',
  'Hani',
  'Hebr',
  'Hira',
  'Knda',
  'Kana',
  'Khmr',
  'Laoo',
  'Latn',
  'Mlym',
  'Mymr',
  'Orya',
  'Sinh',
  'Taml',
  'Telu',
  'Thaa',
  'Thai',
  'Tibt',
] as const;
const SCRIPT_PATTERNS = RECOMMENDED_SCRIPTS.map(
  (script) => [script, new RegExp(`\\p{Script_Extensions=${script}}`, 'u')] as const,
);
const COMMON_OR_INHERITED = /[\p{Script_Extensions=Zyyy}\p{Script_Extensions=Zinh}]/u;

/**
 * UTS #39 §5.1 augmented script sets: Han goes with the Japanese, Chinese and Korean writing systems,
 * kana with Japanese, Bopomofo with Chinese, Hangul with Korean.
 */
const AUGMENTED: Record<string, string[]> = {
  Hani: ['Jpan', 'Hanb', 'Kore'],
  Hira: ['Jpan'],
  Kana: ['Jpan'],
  Bopo: ['Hanb'],
  Hang: ['Kore'],
};
/** UTS #39 §5.2 Highly Restrictive: besides a single script, these unions (Latin + Han + Hiragana + Katakana; + Bopomofo; + Hangul). */
const ALLOWED_MIXES = [
  ['Latn', 'Jpan'],
  ['Latn', 'Hanb'],
  ['Latn', 'Kore'],
];

/** Why `username` is refused, naming the rule, or undefined when it is fine. Never quotes the name back. */
export function usernameProblem(username: string): string | undefined {
  const invisible = INVISIBLE.exec(username)?.[0];
  if (invisible !== undefined)
    return `username must not hold invisible, spacing or formatting characters (found ${codePoint(invisible)})`;
  const mapped = username.replace(WIDE_OR_NARROW, (character) => character.normalize('NFKC'));
  if (mapped.normalize('NFKC') !== mapped.normalize('NFC'))
    return 'username must not hold compatibility characters (e.g. ² or ﬁ): write them plainly (RFC 8264 §9.17)';
  if (!IDENTIFIER_CHARACTERS.test(mapped)) return 'username may hold letters, digits and . _ @ - only';
  const scripts: Array<Set<string>> = [];
  for (const character of mapped) {
    const set = new Set<string>(
      SCRIPT_PATTERNS.filter(([, pattern]) => pattern.test(character)).map(([script]) => script),
    );
    if (set.size === 0) {
      if (COMMON_OR_INHERITED.test(character)) continue; // digits, punctuation, marks: any script
      return `username uses a script that is not recommended for identifiers (${codePoint(character)}; UAX #31 Table 5)`;
    }
    for (const script of [...set]) for (const writingSystem of AUGMENTED[script] ?? []) set.add(writingSystem);
    scripts.push(set);
  }
  const singleScript =
    scripts.length === 0 || [...scripts[0]].some((script) => scripts.every((set) => set.has(script)));
  const allowedMix = ALLOWED_MIXES.some((mix) => scripts.every((set) => mix.some((script) => set.has(script))));
  if (!singleScript && !allowedMix)
    return 'username mixes scripts that look alike (e.g. Latin and Cyrillic): use one script (UTS #39, Highly Restrictive)';
  return undefined;
}

/** class-validator decorator for usernameProblem; its message says which rule failed. */
export function IsUsername(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isUsername',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && usernameProblem(value) === undefined,
        defaultMessage: (args) =>
          (typeof args?.value === 'string' ? usernameProblem(args.value) : undefined) ?? 'username must be a string',
      },
    },
    options,
  );
}

function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}
