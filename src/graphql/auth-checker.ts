import type { AuthChecker } from 'type-graphql';
import { Access, checkAccess } from '../auth/access.js';
import type { SessionViewer } from '../auth/viewer.js';
import type { GraphQLContext } from './context.js';

/** What `@Authorized(...)` may ask for; `@Authorized()` alone means: signed in with a full session or an API key. */
export { Access };

export const authChecker: AuthChecker<GraphQLContext, Access> = async ({ context }, required) => {
  const viewer = checkAccess(context.viewer, required);
  // The role is checked above; whether this admin uses MFA needs the database, so that rule lives in the core.
  if (required.includes(Access.ADMIN)) await context.services.admins.assertMfaAdmin(viewer);
  return true;
};

/**
 * The viewer of a resolver behind `Access.SESSION`, typed as the session it is.
 * An enrollment-scoped session passes (the `@Authorized` rule above has already
 * refused it where `Access.ENROLLING` is not listed).
 */
export function sessionViewerOf(context: GraphQLContext): SessionViewer {
  return checkAccess(context.viewer, [Access.SESSION, Access.ENROLLING]) as SessionViewer;
}
