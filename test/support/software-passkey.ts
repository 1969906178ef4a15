import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/*
 * A software WebAuthn authenticator and client in one, for tests: a P-256 key (ES256) from node:crypto, authenticator
 * data and a "none" attestation object in real CBOR, real signatures. It signs whatever it is asked, the way an
 * attacker's client would: it does not check allowCredentials, and its knobs produce the wrong origin, the wrong
 * RP ID, a tampered signature, a missing user verification, a counter of choice or a clone of the key.
 */

/** Authenticator data flags, WebAuthn §6.1. */
const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

/** What the browser and authenticator would do differently in one ceremony. */
export interface CeremonyKnobs {
  /** The page the ceremony runs on, written into clientDataJSON. */
  origin: string;
  /** The RP ID whose SHA-256 goes into the authenticator data. @default the options' RP ID */
  rpId?: string;
  /** The UV flag: the authenticator verified the user (PIN, biometrics). @default true */
  userVerified?: boolean;
  /** The UP flag. @default true */
  userPresent?: boolean;
  /** Sign another challenge than the options'. */
  challenge?: string;
  /** clientDataJSON's type. @default "webauthn.create" / "webauthn.get" */
  type?: string;
  /** clientDataJSON's crossOrigin (our page framed by another site). @default false */
  crossOrigin?: boolean;
}

export interface CreateKnobs extends CeremonyKnobs {
  /** The signature counter at creation; assertions count on from it. @default 0 */
  counter?: number;
  /** Added to the counter by each assertion; 0 is an authenticator without a counter (synced passkeys). @default 1 */
  counterStep?: number;
  /** The BS flag (and BE with it): a synced passkey is backup-eligible and backed up. @default false */
  backedUp?: boolean;
  /** The BE flag alone: may be backed up, is not yet. @default backedUp */
  backupEligible?: boolean;
  /** Reported by the browser as `response.transports`. @default ["internal", "hybrid"] */
  transports?: unknown[];
  /** The new credential's id, base64url (an attacker registering a key of their own under someone else's id). @default 32 random bytes */
  credentialId?: string;
}

export interface GetKnobs extends CeremonyKnobs {
  /** The BS flag of this assertion. @default as created */
  backedUp?: boolean;
  /** The BE flag of this assertion, which a real authenticator never changes. @default as created */
  backupEligible?: boolean;
  /** Flip a bit of the signature. */
  tamperSignature?: boolean;
  /** Sign with this counter, and leave the passkey's own where it is. */
  counter?: number;
  /** The user handle returned: null leaves it out. @default the user id the passkey was created for */
  userHandle?: string | null;
  /** The credential id the response names (the key stays this passkey's). */
  credentialId?: string;
}

interface Credential {
  key: KeyObject;
  publicKeyCose: Uint8Array;
  credentialId: string;
  rpId: string;
  userHandle: string;
  counterStep: number;
  backedUp: boolean;
  backupEligible: boolean;
}

export class SoftwarePasskey {
  #credential?: Credential;
  #counter = 0;

  /** The credential id, base64url, once created. */
  get credentialId(): string {
    return this.#created().credentialId;
  }

  /** The signature counter the next assertion starts from. */
  get counter(): number {
    return this.#counter;
  }

