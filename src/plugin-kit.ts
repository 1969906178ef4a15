/*
 * What a factor plugin may import from the service (the package's "./plugin" export): the contract's types and
 * a few helpers. A plugin imports this module only (besides npm packages and its own files), so the core can
 * change behind it.
 * - `codeFactor({...})`: builds a plugin for typed codes (TOTP, e-mail, SMS) from a `match` function;
 * - `badInput(field, message)`: refuses enrollment input with the API's BAD_USER_INPUT error;
 * - `mailboxKey(address)`: one string per mailbox, the normalisation `destination` asks for.
 */
export type * from './mfa/factor-plugin-v2.js';
export { codeFactor, type CodeFactorSpec, type CodeMatchRequest } from './mfa/code-factor.js';
export { badInput } from './errors.js';
export { mailboxKey } from './mail/mailbox-key.js';
