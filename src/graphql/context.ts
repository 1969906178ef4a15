import type { UserRecord } from '../accounts/user.model.js';
import type { SessionRecord } from '../sessions/session.model.js';
import type { Services } from '../services.js';

/** Who is calling: a user through a session (or, later, an API key). */
export interface Viewer {
  user: UserRecord;
  session: SessionRecord;
}

export interface GraphQLContext {
  viewer?: Viewer;
  ip: string;
  services: Services;
}
