import type { FastifyInstance } from 'fastify';
import { checkAccess } from '../auth/access.js';
import type { CredentialResolver } from '../auth/credentials.js';
import type { Viewer } from '../auth/viewer.js';
import { AppError } from '../errors.js';

export const AUTH_CHECK_PATH = '/auth/check';

/**
 * GET /auth/check, for a reverse proxy's forward auth (nginx auth_request, Traefik forwardAuth, Caddy forward_auth):
 * 200 with who is calling in X-Auth-* headers for a live access token or API key (Authorization: Bearer) or session
 * cookie; 401 with `WWW-Authenticate: Bearer` for anything else. No body either way, and nothing of the request is
 * read but its Authorization and Cookie headers; Cache-Control: no-store comes with every answer (http-server.ts).
 * Fastify answers HEAD with the same headers.
 */
export function registerAuthCheck(fastify: FastifyInstance, credentials: CredentialResolver): void {
  fastify.get(AUTH_CHECK_PATH, async (request, reply) => {
    const checked = await credentials(request.headers, { cookie: true });
    if (checked.outcome !== 'viewer' || !admitted(checked.viewer))
      return reply.code(401).header('www-authenticate', 'Bearer').send();
    return reply.code(200).headers(identityHeaders(checked.viewer)).send();
  });
}

/**
 * Forward auth admits whom an operation with no requirement admits (checkAccess with none): a full session or an API
 * key; an enrollment-scoped session, which may only finish enrolling a factor, is refused.
 */
function admitted(viewer: Viewer): boolean {
  try {
    checkAccess(viewer, []);
    return true;
  } catch (error) {
    if (error instanceof AppError) return false;
    throw error;
  }
}

/**
 * The caller, as the proxy hands it on to the app. A username may hold any letter (src/accounts/username-rules.ts),
 * and Node refuses header values outside Latin-1 or with control characters: it is sent through encodeURIComponent,
 * so an ASCII name of letters, digits, "." "_" "-" reads as itself, and "@" and non-ASCII letters arrive as UTF-8
 * percent-escapes ("Zoë" → "Zo%C3%AB") that decodeURIComponent reverses.
 */
function identityHeaders(viewer: Viewer): Record<string, string> {
  const mfaVerifiedAt = viewer.kind === 'session' ? viewer.session.mfaVerifiedAt : undefined;
  return {
    'x-auth-user-id': viewer.user._id.toHexString(),
    'x-auth-username': encodeURIComponent(viewer.user.username),
    'x-auth-role': viewer.user.role,
    'x-auth-mfa': mfaVerifiedAt ? mfaVerifiedAt.toISOString() : 'none',
    'x-auth-credential': viewer.kind === 'session' ? 'session' : 'api-key',
  };
}
