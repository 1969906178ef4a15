import { getIntrospectionQuery } from 'graphql';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { errorCode, startTestApp, type GraphQLResponse, type TestApp } from '../support/test-app.js';

const LOGIN = (alias = '') => `${alias}login(input: { username: "nobody", password: "some password" }) { mfaRequired }`;
/** `__type → fields → type → ofType × levels → name`: valid outside production, 4 + levels deep. */
const typeChain = (levels: number, leaves = 'name') =>
  `{ __type(name: "User") { fields { type { ${'ofType { '.repeat(levels)}${leaves}${' }'.repeat(levels)} } } } }`;
const aliases = (n: number, field: string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

/** Refused before execution: HTTP 400, BAD_USER_INPUT, and a message naming the limit. */
function assertRefused(response: GraphQLResponse<unknown>, message: RegExp) {
  assert.equal(response.status, 400);
  assert.equal(response.data, undefined, 'nothing executed');
  assert.ok(
    response.errors?.every((error) => error.extensions?.code === 'BAD_USER_INPUT'),
    JSON.stringify(response.errors),
  );
  assert.ok(
    response.errors?.some((error) => message.test(error.message)),
    JSON.stringify(response.errors),
  );
}

describe('operation limits', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.stop());

  it('refuses an operation nested deeper than 8, accepts 8', async () => {
    assert.deepEqual((await app.graphql(typeChain(4))).errors, undefined);
    assertRefused(await app.graphql(typeChain(5)), /depth limit of 8 exceeded, found 9/);
  });

  it('refuses more than 10 aliases per operation, __typename included', async () => {
    assert.equal((await app.graphql(aliases(10, 'me { id }'))).status, 200);
    assertRefused(await app.graphql(aliases(11, 'me { id }')), /Aliases limit of 10 exceeded, found 11/);
    assertRefused(await app.graphql(aliases(20, '__typename')), /Aliases limit of 10 exceeded, found 20/);
  });

  it('refuses a costly operation: wide at depth, or a fragment spread exponentially', async () => {
    assert.deepEqual((await app.graphql(typeChain(4, 'name '.repeat(20)))).errors, undefined);
    assertRefused(await app.graphql(typeChain(4, 'name '.repeat(300))), /Cost limit of 5000 exceeded/);
    const fragments = Array.from({ length: 12 }, (_, i) => `fragment F${i + 1} on User { ...F${i} ...F${i} }`).join(
      ' ',
    );
    assertRefused(
      await app.graphql(`{ me { ...F12 } } fragment F0 on User { id username } ${fragments}`),
      /Cost limit of 5000 exceeded/,
    );
  });

  it('refuses a document over the token limit while parsing, and too many directives', async () => {
    assertRefused(await app.graphql(`{ ${'__typename '.repeat(2000)} }`), /more that 2000 tokens/);
    assertRefused(
      await app.graphql(`{ ${'__typename @include(if: true) '.repeat(11)} }`),
      /Directives limit of 10 exceeded/,
    );
  });

  it('answers the full introspection query outside production', async () => {
    const all = {
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    };
    const response = await app.graphql<{ __schema: { queryType: { name: string } } }>(getIntrospectionQuery(all));
    assert.deepEqual(response.errors, undefined);
    assert.equal(response.data?.__schema.queryType.name, 'Query');
  });
});

describe('one sensitive mutation per operation', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.stop());

  const refusedShapes = {
    'two aliased logins': `mutation { ${LOGIN('a: ')} ${LOGIN('b: ')} }`,
    'login and signUp': `mutation { ${LOGIN()} signUp(input: { username: "newcomer", password: "a new password" }) { id } }`,
    'a login in a spread fragment': `mutation { ${LOGIN('a: ')} ...Again } fragment Again on Mutation { ${LOGIN('b: ')} }`,
    'a login in an inline fragment': `mutation { ${LOGIN('a: ')} ... on Mutation { ${LOGIN('b: ')} } }`,
    'one fragment spread twice': `mutation { ...Once ...Once } fragment Once on Mutation { ${LOGIN()} }`,
  };
  for (const [shape, query] of Object.entries(refusedShapes)) {
    it(`refuses ${shape}`, async () => {
      assertRefused(await app.graphql(query), /at most one sensitive mutation .* has 2\./);
    });
  }

  it('still runs one login, also beside a mutation that is not sensitive', async () => {
    for (const query of [`mutation { ${LOGIN()} }`, `mutation { ${LOGIN()} logout }`]) {
      const response = await app.graphql(query);
      assert.equal(response.status, 200);
      assert.equal(errorCode(response), 'INVALID_CREDENTIALS', 'the login ran');
    }
  });

  it('counts per operation, so a document with two operations runs the one named', async () => {
    const query = `mutation First { ${LOGIN()} } mutation Second { ${LOGIN()} }`;
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, operationName: 'Second' }),
    });
    assert.equal(response.status, 200);
    assert.equal(
      ((await response.json()) as GraphQLResponse<unknown>).errors?.[0].extensions?.code,
      'INVALID_CREDENTIALS',
    );
  });
});

describe('production switches', () => {
  let development: TestApp;
  let production: TestApp;
  before(async () => {
    development = await startTestApp();
    const keys = `k1:${randomBytes(32).toString('base64')}`;
    production = await startTestApp({
      NODE_ENV: 'production',
      MFA_ENCRYPTION_KEYS: keys,
      SMTP_URL: 'smtp://127.0.0.1:2525',
    });
  });
  after(async () => {
    await Promise.all([development.stop(), production.stop()]);
  });

  it('refuses introspection in production only', async () => {
    assert.equal((await development.graphql('{ __schema { queryType { name } } }')).status, 200);
    assertRefused(await production.graphql('{ __schema { queryType { name } } }'), /introspection is not allowed/);
    assertRefused(await production.graphql('{ __type(name: "User") { name } }'), /introspection is not allowed/);
  });

  it('suggests field names in production never, neither for fields nor for variables', async () => {
    const field = '{ me { usernam } }';
    const variable = [
      'mutation ($input: LoginInput!) { login(input: $input) { mfaRequired } }',
      { input: { usrname: 'a', password: 'b' } },
    ] as const;
    const messages = async (app: TestApp) =>
      [await app.graphql(field), await app.graphql(variable[0], { variables: variable[1] })]
        .flatMap((r) => r.errors!.map((e) => e.message))
        .join('\n');
    assert.match(
      await messages(development),
      /Cannot query field "usernam".*Did you mean "username"\?[^]*"usrname".*Did you mean "username"\?/,
    );
    const hidden = await messages(production);
    assert.match(
      hidden,
      /Cannot query field "usernam" on type "User"\.\n[^]*Field "usrname" is not defined by type "LoginInput"\.$/m,
    );
    assert.doesNotMatch(hidden, /Did you mean|Suggestion/);
  });

  it('serves the Sandbox landing page outside production only', async () => {
    const get = (app: TestApp) => fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' } });
    const sandbox = await get(development);
    assert.match(sandbox.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await sandbox.text(), /embeddable-sandbox/);
    const none = await get(production);
    assert.doesNotMatch(none.headers.get('content-type') ?? '', /text\/html/);
    assert.doesNotMatch(await none.text(), /sandbox/i);
  });
});
