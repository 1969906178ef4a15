import type { FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import type { CredentialResolver } from '../auth/credentials.js';
import { ErrorCode } from '../errors.js';
import type { Services } from '../services.js';
import { MAX_USER_AGENT_CHARS } from '../sessions/session.model.js';
import type { GraphQLContext } from './context.js';

const REFUSALS = {
  malformed: 'Malformed Authorization header: expected "Bearer <access token or API key>".',
  session: 'The access token is unknown, expired or revoked. Sign in again.',
  apiKey: 'The API key is unknown, expired or revoked.',
} as const;

/**
 * Resolves `Authorization: Bearer …` (an access token or an API key) to a viewer through `credentials`. A presented
 * credential that is malformed, unknown, expired or revoked fails the whole request with UNAUTHENTICATED (HTTP 401)
 * rather than silently running it anonymously. The session cookie is not read here: GraphQL takes the header alone.
 */
export function createRequestContext(services: Services, credentials: CredentialResolver) {
  return async (request: FastifyRequest): Promise<GraphQLContext> => {
    const context: GraphQLContext = {
      ip: request.ip,
      userAgent: request.headers['user-agent']?.slice(0, MAX_USER_AGENT_CHARS),
      services,
    };
    const checked = await credentials(request.headers, { cookie: false });
    if (checked.outcome === 'refused') throw unauthenticated(REFUSALS[checked.reason]);
    if (checked.outcome === 'viewer') context.viewer = checked.viewer;
    return context;
  };
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
}
