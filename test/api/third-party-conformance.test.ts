import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EnableMfaDocument, FactorTypesDocument } from '../generated/graphql.js';
import { codeAuthenticator, testFactorPlugin, type CodeSource } from 'mfa-graphql/testing';
import { COUNTER_TOKEN_LOOK_AHEAD, counterTokenCode, counterTokenFactor } from '../fixtures/counter-token/index.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { enableMfaDocumentFor } from '../support/factor-probe.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** The key fob of the fixture plugin: each press shows the next code; it keeps its own counter per seed. */
function keyFob(): CodeSource {
  const presses = new Map<string, number>();
  const press = (seed: string) => {
    presses.set(seed, (presses.get(seed) ?? 0) + 1);
    return counterTokenCode(seed, presses.get(seed)!);
  };
  return {
    fromEnrollment: ({ details }) => press(seedOf(details)),
    next: ({ details }) => press(seedOf(details)),
    wrong(validCode, { details }) {
      // Not a code the server would take (it looks ahead of the last one it accepted), only a different well-formed one.
      const pressed = presses.get(seedOf(details)) ?? 0;
      const near = new Set(
        Array.from({ length: 2 * COUNTER_TOKEN_LOOK_AHEAD + 1 }, (_, i) => pressed - COUNTER_TOKEN_LOOK_AHEAD + i)
          .filter((n) => n > 0)
          .map((n) => counterTokenCode(seedOf(details), n)),
      );
      let code = validCode;
      do code = [...code].map((digit) => ((parseInt(digit, 16) + 1) % 16).toString(16).toUpperCase()).join('');
      while (near.has(code));
      return code;
    },
    secret: (details) => seedOf(details),
  };
}

function seedOf(details: Record<string, unknown>): string {
  if (typeof details.seed !== 'string')
    throw new Error(`counter-token details without a seed: ${JSON.stringify(details)}`);
  return details.seed;
}

// FACTOR_PLUGINS takes relative paths from the working directory; an absolute one does not depend on it.
const modulePath = fileURLToPath(new URL('../fixtures/counter-token/index.js', import.meta.url));

// As the plugin's author would run it: the suite from the package's "./testing" export, the plugin by its module path.
testFactorPlugin({
  name: 'factor plugin conformance: a third-party plugin (test/fixtures/counter-token) loaded through FACTOR_PLUGINS',
  plugin: modulePath,
  authenticator: codeAuthenticator(keyFob()),
});

describe('a third-party factor plugin loaded through FACTOR_PLUGINS', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ FACTOR_PLUGINS: `totp,${modulePath}` });
  });
  after(() => app.stop());

  it('is listed in factorTypes beside totp, and either type enrolls with its own details', async () => {
    const { token } = await signUpAndLogIn(app, 'plugin-loader');
    const types = await app.graphql(FactorTypesDocument, { token });
    assert.deepEqual(types.data?.factorTypes, [
      { type: 'totp', displayName: 'Authentication app', allowed: true },
      { type: 'counter-token', displayName: 'Key fob (conformance fixture)', allowed: true },
    ]);
    const fob = await app.graphql(await enableMfaDocumentFor(app, 'CounterTokenEnrollment'), {
      token,
      variables: { input: { factorType: 'counter-token' } },
    });
    assert.equal(fob.data?.enableMfa.details?.__typename, 'CounterTokenEnrollment', JSON.stringify(fob.errors));
    assert.equal(typeof fob.data.enableMfa.details.seed, 'string');
    const totp = await app.graphql(EnableMfaDocument, { token, variables: { input: { factorType: 'totp' } } });
    assert.equal(totp.data?.enableMfa.details?.__typename, 'TotpEnrollment', JSON.stringify(totp.errors));
  });

  it('keeps resolving its own details while an app with other plugins serves in the same process', async () => {
    const other = await startTestApp({}, { factorPlugins: [counterTokenFactor({ issuer: 'other' })] });
    try {
      const { token } = await signUpAndLogIn(app, 'beside-another-app');
      const totp = await app.graphql(EnableMfaDocument, { token, variables: { input: { factorType: 'totp' } } });
      assert.equal(totp.data?.enableMfa.details?.__typename, 'TotpEnrollment', JSON.stringify(totp.errors));
    } finally {
      await other.stop();
    }
  });
});
