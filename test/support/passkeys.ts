import assert from 'node:assert/strict';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { AcceptMfaDocument, BeginMfaDocument, BeginPasskeySignInDocument } from '../generated/graphql.js';
import { enableMfaDocumentFor } from './factor-probe.js';
import { SoftwarePasskey, type CreateKnobs, type GetKnobs } from './software-passkey.js';
import type { TestApp } from './test-app.js';

/*
 * A browser-side client of the passkey factor over the GraphQL API: it hands the server's options to a software
 * authenticator (test/support/software-passkey.ts, real keys and signatures) and sends its credential back as JSON.
 */

/**
 * The page the browser runs the ceremonies on. The API is reached at the test app's own address (127.0.0.1 on an
 * ephemeral port), which no browser would accept as a WebAuthn origin; the app is told where its pages are instead,
 * as a deployment behind a proxy is (PUBLIC_URL, from which the RP ID and origin default).
 */
export const PASSKEY_ORIGIN = 'https://auth.example.test';

/** An app that offers passkeys beside the default factors, its pages at PASSKEY_ORIGIN. */
export const PASSKEY_ENV = { FACTOR_PLUGINS: 'totp,email,webauthn', PUBLIC_URL: PASSKEY_ORIGIN };

export type CreationOptions = PublicKeyCredentialCreationOptionsJSON;
export type RequestOptions = PublicKeyCredentialRequestOptionsJSON;

export interface StartedPasskey {
  /** enableMfa's token, for acceptMfa. */
  token: string;
  factorId: string;
  creationOptions: CreationOptions;
  scratchCodes: string[];
}

export interface EnrolledPasskey {
  factorId: string;
  passkey: SoftwarePasskey;
  scratchCodes: string[];
}

/** enableMfa for a passkey, as a client of the served schema selects it (WebAuthnEnrollment's creationOptions). */
export async function enablePasskey(app: TestApp, token: string, description?: string): Promise<StartedPasskey> {
  const enabled = await app.graphql(await enableMfaDocumentFor(app, 'WebAuthnEnrollment'), {
    token,
    variables: { input: { factorType: 'webauthn', ...(description ? { description } : {}) } },
  });
  assert.equal(enabled.errors, undefined, JSON.stringify(enabled.errors));
  const payload = enabled.data!.enableMfa;
  assert.equal(payload.details?.__typename, 'WebAuthnEnrollment');
  return {
    token: payload.token,
    factorId: payload.factor.id,
    creationOptions: payload.details.creationOptions as CreationOptions,
    scratchCodes: payload.scratchCodes ?? [],
  };
}

/** acceptMfa with a registration response (navigator.credentials.create's credential). */
export function acceptPasskey(app: TestApp, token: string, enrollmentToken: string, response: unknown) {
  return app.graphql(AcceptMfaDocument, { token, variables: { input: { token: enrollmentToken, response } } });
}

/** enableMfa → the authenticator creates a key → acceptMfa, as a browser does. */
export async function enrollPasskey(
  app: TestApp,
  token: string,
  knobs: Partial<CreateKnobs> & { description?: string } = {},
  passkey = new SoftwarePasskey(),
): Promise<EnrolledPasskey> {
  const { description, ...createKnobs } = knobs;
  const started = await enablePasskey(app, token, description);
  const response = passkey.create(started.creationOptions, { origin: PASSKEY_ORIGIN, ...createKnobs });
  const accepted = await acceptPasskey(app, token, started.token, response);
  assert.equal(accepted.errors, undefined, JSON.stringify(accepted.errors));
  assert.equal(accepted.data!.acceptMfa.status, 'ACTIVE');
  return { factorId: accepted.data!.acceptMfa.id, passkey, scratchCodes: started.scratchCodes };
}

/** beginMfa: with an mfaToken for a sign-in, else for the session of `token` (step-up, disableMfa). */
export async function beginMfa(
  app: TestApp,
  input: { factorId: string; mfaToken?: string },
  token?: string,
): Promise<{ options: RequestOptions | null; delivered: boolean }> {
  const begun = await app.graphql(BeginMfaDocument, { token, variables: { input } });
  assert.equal(begun.errors, undefined, JSON.stringify(begun.errors));
  assert.equal(begun.data!.beginMfa.factorId, input.factorId);
  return { options: begun.data!.beginMfa.options as RequestOptions | null, delivered: begun.data!.beginMfa.delivered };
}

/** beginMfa for a passkey, and the assertion the authenticator makes for its options. */
export async function assertionFor(
  app: TestApp,
  passkey: SoftwarePasskey,
  input: { factorId: string; mfaToken?: string },
  token?: string,
  knobs: Partial<GetKnobs> = {},
): Promise<unknown> {
  const { options } = await beginMfa(app, input, token);
  assert.ok(options, 'a passkey attempt has request options');
  return passkey.get(options, { origin: PASSKEY_ORIGIN, ...knobs });
}

/** beginPasskeySignIn: the challenge id and the options for navigator.credentials.get. */
export async function beginPasskeySignIn(app: TestApp): Promise<{ challengeId: string; options: RequestOptions }> {
  const begun = await app.graphql(BeginPasskeySignInDocument);
  assert.equal(begun.errors, undefined, JSON.stringify(begun.errors));
  const { challengeId, options } = begun.data!.beginPasskeySignIn;
  return { challengeId, options: options as RequestOptions };
}
