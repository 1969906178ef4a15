import type { FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../errors.js';
import type { Services } from '../services.js';
import { ACCESS_TOKEN_PREFIX } from '../sessions/sessions.service.js';
import type { GraphQLContext } from './context.js';

const BEARER = /^Bearer ([A-Za-z0-9_-]{1,200})$/;

/**
 * Resolves `Authorization: Bearer …` to a viewer. A presented credential that
 * is malformed, unknown, expired or revoked fails the whole request with
 * UNAUTHENTICATED (HTTP 401) rather than silently running it anonymously.
 */
export function createRequestContext(services: Services) {
  return async (request: FastifyRequest): Promise<GraphQLContext> => {
    const context: GraphQLContext = { ip: request.ip, services };
    const header = request.headers.authorization;
    if (header === undefined) return context;
    const token = BEARER.exec(header)?.[1];
    if (!token?.startsWith(ACCESS_TOKEN_PREFIX)) throw unauthenticated('Malformed Authorization header: expected "Bearer <token>".');
    const session = await services.sessions.authenticate(token);
    const user = session && (await services.accounts.findById(session.userId));
    if (!session || !user) throw unauthenticated('The access token is unknown, expired or revoked. Sign in again.');
    context.viewer = { user, session };
    return context;
  };
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
}
