import type { AuthChecker } from 'type-graphql';
import { Role } from '../accounts/user.model.js';
import type { SessionViewer, Viewer } from '../auth/viewer.js';
import { forbidden, unauthenticated } from '../errors.js';
import { SessionScope } from '../sessions/session.model.js';
import type { GraphQLContext } from './context.js';

/**
 * What `@Authorized(...)` may ask for; every listed requirement must hold.
 * `@Authorized()` alone means: signed in with a full session or an API key.
 */
export const Access = {
  /** The viewer is an admin, in an interactive session that passed MFA (AdminAccess.assertMfaAdmin: never an API key). */
  ADMIN: 'ADMIN',
  /** An interactive session, not an API key (a stolen key must not be able to remove the second factor: keys never manage factors, codes, keys or policy). */
  SESSION: 'SESSION',
  /** An enrollment-scoped session may call this too (it may otherwise do nothing). */
  ENROLLING: 'ENROLLING',
} as const;
export type Access = (typeof Access)[keyof typeof Access];

/** The one access rule: throws unless the viewer meets every requirement; returns the viewer. */
function checkAccess(viewer: Viewer | undefined, required: readonly Access[]): Viewer {
  if (!viewer) throw unauthenticated();
  if (
    viewer.kind === 'session' &&
    viewer.session.scope === SessionScope.ENROLLMENT &&
    !required.includes(Access.ENROLLING)
  ) {
    throw forbidden('This session may only finish enrolling a second factor.');
  }
  if (required.includes(Access.SESSION) && viewer.kind !== 'session')
    throw forbidden('API keys cannot do this: sign in interactively.');
  if (required.includes(Access.ADMIN) && viewer.user.role !== Role.ADMIN) throw forbidden('Only an admin may do this.');
  return viewer;
}

export const authChecker: AuthChecker<GraphQLContext, Access> = async ({ context }, required) => {
  const viewer = checkAccess(context.viewer, required);
  // The role is checked above; whether this admin uses MFA needs the database, so that rule lives in the core.
  if (required.includes(Access.ADMIN)) await context.services.admins.assertMfaAdmin(viewer);
  return true;
};

/**
 * The viewer of a resolver behind `Access.SESSION`, typed as the session it is.
 * `fullScope` is for resolvers that check access themselves (no `@Authorized`):
 * without it an enrollment-scoped session passes, as with `Access.ENROLLING`.
 */
export function sessionViewerOf(context: GraphQLContext, options: { fullScope?: boolean } = {}): SessionViewer {
  const required: Access[] = options.fullScope ? [Access.SESSION] : [Access.SESSION, Access.ENROLLING];
  return checkAccess(context.viewer, required) as SessionViewer;
}
