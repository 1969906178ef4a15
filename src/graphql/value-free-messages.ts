import { SUGGESTION } from './hide-suggestions.plugin.js';

/**
 * graphql-js quotes the offending value in its messages ("Variable "$input"
 * got invalid value { password: 12345 } …", "String cannot represent a non
 * string value: …", "Expected value of type …, found …"): a password sent with
 * the wrong type would come back in the answer, and from there reach client
 * logs. These rewrites keep the variable, the path and the reason, never the
 * value (OWASP Logging Cheat Sheet: never record passwords; OWASP Error
 * Handling Cheat Sheet: no input echoed in errors).
 */

/** "Variable "$input" got invalid value <value>[ at "input.password"]": the value is everything between; a path has no spaces or quotes. */
const VARIABLE_PREFIX = /^Variable "\$(\w+)" got invalid value [\s\S]*?(?: at "(\1(?:\.\w+|\[\d+\])*)")?$/;

/** Reasons graphql-js gives that name only schema things (fields, types), so they stay as they are. */
const VALUE_FREE_REASONS = [
  /^Field "\w+" is not defined by type "\w+"\.( Did you mean [^"]*(?:"\w+"[^"]*)*\?)?$/,
  /^Field "\w+" of required type "[\w[\]!]+" was not provided\.$/,
  /^Expected type "\w+" to be an object\.$/,
];

/** The message of a client error, with any submitted value taken out. `cause` is the inner error graphql-js wraps (its reason). */
export function valueFreeMessage(message: string, cause: unknown): string {
  // In production the message has lost its "Did you mean" hint (hideSuggestionsPlugin), the cause has not.
  const reason =
    cause instanceof Error
      ? [cause.message, cause.message.replace(SUGGESTION, '')].find((text) => message.endsWith(`; ${text}`))
      : undefined;
  if (reason !== undefined) {
    const variable = VARIABLE_PREFIX.exec(message.slice(0, -(reason.length + 2)));
    // A variable's reason is kept only in a form known to be value-free.
    const why = VALUE_FREE_REASONS.some((pattern) => pattern.test(reason))
      ? reason
      : (rewrittenReason(reason) ?? 'the value is not valid here.');
    if (variable)
      return `Variable "$${variable[1]}" got an invalid value${variable[2] ? ` at "${variable[2]}"` : ''}: ${why}`;
  }
  if (message.startsWith('Variable "$') && message.includes(' got invalid value '))
    return 'A variable got an invalid value.';
  return rewrittenReason(message) ?? message;
}

/** graphql-js's value-quoting messages about scalars, enums and literals, without the value; undefined for any other. */
function rewrittenReason(reason: string): string | undefined {
  const scalar = /^(\w+) cannot (?:represent|be serialized)/.exec(reason);
  if (scalar) return `${scalar[1]} cannot represent this value.`;
  const enumValue = /does not exist in "(\w+)" enum\./.exec(reason);
  if (enumValue) return `The value is not one of the "${enumValue[1]}" enum.`;
  const literal = /^(Expected value of type "[\w[\]!]+"), found /.exec(reason);
  if (literal) return `${literal[1]}.`;
  // Syntax errors name the token they stopped at: its kind stays, its text (perhaps a value written into the query) goes.
  if (reason.startsWith('Syntax Error: '))
    return reason.replace(/\b(Name|String|BlockString|Int|Float) "(?:[^"\\]|\\.)*"/g, '$1');
  return undefined;
}
