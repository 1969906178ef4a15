import type autocannon from 'autocannon';

/** autocannon's per-connection state through one operation's requests; reset when the sequence starts over. */
export type Context = Record<string, unknown>;

const JSON_BODY = { 'content-type': 'application/json' };
const bearer = (token?: string) => (token ? { authorization: `Bearer ${token}` } : {});

/** A fixed request, built once. */
export const post = (body: string, token?: string): autocannon.Request => ({
  method: 'POST',
  body,
  headers: { ...JSON_BODY, ...bearer(token) },
});

/** A fixed GET of `path` (not /graphql), with no body and no content type, as a reverse proxy's subrequest sends it. */
export const get = (path: string, token?: string): autocannon.Request => ({
  method: 'GET',
  path,
  headers: bearer(token),
});

/** A request whose body (and credential) is chosen as it is sent, with a look at its response. */
export const dynamic = (
  build: (context: Context) => { body: string; token?: string },
  onResponse?: (body: string, context: Context) => void,
): autocannon.Request => ({
  method: 'POST',
  setupRequest: (request, context) => {
    const { body, token } = build(context as Context);
    return {
      ...request,
      body,
      headers: { ...request.headers, ...JSON_BODY, ...bearer(token) },
    };
  },
  onResponse: onResponse && ((_status, body, context) => onResponse(body, context as Context)),
});

/** `data` of a GraphQL response body, or undefined when it is not JSON. */
export function dataOf(body: string): Record<string, Record<string, unknown> | null> | undefined {
  try {
    return (JSON.parse(body) as { data?: Record<string, Record<string, unknown> | null> }).data;
  } catch {
    return undefined;
  }
}
