import { ApolloArmor } from '@escape.tech/graphql-armor';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { ErrorCode } from '../errors.js';

/** Field nesting per operation. Our deepest real query (users → edges → node → factors → id) is 5 deep. */
export const MAX_DEPTH = 8;
/** Aliases per operation, `__typename` included: aliases are how one request repeats a field (OWASP GraphQL cheat sheet, "batching attacks"). */
export const MAX_ALIASES = 10;
/**
 * graphql-armor's cost (object 2, scalar 1, ×1.5 per level, ×`first:` when literal).
 * A full `users(first: 50)` page with every user and factor field costs about 4,200.
 * `first:` given as a variable is not multiplied: resolvers must cap page sizes themselves.
 */
export const MAX_COST = 5000;
/** Lexical tokens per document, checked while parsing; the full introspection query is under 200, our largest operation under 100. */
export const MAX_TOKENS = 2000;
/** Directives per operation; clients use a few `@include`/`@skip`, never dozens. */
export const MAX_DIRECTIVES = 10;

/**
 * Mutations that check a secret, send a code or change security settings.
 * One per operation, so every password or code guess costs one HTTP request
 * and meets the throttles one at a time (batching guesses in one document would slip past per-request limits).
 */
export const SENSITIVE_MUTATIONS: ReadonlySet<string> = new Set([
  'login',
  'signUp',
  'verifyMfa',
  'sendMfaCode',
  'beginMfa',
  'beginPasskeySignIn',
  'passkeySignIn',
  'stepUp',
  'acceptMfa',
  'enableMfa',
  'disableMfa',
  'regenerateRecoveryCodes',
  'createApiKey',
  'revokeApiKey',
  'setMfaPolicyStatus',
  'setAllowedFactorTypes',
  'setMfaPolicy',
  'skipEnrollment',
  'sendEmailVerification',
  'verifyEmail',
  'changeEmail',
  'requestPasswordReset',
  'resetPassword',
  'unlockUser',
  'deactivateUser',
  'reactivateUser',
  'deleteUser',
  'setUserRole',
  'changePassword',
  'requireUserPasswordReset',
]);

/**
 * Refuses a mutation whose root selects more than one sensitive field.
 * Every selection counts (aliases, repeats, inline fragments, fragment spreads);
 * only root fields can be mutations, so nested selections are not walked.
 */
export const oneSensitiveMutationRule: ValidationRule = (context) => {
  const perFragment = new Map<string, number>(); // memoised, so nested spreads cannot make counting exponential
  const count = (selectionSet: SelectionSetNode, expanding: Set<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) total += SENSITIVE_MUTATIONS.has(selection.name.value) ? 1 : 0;
      else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet, expanding);
      else total += countFragment(selection.name.value, expanding);
    }
    return total;
  };
  const countFragment = (name: string, expanding: Set<string>): number => {
    const fragment = context.getFragment(name);
    if (!fragment || expanding.has(name)) return 0; // unknown fragments and cycles are refused by the standard rules
    if (!perFragment.has(name)) perFragment.set(name, count(fragment.selectionSet, new Set(expanding).add(name)));
    return perFragment.get(name)!;
  };
  return {
    OperationDefinition(operation) {
      if (operation.operation !== OperationTypeNode.MUTATION) return;
      const found = count(operation.selectionSet, new Set());
      if (found > 1) {
        const message = `An operation may contain at most one sensitive mutation (such as login or verifyMfa); this one has ${found}.`;
        context.reportError(
          new GraphQLError(message, { nodes: [operation], extensions: { code: ErrorCode.BAD_USER_INPUT } }),
        );
      }
    },
  };
};

/** graphql-armor's own Apollo reporter labels refusals "Syntax Error: "; report them as plain validation errors instead (HTTP 400, BAD_USER_INPUT). */
const refuse = {
  propagateOnRejection: false,
  exposeLimits: true,
  onReject: [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(
        new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
          extensions: { code: ErrorCode.BAD_USER_INPUT },
        }),
      ),
  ],
};

/** The ApolloServer options that enforce the limits above. */
export function operationLimits(): { parseOptions: ParseOptions; validationRules: ValidationRule[] } {
  const armor = new ApolloArmor({
    // Introspection (`__schema`) is exempt from depth and cost: Sandbox's query is deep, and production turns introspection off anyway.
    maxDepth: { ...refuse, n: MAX_DEPTH, flattenFragments: true, ignoreIntrospection: true },
    costLimit: { ...refuse, maxCost: MAX_COST, flattenFragments: true, ignoreIntrospection: true },
    maxAliases: { ...refuse, n: MAX_ALIASES, allowList: [] },
    maxDirectives: { ...refuse, n: MAX_DIRECTIVES },
    // Its Apollo plugin re-parses every document and its refusal surfaces as a 500; graphql-js counts tokens itself (parseOptions below).
    maxTokens: { enabled: false },
    // Outside production suggestions help; in production hideSuggestionsPlugin strips them from every error, not only field names, and leaves no mask.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return {
    parseOptions: { maxTokens: MAX_TOKENS },
    validationRules: [...armor.validationRules, oneSensitiveMutationRule],
  };
}
