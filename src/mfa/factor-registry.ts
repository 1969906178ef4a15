import type { FactorPlugin } from './factor-plugin.js';

/** The largest structured response any plugin may take (a WebAuthn attestation is 0.5–2 KB; request bodies are capped too). */
const MAX_RESPONSE_BYTES = 64 * 1024;
const ASSURANCES = new Set(['possession', 'phishing-resistant']);

/** The factor types this deployment knows, by their stable `type` id. */
export class FactorRegistry {
  private readonly plugins = new Map<string, FactorPlugin>();

  constructor(plugins: readonly FactorPlugin[]) {
    for (const plugin of plugins) {
      if (!/^[a-z][a-z0-9-]{0,31}$/.test(plugin.type))
        throw new Error(`factor plugin type "${plugin.type}" must be lowercase letters, digits and dashes`);
      for (const problem of contractProblems(plugin)) throw new Error(`factor plugin "${plugin.type}" ${problem}`);
      if (this.plugins.has(plugin.type)) throw new Error(`two factor plugins share the type "${plugin.type}"`);
      this.plugins.set(plugin.type, plugin);
    }
  }

  get(type: string): FactorPlugin | undefined {
    return this.plugins.get(type);
  }

  all(): FactorPlugin[] {
    return [...this.plugins.values()];
  }

  types(): string[] {
    return [...this.plugins.keys()];
  }
}

/** What in a plugin breaks the contract in ways the types cannot say; checked when the service starts. */
function contractProblems(plugin: FactorPlugin): string[] {
  const problems: string[] = [];
  if (!ASSURANCES.has(plugin.assurance)) problems.push(`declares an unknown assurance "${String(plugin.assurance)}"`);
  const limits = plugin.responseLimits;
  if (limits?.kind === 'code') {
    if (!(limits.pattern instanceof RegExp)) problems.push('needs a RegExp responseLimits.pattern');
    else if (limits.pattern.global || limits.pattern.sticky)
      problems.push('has a g or y flag on its pattern: test() would depend on the previous call');
  } else if (limits?.kind === 'json') {
    if (!(limits.maxBytes > 0 && limits.maxBytes <= MAX_RESPONSE_BYTES))
      problems.push(`needs responseLimits.maxBytes between 1 and ${MAX_RESPONSE_BYTES}`);
  } else problems.push('needs responseLimits of kind "code" or "json"');
  if (plugin.delivery && (!plugin.begin || !plugin.destination))
    problems.push('delivers codes: it must have begin (returning deliver) and a destination');
  if (plugin.discoverable && !plugin.activate)
    problems.push('offers discoverable sign-in: its activate must give each factor a lookupKey');
  return problems;
}
