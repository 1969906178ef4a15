import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerErrorCode, ApolloServerValidationErrorCode } from '@apollo/server/errors';
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { Counter, Histogram, type Registry } from 'prom-client';
import { ErrorCode } from '../errors.js';

/** The `operation` label of a request that did not parse or validate, or named no operation of its document. */
export const INVALID_OPERATION = 'invalid';
/** The `operation` label of a request refused before any operation ran: its credential was (UNAUTHENTICATED). */
export const REFUSED_BEFORE_OPERATION = 'refused';
/** The `outcome` label of an answer without errors. */
export const OK_OUTCOME = 'ok';
/** The `outcome` label of an error code not in KNOWN_ERROR_CODES (or of an error without one). */
export const OTHER_OUTCOME = 'other';

/** The codes an answer can carry: ours, and Apollo Server's. Anything else is counted as `other`, so the label stays bounded. */
const KNOWN_ERROR_CODES: ReadonlySet<string> = new Set([
  ...Object.values(ErrorCode),
  ...Object.values(ApolloServerErrorCode),
  ...Object.values(ApolloServerValidationErrorCode),
]);

/** Root fields every schema has, which `getFields()` does not list. */
const META_FIELDS: ReadonlySet<string> = new Set(['__typename', '__schema', '__type']);

/**
 * "<type> <first root field>" (`mutation verifyMfa`), the field by its name in the schema: never an alias nor the
 * client-chosen operation name, so the label takes only as many values as the schema has root fields. INVALID_OPERATION
 * when there is no resolved operation (a parse or validation error) or its first field is not the schema's.
 */
export function operationLabel(
  schema: GraphQLSchema,
  document: DocumentNode | undefined,
  operation: OperationDefinitionNode | undefined,
): string {
  if (!document || !operation) return INVALID_OPERATION;
  const root = schema.getRootType(operation.operation);
  const field = firstField(document, operation.selectionSet, new Set());
  if (!root || field === undefined || !(META_FIELDS.has(field) || field in root.getFields())) return INVALID_OPERATION;
  return `${operation.operation} ${field}`;
}

/** The first field selected, looking into inline fragments and fragment spreads (each fragment once, so a cycle ends). */
function firstField(document: DocumentNode, selectionSet: SelectionSetNode, seen: Set<string>): string | undefined {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) return selection.name.value;
    let inner: SelectionSetNode | undefined;
    if (selection.kind === Kind.INLINE_FRAGMENT) inner = selection.selectionSet;
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find(
        (definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
      );
      inner = fragment?.kind === Kind.FRAGMENT_DEFINITION ? fragment.selectionSet : undefined;
    }
    const found = inner && firstField(document, inner, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** OK_OUTCOME without errors, else the first error's `extensions.code` when it is a known one, else OTHER_OUTCOME. */
export function outcomeLabel(errors: readonly GraphQLFormattedError[] | undefined): string {
  if (!errors || errors.length === 0) return OK_OUTCOME;
  const code = errors[0].extensions?.code;
  return typeof code === 'string' && KNOWN_ERROR_CODES.has(code) ? code : OTHER_OUTCOME;
}

export interface GraphqlMetrics {
  /** Counts and times every operation Apollo Server answers, by operationLabel and outcomeLabel. */
  plugin: ApolloServerPlugin;
}

export function graphqlMetrics(registry: Registry): GraphqlMetrics {
  const labelNames = ['operation', 'outcome'] as const;
  const requests = new Counter({
    name: 'mfa_graphql_requests_total',
    help:
      'GraphQL operations answered, by operation (type and first root field, "invalid", or "refused" for a refused ' +
      'credential) and outcome ("ok" or the first error code)',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mfa_graphql_request_duration_seconds',
    help: 'Time from the start of a GraphQL operation to its answer, by operation and outcome',
    labelNames,
    registers: [registry],
  });
  return {
    plugin: {
      // The context (the caller's credential) is built before an operation starts: a refused one ends the request
      // there, and would otherwise be counted nowhere. Not timed: the refusal's start is not known here.
      async contextCreationDidFail({ error }) {
        const code = error instanceof GraphQLError ? error.extensions.code : undefined;
        requests.inc({
          operation: REFUSED_BEFORE_OPERATION,
          outcome: outcomeLabel([{ message: '', extensions: { code } }]),
        });
      },
      async requestDidStart() {
        const started = performance.now();
        return {
          async willSendResponse({ schema, document, operation, response }) {
            const { body } = response;
            const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
            const labels = { operation: operationLabel(schema, document, operation), outcome: outcomeLabel(errors) };
            requests.inc(labels);
            duration.observe(labels, (performance.now() - started) / 1000);
          },
        };
      },
    },
  };
}
