import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CreateApiKeyDocument as CREATE_API_KEY,
  LogoutDocument as LOGOUT,
  SignUpDocument as SIGN_UP,
} from '../generated/graphql.js';
import { TEST_PASSWORD, logIn, signUpAndLogIn } from '../support/accounts.js';
import { exited, freePort } from '../support/processes.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
/** The configuration the README shows, run as it is but for its three addresses. */
const DOCUMENTED_CONFIG = 'docs/forward-auth/nginx.conf';
const NGINX_START_TIMEOUT_MS = 10_000;
/** On PATH, or where Debian puts it (/usr/sbin is not on a normal user's PATH). */
const NGINX_BINARIES = ['nginx', '/usr/sbin/nginx'];

interface UpstreamRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The app behind the proxy: records what reaches it, and answers 200. */
async function startUpstream(): Promise<{ server: Server; port: number; seen: UpstreamRequest[] }> {
  const seen: UpstreamRequest[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('app');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, seen };
}

/** Replaces `from` in `text`, which must hold it exactly once (a changed documented config fails here, loudly). */
function replaceOnce(text: string, from: string, to: string): string {
  const parts = text.split(from);
  assert.equal(parts.length, 2, `${DOCUMENTED_CONFIG} must hold "${from}" exactly once`);
  return parts.join(to);
}

