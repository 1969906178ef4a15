import type { Viewer } from '../auth/viewer.js';
import type { Services } from '../services.js';

export interface GraphQLContext {
  viewer?: Viewer;
  ip: string;
  /** The User-Agent header, cut to MAX_USER_AGENT_CHARS; recorded with sessions issued by this request. */
  userAgent?: string;
  services: Services;
}
