import type {
  AttemptPurpose,
  BeginRequest,
  Begun,
  EnrollRequest,
  Enrollment,
  FactorPlugin,
  FactorPluginOptions,
  StoredFactor,
  Verdict,
  VerifyRequest,
} from '../../src/plugin-kit.js';
import { requestOptions, verifyAssertion } from './assertion.js';
import { authenticationState, registrationState, type CeremonyState } from './attempt-state.js';
import { credentialIdOf } from './credential-response.js';
import { passkeyState, type PasskeyState } from './passkey-credential.js';
import { creationOptions, verifyRegistration } from './registration.js';
import { WebAuthnEnrollment } from './webauthn-enrollment.type.js';
import { RESPONSE_MAX_BYTES } from './webauthn.constants.js';
import { webauthnSettings } from './webauthn-settings.js';

/** The purposes an attempt on one known passkey is begun for; passwordless sign-in starts from `discoverable`. */
const BEGIN_PURPOSES: readonly AttemptPurpose[] = ['sign-in', 'step-up'];

/**
 * Passkeys (WebAuthn Level 3, verified by @simplewebauthn/server): a second factor bound to this service's origins,
 * several per user, and passwordless sign-in with the discoverable ones. The plugin describes the ceremonies; the
 * core spends each challenge with the success that uses it, keeps the counter update a compare-and-set, keeps
 * credential ids unique, and counts failures.
 * @throws Error at start for settings that would make passkeys unusable or bind them to the wrong site.
 */
export default function webauthnFactor(options: FactorPluginOptions): FactorPlugin {
  const settings = webauthnSettings(options);

  const enroll = async ({ owner, existing }: EnrollRequest): Promise<Enrollment> => {
    const creation = await creationOptions(settings, owner, existing.flatMap(excludable));
    const attemptState: CeremonyState = { ceremony: 'registration', challenge: creation.challenge };
    return {
      details: Object.assign(new WebAuthnEnrollment(), { creationOptions: creation }),
      attemptState,
    };
  };

  const activate = async ({ response, attemptState }: VerifyRequest): Promise<Verdict> => {
    const ceremony = registrationState(attemptState);
    if (!ceremony) return { accepted: false };
    const created = await verifyRegistration(settings, response, ceremony.challenge);
    if (!created) return { accepted: false };
    return { accepted: true, state: { ...created }, lookupKey: created.credentialId };
  };

  const begin = async ({ factor, purpose }: BeginRequest): Promise<Begun> => {
    // The core never begins these for a passkey; doing so would be its bug, not the client's.
    if (!BEGIN_PURPOSES.includes(purpose)) throw new Error(`webauthn factor: cannot begin an attempt for ${purpose}`);
    const request = await requestOptions(settings, [passkeyState(factor.state)], 'preferred');
    const attemptState: CeremonyState = { ceremony: 'authentication', challenge: request.challenge, purpose };
    return { attemptState, clientOptions: { ...request } };
  };

  const verify = async ({ factor, response, attemptState, purpose }: VerifyRequest): Promise<Verdict> => {
    const credential = passkeyState(factor.state);
    const ceremony = authenticationState(attemptState, purpose);
    if (!ceremony) return { accepted: false };
    const asserted = await verifyAssertion(settings, response, {
      credential,
      ownerId: factor.owner.id,
      expectedChallenge: ceremony.challenge,
      passwordless: purpose === 'passwordless',
    });
    if (!asserted) return { accepted: false };
    if ('refused' in asserted) return { accepted: false, reason: asserted.refused };
    return { accepted: true, state: { ...credential, ...asserted } };
  };

  return {
    type: 'webauthn',
    displayName: 'Passkey',
    assurance: 'phishing-resistant',
    responseLimits: { kind: 'json', maxBytes: RESPONSE_MAX_BYTES },
    detailsType: WebAuthnEnrollment,
    multiplePerUser: true,
    enroll,
    activate,
    begin,
    verify,
    discoverable: {
      async begin() {
        const request = await requestOptions(settings, [], 'required');
        const attemptState: CeremonyState = {
          ceremony: 'authentication',
          challenge: request.challenge,
          purpose: 'passwordless',
        };
        return { attemptState, clientOptions: { ...request } };
      },
      lookupKey: credentialIdOf,
    },
  };
}

/**
 * A passkey the owner has, for excludeCredentials. Excluding is advice to the browser, and the core refuses a
 * credential id that is already registered anyway, so a factor whose state is unreadable is left out rather than
 * failing the enrollment of a new one.
 */
function excludable(factor: StoredFactor): PasskeyState[] {
  try {
    return [passkeyState(factor.state)];
  } catch {
    return [];
  }
}

export { webauthnFactor };
