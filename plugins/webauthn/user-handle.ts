import { createHash } from 'node:crypto';

/**
 * The WebAuthn user handle of an account: the same for all of its passkeys, so an authenticator keeps one
 * discoverable credential per account and RP, replacing rather than piling up. It is a hash of the account id,
 * not the id itself: WebAuthn §14.6.1 asks that it carry nothing about the user, and an ObjectId holds the
 * account's creation time.
 */
export function userHandle(ownerId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update('mfa-graphql webauthn user handle\0').update(ownerId).digest());
}
