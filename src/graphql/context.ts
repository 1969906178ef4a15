import type { UserRecord } from '../accounts/user.model.js';
import type { ApiKeyRecord } from '../api-keys/api-key.model.js';
import type { SessionRecord } from '../sessions/session.model.js';
import type { Services } from '../services.js';

/** Who is calling: a user through an interactive session, or a script through one of the user's API keys. */
export type Viewer = { kind: 'session'; user: UserRecord; session: SessionRecord } | { kind: 'apiKey'; user: UserRecord; apiKey: ApiKeyRecord };

export interface GraphQLContext {
  viewer?: Viewer;
  ip: string;
  /** The User-Agent header, cut to MAX_USER_AGENT_CHARS; recorded with sessions issued by this request. */
  userAgent?: string;
  services: Services;
}
