import { Role } from '../accounts/user.model.js';
import { forbidden, unauthenticated } from '../errors.js';
import { SessionScope } from '../sessions/session.model.js';
import type { SessionViewer, Viewer } from './viewer.js';

/**
 * What an operation may ask of its caller; every listed requirement must hold.
 * None at all means: signed in with a full session or an API key.
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
export function checkAccess(viewer: Viewer | undefined, required: readonly Access[]): Viewer {
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

/** The viewer, when it is an interactive session of full scope (not an API key, not an enrollment-only session). */
export function fullSessionViewer(viewer: Viewer | undefined): SessionViewer {
  return checkAccess(viewer, [Access.SESSION]) as SessionViewer;
}
