import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { FactorPlugin, FactorPluginFactory, FactorPluginOptions } from './factor-plugin.js';

/** Plugins that ship with the service, by the names FACTOR_PLUGINS uses for them; the composition root lists them. */
export type BuiltInFactorPlugins = Readonly<Record<string, () => Promise<{ default: FactorPluginFactory }>>>;

/**
 * Loads the factor plugins named in FACTOR_PLUGINS: a name in `builtIn`, or a
 * module path or package name whose default export is a plugin factory. This
 * is how a deployment adds a factor type without touching `src/`.
 */
export async function loadFactorPlugins(
  plugins: { factorPlugins: readonly string[]; factorPluginSettings: Readonly<Record<string, Record<string, string>>> },
  optionsFor: (settings: Record<string, string>) => FactorPluginOptions,
  builtIn: BuiltInFactorPlugins,
): Promise<FactorPlugin[]> {
  return Promise.all(
    plugins.factorPlugins.map(async (name) => {
      const module = builtIn[name] ? await builtIn[name]() : ((await import(specifier(name))) as { default?: unknown });
      if (typeof module.default !== 'function')
        throw new Error(`factor plugin module "${name}" has no default export factory`);
      return (module.default as FactorPluginFactory)(optionsFor(plugins.factorPluginSettings[name] ?? {}));
    }),
  );
}

/** Relative paths are taken from the working directory, as a user typing them would expect. */
function specifier(name: string): string {
  return name.startsWith('.') || name.startsWith('/') ? pathToFileURL(resolve(name)).href : name;
}
