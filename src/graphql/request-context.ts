import type { FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import { API_KEY_PREFIX } from '../api-keys/api-keys.service.js';
import type { Viewer } from '../auth/viewer.js';
import { ErrorCode } from '../errors.js';
import type { Services } from '../services.js';
import { MAX_USER_AGENT_CHARS } from '../sessions/session.model.js';
import { ACCESS_TOKEN_PREFIX } from '../sessions/sessions.service.js';
import type { GraphQLContext } from './context.js';

const BEARER = /^Bearer ([A-Za-z0-9_-]{1,200})$/;

/**
 * Resolves `Authorization: Bearer …` (an access token or an API key, told
 * apart by prefix) to a viewer. A presented credential that is malformed,
 * unknown, expired or revoked fails the whole request with UNAUTHENTICATED
 * (HTTP 401) rather than silently running it anonymously.
 */
export function createRequestContext(services: Services) {
  return async (request: FastifyRequest): Promise<GraphQLContext> => {
    const context: GraphQLContext = {
      ip: request.ip,
      userAgent: request.headers['user-agent']?.slice(0, MAX_USER_AGENT_CHARS),
      services,
    };
    const header = request.headers.authorization;
    if (header === undefined) return context;
    const credential = BEARER.exec(header)?.[1];
    if (credential?.startsWith(ACCESS_TOKEN_PREFIX)) context.viewer = await sessionViewer(services, credential);
    else if (credential?.startsWith(API_KEY_PREFIX)) context.viewer = await apiKeyViewer(services, credential);
    else throw unauthenticated('Malformed Authorization header: expected "Bearer <access token or API key>".');
    return context;
  };
}

async function sessionViewer(services: Services, accessToken: string): Promise<Viewer> {
  const authenticated = await services.sessions.authenticate(accessToken);
  if (!authenticated) throw unauthenticated('The access token is unknown, expired or revoked. Sign in again.');
  return { kind: 'session', ...authenticated };
}

async function apiKeyViewer(services: Services, secret: string): Promise<Viewer> {
  const authenticated = await services.apiKeys.authenticate(secret);
  if (!authenticated) throw unauthenticated('The API key is unknown, expired or revoked.');
  return { kind: 'apiKey', ...authenticated };
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
}
