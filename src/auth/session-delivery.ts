import { SESSION_COOKIE } from './credentials.js';

/** The `cookie` input field's description (login, passkeySignIn): one wording for both. */
export const SESSION_COOKIE_CHOICE =
  'For browsers: the session this sign-in issues (now, or at verifyMfa with its mfaToken) comes as the HttpOnly ' +
  `cookie ${SESSION_COOKIE} (Set-Cookie) and accessToken is null, so no script can read it.`;

/** What a sign-in's answer sets a header on: the Fastify reply, seen through the one method used. */
export interface HeaderSink {
  header(name: string, value: string): unknown;
}

/**
 * How one request hands out and takes back session cookies. A browser that asked for the cookie gets its access
 * token only as `mfa_session` (HttpOnly, so no script, and no injected one, can read it; SameSite=Strict, so no other
 * site's page sends it), and the answer's body then carries no token. Built per request by the GraphQL context.
 */
export class SessionDelivery {
  constructor(
    private readonly reply: HeaderSink,
    private readonly options: {
      /** Whether the cookie says Secure: everywhere but plain-HTTP development (PUBLIC_URL http://…). */
      secure: boolean;
      /** Whether this request's credential was the session cookie (no Authorization header). */
      presentedByCookie: boolean;
      clock?: () => Date;
    },
  ) {}

  /** Whether this request authenticated with the session cookie, e.g. to deliver the session that replaces it the same way. */
  get presentedByCookie(): boolean {
    return this.options.presentedByCookie;
  }

  /**
   * The access token the answer's body carries: `accessToken` itself, or null when `asCookie`, in which case it goes
   * out as the cookie, living as long as the session can (`absoluteExpiresAt`).
   */
  deliver(session: { accessToken: string; absoluteExpiresAt: Date }, asCookie: boolean): string | null {
    if (!asCookie) return session.accessToken;
    const now = (this.options.clock ?? (() => new Date()))();
    const maxAge = Math.max(0, Math.floor((session.absoluteExpiresAt.getTime() - now.getTime()) / 1000));
    this.reply.header('set-cookie', sessionCookie(session.accessToken, maxAge, this.options.secure));
    return null;
  }

  /** Tells the browser to drop the cookie, when this request came with it (logout, a dead session's cookie). */
  clearPresented(): void {
    if (this.options.presentedByCookie) this.reply.header('set-cookie', sessionCookie('', 0, this.options.secure));
  }
}

/** The Set-Cookie value: `mfa_session=<token>` with the attributes every one of ours carries; Max-Age=0 clears it. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

/** Secure unless the service is reached over plain HTTP (development): a browser drops Secure cookies on http://. */
export function secureCookies(publicUrl: string): boolean {
  return !publicUrl.startsWith('http://');
}
