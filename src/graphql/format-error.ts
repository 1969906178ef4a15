import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError, ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { valueFreeMessage } from './value-free-messages.js';

/** Errors of the GraphQL layer itself that mean "your request is malformed". */
const CLIENT_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
]);

const OUR_CODES = new Set<string>(Object.values(ErrorCode));

/**
 * Automatic persisted queries: clients (Apollo Client's persisted-queries link)
 * resend the full query on exactly this code and message, so both pass unchanged.
 */
const PERSISTED_QUERY_CODES = new Set<string>([
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
]);

/**
 * The one place errors are shaped for clients: our AppErrors keep their code,
 * message and extensions; malformed requests become BAD_USER_INPUT; anything
 * else is masked (no message, no stack) and logged for operators.
 */
export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof AppError) {
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { ...original.extensions, code: original.code },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PERSISTED_QUERY_CODES.has(code))
      return { message: formatted.message, extensions: { code } };
    if (typeof code === 'string' && OUR_CODES.has(code) && code !== ErrorCode.BAD_USER_INPUT) {
      // Raised as a GraphQLError where an AppError cannot be, e.g. by the context function.
      return { message: formatted.message.replace(/^Context creation failed: /, ''), extensions: { code } };
    }
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
      const validationErrors = (
        formatted.extensions as { validationErrors?: Array<{ property: string; constraints?: Record<string, string> }> }
      ).validationErrors;
      const fields = validationErrors?.map((failure) => ({
        field: failure.property,
        problems: Object.values(failure.constraints ?? {}),
      }));
      return {
        message: fields
          ? `Invalid input: ${fields.map((f) => `${f.field} (${f.problems.join('; ')})`).join(', ')}`
          : valueFreeMessage(formatted.message, (error as GraphQLError).originalError),
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: ErrorCode.BAD_USER_INPUT, ...(fields ? { fields } : {}) },
      };
    }
    if (refusedRequest(original)) return { message: formatted.message, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    logger.error({ err: original, path: formatted.path }, 'unexpected error while resolving a request');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/**
 * Apollo's own refusals of a malformed request that carry no code but an HTTP
 * 400 (an unsupported persisted-query version, a hash that does not match its
 * query): raised before execution, never by a resolver, with fixed messages.
 */
function refusedRequest(error: unknown): boolean {
  const status =
    error instanceof GraphQLError ? (error.extensions.http as { status?: number } | undefined)?.status : undefined;
  return (
    error instanceof GraphQLError && error.originalError === undefined && error.path === undefined && status === 400
  );
}