/** Resolves once something accepts connections on `port`; rejects if nginx exits first or after the timeout. */
async function accepting(port: number, nginx: ChildProcess, diagnostics: () => string): Promise<void> {
  const deadline = Date.now() + NGINX_START_TIMEOUT_MS;
  for (;;) {
    if (nginx.exitCode !== null || nginx.signalCode !== null)
      throw new Error(`nginx exited (${nginx.exitCode ?? nginx.signalCode}) before it listened:\n${diagnostics()}`);
    const connected = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) return;
    if (Date.now() > deadline)
      throw new Error(`nginx did not listen within ${NGINX_START_TIMEOUT_MS} ms:\n${diagnostics()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Debian's nginx in front of a tiny app, checking each request with the service's GET /auth/check through
 * auth_request, configured by the file the README shows.
 */
describe('forward auth behind nginx (auth_request)', () => {
  let app: TestApp;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let nginx: ChildProcess | undefined;
  let dir: string | undefined;
  let proxyUrl: string;

  before(async () => {
    const binary = NGINX_BINARIES.find((candidate) => !spawnSync(candidate, ['-v']).error);
    if (!binary)
      throw new Error(
        `nginx is not installed (looked for ${NGINX_BINARIES.join(', ')}): this test runs the real one. ` +
          'Install it: apt-get update && apt-get install -y nginx (.ci/run does so).',
      );
    app = await startTestApp();
    upstream = await startUpstream();
    const port = await freePort();
    proxyUrl = `http://127.0.0.1:${port}`;
    dir = mkdtempSync(join(tmpdir(), 'forward-auth-nginx-'));
    let site = readFileSync(join(ROOT, DOCUMENTED_CONFIG), 'utf8');
    site = replaceOnce(site, 'listen 80;', `listen 127.0.0.1:${port};`);
    site = replaceOnce(site, 'http://127.0.0.1:3000', `http://127.0.0.1:${upstream.port}`);
    site = replaceOnce(site, 'http://127.0.0.1:4000', app.url);
    writeFileSync(join(dir, 'site.conf'), site);
    // Everything nginx writes stays in `dir`; one process (no workers to switch to another user), in the foreground.
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log warn;`,
        'master_process off;',
        'events { worker_connections 64; }',
        'http {',
        '  access_log off;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`),
        `  include ${dir}/site.conf;`,
        '}',
        '',
      ].join('\n'),
    );
    let stderr = '';
    nginx = spawn(binary, ['-p', dir, '-e', `${dir}/error.log`, '-c', `${dir}/nginx.conf`, '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    nginx.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const logDir = dir;
    await accepting(port, nginx, () => {
      let log = '';
      try {
        log = readFileSync(join(logDir, 'error.log'), 'utf8');
      } catch {
        // not written yet
      }
      return `${stderr}\n${log}`;
    });
  });

  after(async () => {
    if (nginx) {
      nginx.kill('SIGTERM');
      await exited(nginx, 5000);
    }
    upstream?.server.close();
    await app?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const through = (path: string, init: RequestInit = {}) => fetch(`${proxyUrl}${path}`, init);
  const upstreamCalls = () => upstream.seen.length;

  it('is the configuration the README shows', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const shown = /\n```nginx\n([\s\S]*?)```\n/.exec(readme)?.[1];
    assert.equal(
      shown,
      readFileSync(join(ROOT, DOCUMENTED_CONFIG), 'utf8'),
      "README.md's nginx block, copied from the file",
    );
  });

  it('refuses a request with no credential at the proxy: 401 with WWW-Authenticate, and the app is never called', async () => {
    const before = upstreamCalls();
    const response = await through('/private/page');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    assert.equal(upstreamCalls(), before, 'the app saw nothing');
  });

  it('lets a live session through with the caller in X-Auth-* headers, and the request otherwise as sent', async () => {
    const alice = await signUpAndLogIn(app, 'alice');
    const response = await through('/private/page?x=1', { headers: { authorization: `Bearer ${alice.token}` } });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'app');
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.url, '/private/page?x=1');
    assert.deepEqual(
      [
        seen.headers['x-auth-user-id'],
        seen.headers['x-auth-username'],
        seen.headers['x-auth-role'],
        seen.headers['x-auth-mfa'],
        seen.headers['x-auth-credential'],
      ],
      [alice.id, 'alice', 'USER', 'none', 'session'],
    );
  });

  it('passes a POST body to the app untouched (the check reads none), and takes the session cookie and API keys', async () => {
    const bob = await signUpAndLogIn(app, 'bob');
    const posted = await through('/form', {
      method: 'POST',
      headers: { cookie: `mfa_session=${bob.token}`, 'content-type': 'application/json' },
      body: '{"hello":"world"}',
    });
    assert.equal(posted.status, 200);
    const seen = upstream.seen.at(-1)!;
    assert.deepEqual(
      [seen.method, seen.body, seen.headers['x-auth-user-id'], seen.headers['x-auth-credential']],
      ['POST', '{"hello":"world"}', bob.id, 'session'],
    );

    const key = await app.graphql(CREATE_API_KEY, { token: bob.token, variables: { input: { name: 'proxy' } } });
    const secret = key.data!.createApiKey.secret;
    assert.equal((await through('/api', { headers: { authorization: `Bearer ${secret}` } })).status, 200);
    assert.deepEqual(
      [upstream.seen.at(-1)!.headers['x-auth-user-id'], upstream.seen.at(-1)!.headers['x-auth-credential']],
      [bob.id, 'api-key'],
    );
  });

  it('hands a non-ASCII username on percent-encoded', async () => {
    const signUp = await app.graphql(SIGN_UP, { variables: { input: { username: 'Zoë', password: TEST_PASSWORD } } });
    assert.equal(signUp.errors, undefined, JSON.stringify(signUp.errors));
    const token = await logIn(app, 'Zoë');
    assert.equal((await through('/', { headers: { authorization: `Bearer ${token}` } })).status, 200);
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen.headers['x-auth-username'], 'Zo%C3%AB');
    assert.equal(decodeURIComponent(seen.headers['x-auth-username'] as string), 'Zoë');
  });

  it('refuses a revoked token at the proxy', async () => {
    const carol = await signUpAndLogIn(app, 'carol');
    assert.equal((await through('/', { headers: { authorization: `Bearer ${carol.token}` } })).status, 200);
    assert.equal((await app.graphql(LOGOUT, { token: carol.token })).data?.logout, true);
    const before = upstreamCalls();
    const response = await through('/', { headers: { authorization: `Bearer ${carol.token}` } });
    assert.equal(response.status, 401);
    assert.equal(upstreamCalls(), before, 'the app saw nothing');
  });

  it('never lets X-Auth-* headers a client forges reach the app', async () => {
    const dave = await signUpAndLogIn(app, 'dave');
    const forged = {
      'x-auth-user-id': '0123456789abcdef01234567',
      'x-auth-username': 'root',
      'x-auth-role': 'ADMIN',
      'x-auth-mfa': new Date().toISOString(),
      'x-auth-credential': 'session',
    };
    const before = upstreamCalls();
    assert.equal((await through('/', { headers: forged })).status, 401, 'forged headers alone pass nothing');
    assert.equal(upstreamCalls(), before);

    const response = await through('/', { headers: { ...forged, authorization: `Bearer ${dave.token}` } });
    assert.equal(response.status, 200);
    const seen = upstream.seen.at(-1)!;
    assert.deepEqual(
      [
        seen.headers['x-auth-user-id'],
        seen.headers['x-auth-username'],
        seen.headers['x-auth-role'],
        seen.headers['x-auth-mfa'],
      ],
      [dave.id, 'dave', 'USER', 'none'],
      'the values are the ones the service answered, not the client',
    );
  });
});
