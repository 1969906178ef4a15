import { passkeyAuthenticator, testFactorPlugin } from '../factor-conformance.js';

/** The page the passkeys are used on: the service's PUBLIC_URL, whose origin and host the plugin takes by default. */
const ORIGIN = 'https://mfa.example.test';

testFactorPlugin({
  name: 'factor plugin conformance: webauthn (passkeys, a software authenticator)',
  // The built-in name, loaded through FACTOR_PLUGINS as a deployment that turns passkeys on loads it.
  plugin: 'webauthn',
  env: { PUBLIC_URL: ORIGIN },
  authenticator: passkeyAuthenticator({ origin: ORIGIN }),
});
