import { passkeyAuthenticator, testFactorPlugin } from '../factor-conformance.js';

/** The page the passkeys are used on: the service's PUBLIC_URL, whose origin and host the plugin takes by default. */
const ORIGIN = 'https://mfa.example.test';

// Twice: synced passkeys have no signature counter, so single use rests on the challenge alone; device-bound ones
// count, so a replay is refused by the counter too.
for (const synced of [true, false])
  testFactorPlugin({
    name: `factor plugin conformance: webauthn (${synced ? 'synced passkeys' : 'device-bound passkeys with a counter'})`,
    // The built-in name, loaded through FACTOR_PLUGINS as a deployment that turns passkeys on loads it.
    plugin: 'webauthn',
    env: { PUBLIC_URL: ORIGIN },
    authenticator: passkeyAuthenticator({ origin: ORIGIN, synced }),
  });
