import { DEVICE_COOKIE, SESSION_COOKIE } from './credentials.js';

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
 * site's page sends it), and the answer's body then carries no token; a device it asked to remember likewise comes
 * as the `mfa_device` cookie. Built per request by the GraphQL context.
 */
export class SessionDelivery {
  constructor(
    private readonly reply: HeaderSink,
    private readonly options: {
      /** Whether the cookie says Secure: everywhere but plain-HTTP development (PUBLIC_URL http://…). */
      secure: boolean;
      /** Whether this request's credential was the session cookie (no Authorization header). */
      presentedByCookie: boolean;
      /** The device token of the request's `mfa_device` cookie (well formed, one of it), for login to use. */
      presentedDeviceToken?: string;
      clock?: () => Date;
    },
  ) {}

  /** Whether this request authenticated with the session cookie, e.g. to deliver the session that replaces it the same way. */
  get presentedByCookie(): boolean {
    return this.options.presentedByCookie;
  }

  /** The `mfa_device` cookie's device token, when the browser sent one: login's deviceToken for cookie sign-ins. */
  get presentedDeviceToken(): string | undefined {
    return this.options.presentedDeviceToken;
  }

  /**
   * The access token the answer's body carries: `accessToken` itself, or null when `asCookie`, in which case it goes
   * out as the cookie, living as long as the session can (`absoluteExpiresAt`).
   */
  deliver(session: { accessToken: string; absoluteExpiresAt: Date }, asCookie: boolean): string | null {
    if (!asCookie) return session.accessToken;
    this.reply.header(
      'set-cookie',
      sessionCookie(session.accessToken, this.secondsUntil(session.absoluteExpiresAt), this.options.secure),
    );
    return null;
  }

  /**
   * The device token the answer's body carries (verifyMfa's rememberDevice): `deviceToken` itself, or null when
   * `asCookie` (a sign-in that asked for the session cookie), in which case it goes out as the `mfa_device` cookie,
   * as HttpOnly as the session's, living as long as the device is remembered (`expiresAt`).
   */
  deliverDevice(device: { deviceToken: string; expiresAt: Date }, asCookie: boolean): string | null {
    if (!asCookie) return device.deviceToken;
    this.reply.header(
      'set-cookie',
      cookie(DEVICE_COOKIE, device.deviceToken, this.secondsUntil(device.expiresAt), this.options.secure),
    );
    return null;
  }

  /** Tells the browser to drop its `mfa_device` cookie: the device it names is no longer remembered. */
  clearPresentedDevice(): void {
    if (this.options.presentedDeviceToken !== undefined)
      this.reply.header('set-cookie', cookie(DEVICE_COOKIE, '', 0, this.options.secure));
  }

  private secondsUntil(end: Date): number {
    const now = (this.options.clock ?? (() => new Date()))();
    return Math.max(0, Math.floor((end.getTime() - now.getTime()) / 1000));
  }

  /** Tells the browser to drop the cookie, when this request came with it (logout, a dead session's cookie). */
  clearPresented(): void {
    if (this.options.presentedByCookie) this.reply.header('set-cookie', sessionCookie('', 0, this.options.secure));
  }
}

/** The Set-Cookie value: `mfa_session=<token>` with the attributes every one of ours carries; Max-Age=0 clears it. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return cookie(SESSION_COOKIE, value, maxAgeSeconds, secure);
}

/** One of our cookies (mfa_session, mfa_device): never readable by scripts, never sent by another site's page. */
function cookie(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${name}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

/** Secure unless the service is reached over plain HTTP (development): a browser drops Secure cookies on http://. */
export function secureCookies(publicUrl: string): boolean {
  return !publicUrl.startsWith('http://');
}
