import type { FactorPluginFactory } from './mfa/factor-plugin.js';
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
  // Written to contract v2 (src/plugin-kit.ts), which the loader does not take yet: the cast goes with the core's
  // move to v2. Until then FACTOR_PLUGINS=webauthn stops the service at start (no PUBLIC_URL reaches the factory).
  webauthn: () => import('../plugins/webauthn/index.js') as unknown as Promise<{ default: FactorPluginFactory }>,
};
