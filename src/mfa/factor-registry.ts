import type { FactorPlugin } from './factor-plugin.js';

/** The factor types this deployment knows, by their stable `type` id. */
export class FactorRegistry {
  private readonly plugins = new Map<string, FactorPlugin>();

  constructor(plugins: readonly FactorPlugin[]) {
    for (const plugin of plugins) {
      if (!/^[a-z][a-z0-9-]{0,31}$/.test(plugin.type))
        throw new Error(`factor plugin type "${plugin.type}" must be lowercase letters, digits and dashes`);
      if (plugin.challenge && (!plugin.delivery || !plugin.destination))
        throw new Error(
          `factor plugin "${plugin.type}" delivers codes: it must declare delivery limits and a destination`,
        );
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
