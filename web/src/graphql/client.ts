import type { TypedDocumentString } from '../gql/graphql';

/** An error the API answered with: its `extensions.code` and the extensions a page may act on. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get attemptsRemaining(): number | undefined {
    const value = this.extensions.attemptsRemaining;
    return typeof value === 'number' ? value : undefined;
  }

  get retryAfterSeconds(): number | undefined {
    const value = this.extensions.retryAfterSeconds;
    return typeof value === 'number' ? value : undefined;
  }
}

/** Dispatched on window when the API answers UNAUTHENTICATED. */
export const SESSION_ENDED = 'mfa-console:session-ended';

interface GraphQLBody<R> {
  data?: R | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/**
 * Sends one operation as any third-party frontend would. The session travels only in the HttpOnly mfa_session
 * cookie (same-origin credentials), so the console never holds a token; the JSON content type keeps the API's
 * CSRF prevention satisfied.
 */
export async function request<R, V>(
  document: TypedDocumentString<R, V>,
  ...[variables]: V extends Record<string, never> ? [] : [V]
): Promise<R> {
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ query: document.toString(), variables }),
    });
  } catch {
    throw new ApiError('NETWORK', 'The service cannot be reached. Check your connection and try again.');
  }
  let body: GraphQLBody<R>;
  try {
    body = (await response.json()) as GraphQLBody<R>;
  } catch {
    throw new ApiError('INTERNAL_SERVER_ERROR', `The service answered ${response.status}.`);
  }
  const first = body.errors?.[0];
  if (first) {
    const extensions = first.extensions ?? {};
    const code = typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR';
    // The session ended elsewhere (signed out on another tab, revoked, expired): the app returns to the sign-in.
    if (code === 'UNAUTHENTICATED') window.dispatchEvent(new Event(SESSION_ENDED));
    throw new ApiError(code, first.message, extensions);
  }
  if (!body.data) throw new ApiError('INTERNAL_SERVER_ERROR', `The service answered ${response.status}.`);
  return body.data;
}
