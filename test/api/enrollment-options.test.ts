import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Field, Int, ObjectType } from 'type-graphql';
import { badInput, codeFactor } from '../../src/plugin-kit.js';
import { enableMfaDocumentFor } from '../support/factor-probe.js';
import { signUpAndLogIn } from '../support/accounts.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

@ObjectType('OptionsProbeEnrollment')
class OptionsProbeEnrollment {
  @Field(() => Int)
  digits!: number;
}

/** A plugin with enrollment options of its own (`digits`). */
function optionsProbeFactor() {
  return codeFactor({
    type: 'options-probe',
    displayName: 'Options probe',
    pattern: /^[0-9]{6,8}$/,
    detailsType: OptionsProbeEnrollment,
    parseEnrollmentInput({ options: given }) {
      if (given === undefined || given === null) return { digits: 6 };
      const digits = (given as { digits?: unknown }).digits;
      if (typeof given !== 'object' || Array.isArray(given) || (digits !== 6 && digits !== 8))
        throw badInput('options', 'options.digits must be 6 or 8.');
      return { digits };
    },
    async enroll({ input }) {
      return {
        secret: 'options-probe-secret-0123456789',
        details: Object.assign(new OptionsProbeEnrollment(), { digits: input.digits as number }),
      };
    },
    async match() {
      return null;
    },
  });
}

describe("enableMfa's options: each plugin's own enrollment input", () => {
  let app: TestApp;
  let token: string;

  before(async () => {
    app = await startTestApp({}, { factorPlugins: () => [optionsProbeFactor()] });
    token = (await signUpAndLogIn(app, 'opal')).token;
  });
  after(() => app.stop());

  const enable = async (options?: unknown) =>
    app.graphql(await enableMfaDocumentFor(app, 'OptionsProbeEnrollment'), {
      token,
      variables: { input: { factorType: 'options-probe', options } },
    });

  it('reach enroll as the plugin parsed them; without them the plugin decides the default', async () => {
    const eight = await enable({ digits: 8 });
    assert.deepEqual(eight.data?.enableMfa.details, { __typename: 'OptionsProbeEnrollment', digits: 8 });
    const plain = await enable();
    assert.equal(plain.data?.enableMfa.details?.digits, 6, JSON.stringify(plain.errors));
  });

  it('are refused by the plugin with BAD_USER_INPUT naming `options`, whatever their shape, never a 500', async () => {
    for (const options of [{ digits: 7 }, 'eight', 8, [8], { digits: '8' }, true]) {
      const refused = await enable(options);
      assert.equal(errorCode(refused), 'BAD_USER_INPUT', JSON.stringify(options));
      assert.equal(refused.errors?.[0]?.extensions?.field, 'options', JSON.stringify(refused.errors));
    }
  });
});

describe("enableMfa's options for a plugin that takes none", () => {
  let app: TestApp;

  before(async () => {
    app = await startTestApp({ FACTOR_PLUGINS: 'totp' });
  });
  after(() => app.stop());

  it('are BAD_USER_INPUT naming `options`, and create no factor', async () => {
    const { token } = await signUpAndLogIn(app, 'otto');
    const refused = await app.graphql(await enableMfaDocumentFor(app, 'TotpEnrollment'), {
      token,
      variables: { input: { factorType: 'totp', options: { digits: 8 } } },
    });
    assert.equal(errorCode(refused), 'BAD_USER_INPUT');
    assert.equal(refused.errors?.[0]?.extensions?.field, 'options');
    assert.equal(await app.database.connection.collection('factors').countDocuments({}), 0);
  });
});

describe('a plugin loaded through FACTOR_PLUGINS gets its <NAME>_<KEY> settings', () => {
  let app: TestApp;

  before(async () => {
    app = await startTestApp({
      FACTOR_PLUGINS: 'webauthn',
      PUBLIC_URL: 'https://auth.example.test',
      WEBAUTHN_RP_ID: 'example.test',
      WEBAUTHN_RP_NAME: 'Example sign-in',
    });
  });
  after(() => app.stop());

  it("WEBAUTHN_RP_ID and WEBAUTHN_RP_NAME reach the passkey plugin's creation options", async () => {
    const { token } = await signUpAndLogIn(app, 'petra');
    const started = await app.graphql(await enableMfaDocumentFor(app, 'WebAuthnEnrollment'), {
      token,
      variables: { input: { factorType: 'webauthn' } },
    });
    const creation = started.data?.enableMfa.details?.creationOptions as { rp?: unknown } | undefined;
    assert.deepEqual(creation?.rp, { id: 'example.test', name: 'Example sign-in' }, JSON.stringify(started.errors));
  });

  it('a setting the plugin does not know stops the service at start, naming it', async () => {
    await assert.rejects(
      startTestApp({ FACTOR_PLUGINS: 'webauthn', WEBAUTHN_ORIGIN: 'https://auth.example.test' }),
      /WEBAUTHN_ORIGIN/,
    );
  });
});
