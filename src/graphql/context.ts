import type { SessionDelivery } from '../auth/session-delivery.js';
import type { Viewer } from '../auth/viewer.js';
import type { Services } from '../services.js';

export interface GraphQLContext {
  viewer?: Viewer;
  ip: string;
  /** The User-Agent header, cut to MAX_USER_AGENT_CHARS; recorded with sessions issued by this request. */
  userAgent?: string;
  services: Services;
  /** Hands out the sessions this request issues (in the body, or as the cookie) and clears the cookie it came with. */
  delivery: SessionDelivery;
}
