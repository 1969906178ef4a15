import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ErrorCode } from '../errors.js';

/**
 * Headers on every response. GraphQL answers carry tokens, codes and account
 * data: no cache (browser, proxy) may keep them (RFC 9111 §5.2.2.5 no-store).
 * No response may be sniffed into another type, nor leak its URL as a referrer
 * (OWASP HTTP Headers Cheat Sheet; OWASP Secure Headers Project).
 */
export const RESPONSE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

/** The same for the web console's files, but Cache-Control, which console.ts sets per file (assets are kept for good). */
export const CONSOLE_RESPONSE_HEADERS = {
  'x-content-type-options': RESPONSE_HEADERS['x-content-type-options'],
  'referrer-policy': RESPONSE_HEADERS['referrer-policy'],
} as const;

/**
 * Answers what Node's HTTP parser refuses before Fastify routes it (a request
 * not received within the request timeout: 408; headers too large: 431; bad
 * HTTP: 400) in the API's error shape, with the same headers, then closes.
 * Replaces Fastify's default handler, which writes neither.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const message =
    status === 408
      ? 'The request was not received in time.'
      : status === 431
        ? 'The request headers are too large.'
        : 'Malformed HTTP request.';
  const body = JSON.stringify({ errors: [{ message, extensions: { code: ErrorCode.BAD_USER_INPUT } }] });
  const headers = {
    ...RESPONSE_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  };
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('')}\r\n${body}`,
    );
  }
  socket.destroy(error);
}
