import type { UserRecord } from '../accounts/user.model.js';
import type { ApiKeyRecord } from '../api-keys/api-key.model.js';
import type { SessionRecord } from '../sessions/session.model.js';

/** Who is calling: a user through an interactive session, or a script through one of the user's API keys. */
export type Viewer =
  | { kind: 'session'; user: UserRecord; session: SessionRecord }
  | { kind: 'apiKey'; user: UserRecord; apiKey: ApiKeyRecord };

/** A viewer calling through an interactive session (not an API key). */
export type SessionViewer = Extract<Viewer, { kind: 'session' }>;
