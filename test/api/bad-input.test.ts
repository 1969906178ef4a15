import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

describe('bad input over HTTP', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.stop());

  async function post(body: string, headers: Record<string, string> = {}) {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return {
      status: response.status,
      json: (await response.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> },
    };
  }

  it('answers malformed JSON with a GraphQL error, not a 500', async () => {
    const { status, json } = await post('{"query": ');
    assert.equal(status, 400);
    assert.equal(json.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
  });

  it('rejects a body over the limit', async () => {
    const { status, json } = await post(
      JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(200 * 1024) } }),
    );
    assert.equal(status, 413);
    assert.equal(json.errors?.[0].extensions?.code, 'BAD_USER_INPUT');
  });

  it('refuses batched operations', async () => {
    const { status } = await post(JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]));
    assert.equal(status, 400);
  });

  it('names the field that fails validation', async () => {
    const response = await app.graphql('mutation { signUp(input: { username: "x", password: "p" }) { id } }');
    assert.equal(errorCode(response), 'BAD_USER_INPUT');
    assert.match(response.errors![0].message, /username/);
  });

  it('reports wrong variable types and unknown fields as BAD_USER_INPUT', async () => {
    const wrongType = await app.graphql('mutation ($input: LoginInput!) { login(input: $input) { accessToken } }', {
      variables: { input: { username: 5, password: true } },
    });
    assert.equal(errorCode(wrongType), 'BAD_USER_INPUT');
    assert.equal(errorCode(await app.graphql('{ nothingHere }')), 'BAD_USER_INPUT');
    assert.equal(errorCode(await app.graphql('{ me { ')), 'BAD_USER_INPUT');
  });

  it('turns away a huge string before hashing it', async () => {
    const response = await app.graphql('mutation ($input: LoginInput!) { login(input: $input) { accessToken } }', {
      variables: { input: { username: 'someone', password: 'p'.repeat(50_000) } },
    });
    assert.equal(errorCode(response), 'BAD_USER_INPUT');
  });

  it('rejects a malformed or unknown bearer token with 401', async () => {
    for (const token of ['not a token!', 'mfa_at_unknown']) {
      const response = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      assert.equal(response.status, 401);
      assert.equal(
        ((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code,
        'UNAUTHENTICATED',
      );
    }
  });

  it('reports health and readiness', async () => {
    assert.deepEqual(await (await fetch(`${app.url}/healthz`)).json(), { status: 'ok' });
    const ready = await fetch(`${app.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', down: [], degraded: [] });
  });
});