  /** navigator.credentials.create: a new key for `options.rp.id` and `options.user`, as RegistrationResponseJSON. */
  create(options: PublicKeyCredentialCreationOptionsJSON, knobs: CreateKnobs): RegistrationResponseJSON {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const credentialId = knobs.credentialId ?? randomBytes(32).toString('base64url');
    const rpId = options.rp.id ?? new URL(knobs.origin).hostname;
    this.#credential = {
      key: privateKey,
      publicKeyCose: isoCBOR.encode(
        new Map<number, number | Uint8Array>([
          [1, 2], // kty: EC2
          [3, -7], // alg: ES256
          [-1, 1], // crv: P-256
          [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
          [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
        ]),
      ),
      credentialId,
      rpId,
      userHandle: options.user.id,
      counterStep: knobs.counterStep ?? 1,
      backedUp: knobs.backedUp ?? false,
      backupEligible: knobs.backupEligible ?? knobs.backedUp ?? false,
    };
    this.#counter = knobs.counter ?? 0;
    const credential = this.#credential;
    const idBytes = Buffer.from(credentialId, 'base64url');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(idBytes.length);
    const authData = Buffer.concat([
      this.#authDataHead(knobs, this.#counter, FLAG.AT),
      Buffer.alloc(16), // AAGUID: none given
      length,
      idBytes,
      credential.publicKeyCose,
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, number>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, number>()], // "none": an empty statement (WebAuthn §8.7)
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: credentialId,
      rawId: credentialId,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: clientData('webauthn.create', options.challenge, knobs),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: (knobs.transports ?? ['internal', 'hybrid']) as string[],
      },
    };
  }

  /** navigator.credentials.get: an assertion over `options.challenge`, as AuthenticationResponseJSON. */
  get(options: PublicKeyCredentialRequestOptionsJSON, knobs: GetKnobs): AuthenticationResponseJSON {
    const credential = this.#created();
    let counter = knobs.counter;
    if (counter === undefined) {
      this.#counter += credential.counterStep;
      counter = this.#counter;
    }
    const authData = this.#authDataHead({ rpId: options.rpId, ...knobs }, counter, 0);
    const clientDataJSON = clientData('webauthn.get', options.challenge, knobs);
    const signed = Buffer.concat([
      authData,
      createHash('sha256').update(Buffer.from(clientDataJSON, 'base64url')).digest(),
    ]);
    const signature = sign('sha256', signed, credential.key); // ES256 as WebAuthn wants it: ASN.1 DER (§6.5.5)
    if (knobs.tamperSignature) signature[signature.length - 1] ^= 0x01;
    const userHandle = knobs.userHandle === undefined ? credential.userHandle : knobs.userHandle;
    const id = knobs.credentialId ?? credential.credentialId;
    return {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON,
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        ...(userHandle === null ? {} : { userHandle }),
      },
    };
  }

  /** Another authenticator holding the same key and credential, with its own counter (now equal to this one's). */
  clone(): SoftwarePasskey {
    const copy = new SoftwarePasskey();
    copy.#credential = { ...this.#created() };
    copy.#counter = this.#counter;
    return copy;
  }

  #created(): Credential {
    if (!this.#credential) throw new Error('SoftwarePasskey: create() it first');
    return this.#credential;
  }

  /** rpIdHash, flags and signCount: the 37 bytes every authenticator data starts with. */
  #authDataHead(
    knobs: Omit<CeremonyKnobs, 'origin'> & Pick<GetKnobs, 'backedUp' | 'backupEligible'>,
    counter: number,
    extraFlags: number,
  ): Buffer {
    const rpId = knobs.rpId ?? this.#created().rpId;
    let flags = extraFlags;
    if (knobs.userPresent ?? true) flags |= FLAG.UP;
    if (knobs.userVerified ?? true) flags |= FLAG.UV;
    if (knobs.backupEligible ?? this.#created().backupEligible) flags |= FLAG.BE;
    if (knobs.backedUp ?? this.#created().backedUp) flags |= FLAG.BS;
    const signCount = Buffer.alloc(4);
    signCount.writeUInt32BE(counter);
    return Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([flags]), signCount]);
  }
}

function clientData(type: string, challenge: string, knobs: CeremonyKnobs): string {
  const data = {
    type: knobs.type ?? type,
    challenge: knobs.challenge ?? challenge,
    origin: knobs.origin,
    crossOrigin: knobs.crossOrigin ?? false,
  };
  return Buffer.from(JSON.stringify(data)).toString('base64url');
}
