import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/test-app.js';

const SECRET = 'Tr0ub4dor&3-horse-staple';
const LOGIN = 'mutation ($input: LoginInput!) { login(input: $input) { accessToken } }';

/** Pino's error level: a line at it means an operator is paged for what a client did. */
const errorLogLines = (app: TestApp) =>
  app.logLines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);

async function post(app: TestApp, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('HTTP edges: response headers, persisted queries, and errors that echo nothing', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.stop());

  it('sends Cache-Control: no-store, nosniff and no-referrer on every response: answers, errors, health and unknown paths', async () => {
    const responses = {
      'a query': await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      }),
      'a GET query': await fetch(`${app.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
        headers: { 'apollo-require-preflight': 'true' },
      }),
      'a GraphQL error': await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ nothing }' }),
      }),
      'an unknown token (401)': await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer mfa_at_unknown' },
        body: '{"query":"{ me { id } }"}',
      }),
      'malformed JSON (400)': await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query": ',
      }),
      'a body over the limit (413)': await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(200 * 1024) }),
      }),
      'a CSRF-suspect GET (400)': await fetch(`${app.url}/graphql?query=${encodeURIComponent('{ __typename }')}`),
      '/healthz': await fetch(`${app.url}/healthz`),
      '/readyz': await fetch(`${app.url}/readyz`),
      'an unknown path (404)': await fetch(`${app.url}/nowhere`),
    };
    for (const [what, response] of Object.entries(responses)) {
      await response.arrayBuffer();
      assert.equal(response.headers.get('cache-control'), 'no-store', what);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', what);
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer', what);
    }
  });

  it('answers an unknown persisted-query hash with PERSISTED_QUERY_NOT_FOUND, registers and runs a known one, and logs no error', async () => {
    const query = '{ __typename }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const persisted = { persistedQuery: { version: 1, sha256Hash } };
    const unknown = await post(app, { extensions: persisted });
    assert.equal(unknown.status, 200);
    assert.deepEqual(JSON.parse(unknown.text), {
      errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }],
    });
    const viaGet = await fetch(
      `${app.url}/graphql?extensions=${encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } }))}`,
      { headers: { 'apollo-require-preflight': 'true' } },
    );
    assert.equal(
      ((await viaGet.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code,
      'PERSISTED_QUERY_NOT_FOUND',
    );

    assert.deepEqual(
      JSON.parse((await post(app, { query, extensions: persisted })).text),
      { data: { __typename: 'Query' } },
      'the client sends the query with its hash',
    );
    assert.deepEqual(
      JSON.parse((await post(app, { extensions: persisted })).text),
      { data: { __typename: 'Query' } },
      'the hash alone runs it now',
    );

    for (const refused of [
      { query, extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } },
      { extensions: { persistedQuery: { version: 2, sha256Hash } } },
    ]) {
      const response = await post(app, refused);
      assert.equal(response.status, 400);
      assert.equal(
        (JSON.parse(response.text) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code,
        'BAD_USER_INPUT',
      );
    }
    assert.deepEqual(errorLogLines(app), []);
  });

  it('never sends a submitted password back: wrongly typed, nested, beside an unknown field, too long, or written into the query', async () => {
    const attempts: Array<[string, unknown]> = [
      [
        'a password as a number beside an unknown field holding it',
        { query: LOGIN, variables: { input: { username: 'someone', password: 12345, note: SECRET } } },
      ],
      ['a password in a list', { query: LOGIN, variables: { input: { username: 'someone', password: [SECRET] } } }],
      [
        'a password in an object',
        { query: LOGIN, variables: { input: { username: 'someone', password: { value: SECRET } } } },
      ],
      ['a whole input of the wrong type', { query: LOGIN, variables: { input: SECRET } }],
      [
        'a too-long password',
        { query: LOGIN, variables: { input: { username: 'someone', password: SECRET.repeat(100) } } },
      ],
      [
        'a too-short sign-up password',
        {
          query: 'mutation ($input: SignUpInput!) { signUp(input: $input) { id } }',
          variables: { input: { username: 'someone', password: SECRET.slice(0, 5) } },
        },
      ],
      [
        'a password as an unquoted literal',
        {
          query: `mutation { login(input: { username: "someone", password: ${SECRET.replace(/\W/g, '')} }) { accessToken } }`,
        },
      ],
      [
        'a password as a number literal',
        { query: 'mutation { login(input: { username: "someone", password: 31415926535 }) { accessToken } }' },
      ],
      [
        'a password where the parser stops',
        { query: `mutation { login(input: { username: "someone", password "${SECRET}" }) { accessToken } }` },
      ],
    ];
    for (const [what, body] of attempts) {
      const response = await post(app, body);
      const { errors } = JSON.parse(response.text) as { errors: Array<{ extensions: { code: string } }> };
      assert.equal(errors[0].extensions.code, 'BAD_USER_INPUT', `${what}: ${response.text}`);
      for (const fragment of [SECRET, SECRET.slice(0, 5), SECRET.replace(/\W/g, ''), '31415926535', '12345'])
        assert.ok(!response.text.includes(fragment), `${what} echoed "${fragment}": ${response.text}`);
    }
    assert.ok(!app.logLines.some((line) => line.includes(SECRET.slice(0, 8))), 'nor logged');
  });

  it('still says which variable and field is wrong, and why', async () => {
    const response = await post(app, { query: LOGIN, variables: { input: { username: 'someone', password: 12345 } } });
    const [error] = (JSON.parse(response.text) as { errors: Array<{ message: string }> }).errors;
    assert.equal(
      error.message,
      'Variable "$input" got an invalid value at "input.password": String cannot represent this value.',
    );
  });
});
