import type { ApolloServerPlugin } from '@apollo/server';

/** graphql-js's hint in every form: `Did you mean "a"?`, `… "a" or "b"?`, `… the enum value "A"?`. Names cannot hold `?`. */
export const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * Strips "Did you mean …?" from every error, so a client cannot map the schema
 * by guessing names. Apollo's hideSchemaDetailsFromClientErrors covers only
 * validation errors, not variables (`{ input: { usrname } }` still suggests).
 */
export function hideSuggestionsPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) error.message = error.message.replace(SUGGESTION, '');
        },
      };
    },
  };
}
