import type { FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import { presentedDeviceToken, type CredentialResolver } from '../auth/credentials.js';
import { SessionDelivery, secureCookies } from '../auth/session-delivery.js';
import { ErrorCode } from '../errors.js';
import type { Services } from '../services.js';
import { MAX_USER_AGENT_CHARS } from '../sessions/session.model.js';
import type { GraphQLContext } from './context.js';

const REFUSALS = {
  malformed: 'Malformed Authorization header: expected "Bearer <access token or API key>".',
  cookie: 'Malformed session cookie: sign in again.',
  session: 'The access token is unknown, expired or revoked. Sign in again.',
  apiKey: 'The API key is unknown, expired or revoked.',
} as const;

/**
 * Resolves `Authorization: Bearer …` (an access token or an API key) or, without that header, the session cookie to a
 * viewer through `credentials`. A presented credential that is malformed, unknown, expired or revoked fails the whole
 * request with UNAUTHENTICATED (HTTP 401) rather than silently running it anonymously; a dead cookie is also cleared,
 * so the browser stops sending it. The cookie is safe to accept here because Apollo's CSRF prevention refuses every
 * request a page of another site could send without a preflight, and SameSite=Strict keeps it off cross-site ones.
 */
export function createRequestContext(services: Services, credentials: CredentialResolver, publicUrl: string) {
  const secure = secureCookies(publicUrl);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<GraphQLContext> => {
    const checked = await credentials(request.headers, { cookie: true });
    const presentedByCookie = checked.outcome !== 'anonymous' && checked.fromCookie;
    const delivery = new SessionDelivery(reply, {
      secure,
      presentedByCookie,
      presentedDeviceToken: presentedDeviceToken(request.headers.cookie),
    });
    if (checked.outcome === 'refused') {
      delivery.clearPresented();
      throw unauthenticated(REFUSALS[presentedByCookie && checked.reason === 'malformed' ? 'cookie' : checked.reason]);
    }
    return {
      ip: request.ip,
      userAgent: request.headers['user-agent']?.slice(0, MAX_USER_AGENT_CHARS),
      services,
      delivery,
      ...(checked.outcome === 'viewer' ? { viewer: checked.viewer } : {}),
    };
  };
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
}
