import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONSOLE_CSP } from '../../src/http/console.js';
import { MeDocument as ME } from '../generated/graphql.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head></html>\n';
const SCRIPT = 'console.log("console fixture");\n';
const ASSETS_CACHE = 'public, max-age=31536000, immutable';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with its path sent exactly as written (fetch would resolve "..", as a browser does). */
function raw(app: TestApp, path: string, options: { method?: string; accept?: string } = {}): Promise<Answer> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      {
        hostname,
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.accept === undefined ? {} : { accept: options.accept },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    sent.on('error', reject);
    sent.end();
  });
}

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

function assertIndex(answer: Answer, what: string, body = INDEX): void {
  assert.equal(answer.status, 200, what);
  assert.equal(answer.body, body, what);
  assert.match(String(answer.headers['content-type']), /^text\/html/, what);
  assert.equal(answer.headers['cache-control'], 'no-cache', what);
  assert.equal(answer.headers['content-security-policy'], CONSOLE_CSP, what);
  assert.equal(answer.headers['x-content-type-options'], 'nosniff', what);
}

describe('the web console at /', () => {
  let app: TestApp;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'app-abc123.js'), SCRIPT);
    writeFileSync(join(dir, 'robots.txt'), 'User-agent: *\n');
    writeFileSync(join(dir, '.env'), 'SECRET=1\n');
    app = await startTestApp({ CONSOLE_DIR: dir });
  });
  after(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / with no-cache and the CSP, and no unsafe-inline or unsafe-eval in it', async () => {
    assertIndex(await raw(app, '/', { accept: HTML }), '/');
    assertIndex(await raw(app, '/'), '/ without an Accept header');
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
    for (const directive of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"])
      assert.ok(CONSOLE_CSP.split('; ').includes(directive), directive);
  });

  it('serves hashed assets as immutable for a year, with their type and the CSP', async () => {
    const script = await raw(app, '/assets/app-abc123.js');
    assert.equal(script.status, 200);
    assert.equal(script.body, SCRIPT);
    assert.match(String(script.headers['content-type']), /^(text|application)\/javascript/);
    assert.equal(script.headers['cache-control'], ASSETS_CACHE);
    assert.equal(script.headers['content-security-policy'], CONSOLE_CSP);
    assert.equal(script.headers['x-content-type-options'], 'nosniff');
    const robots = await raw(app, '/robots.txt');
    assert.equal(robots.status, 200);
    assert.equal(robots.headers['cache-control'], 'no-cache', 'a file outside assets/ is not hashed: revalidated');
  });

  it('answers HEAD like GET without a body', async () => {
    for (const path of ['/', '/assets/app-abc123.js', '/security']) {
      const head = await raw(app, path, { method: 'HEAD', accept: HTML });
      assert.equal(head.status, 200, path);
      assert.equal(head.body, '', path);
      assert.equal(head.headers['content-security-policy'], CONSOLE_CSP, path);
    }
  });

  it("gives index.html for the client's routes when a browser asks for a page", async () => {
    for (const path of [
      '/sign-in',
      '/security',
      '/admin/users/0123456789abcdef01234567',
      '/admin/users/zo%C3%AB',
      '/reset-password',
      '/verify-email?x=1',
    ])
      assertIndex(await raw(app, path, { accept: HTML }), path);
  });

  it('gives a 404, not a page, to what is not a page: no text/html, other methods, missing assets', async () => {
    const notPage = [
      await raw(app, '/sign-in', { accept: 'application/json' }),
      await raw(app, '/sign-in'),
      await raw(app, '/sign-in', { method: 'POST', accept: HTML }),
      await raw(app, '/assets/app-old999.js', { accept: HTML }),
    ];
    for (const answer of notPage) {
      assert.equal(answer.status, 404);
      assert.notEqual(answer.body, INDEX);
      assert.equal(answer.headers['cache-control'], 'no-store', 'the API headers');
      assert.equal(answer.headers['content-security-policy'], undefined);
    }
  });

  it("leaves the API's paths alone, even for a browser asking for HTML", async () => {
    const health = await raw(app, '/healthz', { accept: HTML });
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
    assert.equal(health.headers['cache-control'], 'no-store');
    assert.equal(health.headers['content-security-policy'], undefined);
    const check = await raw(app, '/auth/check', { accept: HTML });
    assert.equal(check.status, 401);
    assert.equal(check.body, '');
    for (const path of ['/metrics', '/graphql/x', '/healthz/x', '/readyz/x', '/auth/check/x']) {
      const answer = await raw(app, path, { accept: HTML });
      assert.equal(answer.status, 404, path);
      assert.notEqual(answer.body, INDEX, path);
    }
    const { token } = await signUpAndLogIn(app, 'cora');
    const me = await app.graphql(ME, { token });
    assert.equal(me.data?.me?.username, 'cora', 'GraphQL as ever');
  });

  it('refuses path traversal and dotfiles: never a file outside the console, never a page', async () => {
    for (const path of [
      '/..%2f..%2fetc/passwd',
      '/assets/../../package.json',
      '/assets/..%2f..%2fpackage.json',
      '/../package.json',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/%2e%2e/index.html',
      '/.env',
    ]) {
      const answer = await raw(app, path, { accept: HTML });
      assert.ok([400, 403, 404].includes(answer.status), `${path}: ${answer.status}`);
      assert.equal(answer.headers['cache-control'], 'no-store', `${path}: a refusal is kept by no cache`);
      assert.doesNotMatch(answer.body, /"name": "mfa-graphql"|root:|SECRET=/, path);
      assert.notEqual(answer.body, INDEX, `${path} gets no page`);
    }
  });
});

describe('the web console, not built', () => {
  let app: TestApp;

  before(async () => {
    app = await startTestApp({ CONSOLE_DIR: join(tmpdir(), 'no-console-here-' + process.pid) });
  });
  after(() => app?.stop());

  it('/ answers 404 with one line saying to build it; the API runs; the start logged one warning', async () => {
    const answer = await raw(app, '/', { accept: HTML });
    assert.equal(answer.status, 404);
    assert.equal(answer.body, 'The web console is not built: run `npm run build`.\n');
    assert.equal(answer.headers['cache-control'], 'no-store', 'not cached: the console may be built next');
    assert.match(String(answer.headers['content-type']), /^text\/plain/);
    const page = await raw(app, '/security', { accept: HTML });
    assert.equal(page.status, 404);
    assert.equal(page.body, answer.body);
    assert.equal((await raw(app, '/healthz')).status, 200);
    const warnings = app.logLines.filter((line) => line.includes('web console is not built'));
    assert.equal(warnings.length, 1, 'once, at start');
  });
});
