import type { BuiltInFactorPlugins } from './mfa/load-factor-plugins.js';

/**
 * The factor plugins that ship with the service, by the names FACTOR_PLUGINS
 * uses for them. Listed here, at the composition root, so the MFA core never
 * imports a plugin: plugins depend on the core's contract, not the reverse.
 * Each is imported only when named.
 */
export const BUILT_IN_FACTOR_PLUGINS: BuiltInFactorPlugins = {
  totp: () => import('../plugins/totp/index.js'),
  email: () => import('../plugins/email-otp/index.js'),
  webauthn: () => import('../plugins/webauthn/index.js'),
};
