import type { AuthChecker } from 'type-graphql';
import { forbidden, unauthenticated } from '../errors.js';
import type { GraphQLContext } from './context.js';

/** `@Authorized()` needs a signed-in viewer; `@Authorized("ADMIN")` an admin. Errors say which was missing. */
export const authChecker: AuthChecker<GraphQLContext> = ({ context }, roles) => {
  const viewer = context.viewer;
  if (!viewer) throw unauthenticated();
  if (roles.length > 0 && !roles.includes(viewer.user.role)) throw forbidden('Only an admin may do this.');
  return true;
};
