import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.js';

/**
 * The console's pages may load only what the service itself serves: no inline script or style (an injected one
 * cannot run), no eval, no framing (clickjacking), no plugin content, forms and fetches to this origin alone.
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/** Vite names what it builds into assets/ after a hash of the content: a name never changes content, so caches keep it. */
const ASSETS_CACHE = 'public, max-age=31536000, immutable';
/** index.html names the current assets: a browser asks again each time (an unchanged one costs a 304). */
const INDEX_CACHE = 'no-cache';

const NOT_BUILT = 'The web console is not built: run `npm run build`.\n';

/** Replies the console answers: they keep their own Cache-Control instead of the API's no-store (response-headers.ts). */
const consoleReplies = new WeakSet<FastifyReply>();

export function isConsoleReply(reply: FastifyReply): boolean {
  return consoleReplies.has(reply);
}

/**
 * Serves the web console from `dir` at `/`: its files (assets/ cached for a year), and index.html for `/` and for
 * any other page a browser asks for (client routes: /sign-in, /security, /admin/users/…). Whatever is not found
 * and is not such a page gets Fastify's 404, as before. Without a built console, `/` says how to build one.
 */
export async function registerConsole(
  fastify: FastifyInstance,
  {
    dir,
    apiPaths,
  }: {
    dir: string;
    /** Paths of the API, never answered with a page even when a browser asks for HTML. */ apiPaths: readonly string[];
  },
  logger: Logger,
): Promise<void> {
  const built = existsSync(join(dir, 'index.html'));
  if (!built) logger.warn({ consoleDir: dir }, 'the web console is not built (npm run build): / answers 404');

  const sendIndex = (reply: FastifyReply) => {
    markConsole(reply, INDEX_CACHE);
    return built
      ? reply.sendFile('index.html', dir, { cacheControl: false })
      : reply.code(404).type('text/plain; charset=utf-8').send(NOT_BUILT);
  };

  fastify.setNotFoundHandler((request, reply) => {
    if (isPage(request, apiPaths)) return sendIndex(reply);
    // A console file that is not there (a stale asset name, say): the API's 404, with the API's headers.
    consoleReplies.delete(reply);
    reply.removeHeader('content-security-policy');
    return reply
      .code(404)
      .send({ message: `Route ${request.method}:${request.url} not found`, error: 'Not Found', statusCode: 404 });
  });
  if (!built) {
    fastify.get('/', (_request, reply) => sendIndex(reply));
    return;
  }
  // In a scope of its own: @fastify/static decorates the replies of this scope (sendFile) and adds its hook here only.
  await fastify.register(async (files) => {
    // Before @fastify/static answers: hashed assets are cached for good, anything else (favicon, robots.txt) revalidated.
    files.addHook('onRequest', async (request, reply) => {
      markConsole(reply, request.url.startsWith('/assets/') ? ASSETS_CACHE : INDEX_CACHE);
    });
    await files.register(fastifyStatic, {
      root: dir,
      prefix: '/',
      // index.html is served by the routes above, with its own headers; no directory is listed or redirected to.
      index: false,
      list: false,
      redirect: false,
      dotfiles: 'deny',
      cacheControl: false,
    });
    files.get('/', (_request, reply) => sendIndex(reply));
  });
}

function markConsole(reply: FastifyReply, cacheControl: string): void {
  consoleReplies.add(reply);
  reply.header('cache-control', cacheControl).header('content-security-policy', CONSOLE_CSP);
}

/**
 * A browser navigating to one of the console's pages: GET or HEAD, accepting HTML, outside the API's paths, and a
 * plain path (no "." or ".." segment, no encoded slash or backslash), so a traversal attempt is never answered with
 * a page.
 */
function isPage(request: FastifyRequest, apiPaths: readonly string[]): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (!(request.headers.accept ?? '').includes('text/html')) return false;
  const path = request.url.split('?')[0];
  if (apiPaths.some((api) => path === api || path.startsWith(`${api}/`))) return false;
  if (path.startsWith('/assets/')) return false;
  return path
    .split('/')
    .slice(1)
    .every((segment) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return false;
      }
      return decoded !== '.' && decoded !== '..' && !/[/\\\0]/.test(decoded);
    });
}
