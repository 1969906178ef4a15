import { ValidateBy } from 'class-validator';
import { badInput } from '../errors.js';

/**
 * A factor's description is the label a user reads beside it when choosing a
 * factor (login's `factors`, `me.factors`), as Veeam's and Veeam Service
 * Provider Console's MFA screens show a factor's identity description. It is
 * the user's own text, but it is shown back to them as if the service said
 * it, so it must read as what it is: bidi overrides (U+202E can make
 * "enohp krow" look like "work phone" reversed), line breaks and other
 * control characters, and invisible characters are refused, never silently
 * taken out (a stored label then always equals what was sent).
 */
export const FACTOR_DESCRIPTION_MAX_CHARS = 100;

/**
 * Control (Cc) and line/paragraph separators (Zl, Zp), lone surrogates (Cs),
 * bidi controls, and Unicode's default-ignorable (invisible) characters other
 * than the zero-width joiner, variation selectors and tag characters emoji are
 * built from (👩‍💻, ❤️, subdivision flags).
 */
const REFUSED =
  /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\p{Bidi_Control}]|(?!\u200D|[\uFE00-\uFE0F]|[\u{E0020}-\u{E007F}])\p{Default_Ignorable_Code_Point}/u;

/** What is wrong with `description` as a factor's label, or undefined when it may be stored as it is. */
export function factorDescriptionProblem(description: string): string | undefined {
  const length = [...description].length;
  if (length === 0 || description.trim() === '') return 'description must not be empty or only spaces';
  if (length > FACTOR_DESCRIPTION_MAX_CHARS)
    return `description must be at most ${FACTOR_DESCRIPTION_MAX_CHARS} characters`;
  const refused = REFUSED.exec(description)?.[0];
  if (refused !== undefined)
    return `description must not hold control, line-break, bidirectional or invisible characters (found ${codePoint(refused)})`;
  return undefined;
}

/** The rule for services: BAD_USER_INPUT on `description` when the label may not be stored. */
export function assertFactorDescription(description: string): void {
  const problem = factorDescriptionProblem(description);
  if (problem) throw badInput('description', `${problem}.`);
}

/** The same rule for GraphQL inputs (enableMfa, updateFactor), so the refusal lists the field like other bad input. */
export function IsFactorDescription(): PropertyDecorator {
  return ValidateBy({
    name: 'isFactorDescription',
    validator: {
      validate: (value: unknown) =>
        value === null || value === undefined || (typeof value === 'string' && !factorDescriptionProblem(value)),
      defaultMessage: (args) =>
        (typeof args?.value === 'string' ? factorDescriptionProblem(args.value) : undefined) ??
        'description must be a string',
    },
  });
}

function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}
