import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/*
 * Layers point one way: GraphQL → services → models / factor plugins → db.
 * This reads the TypeScript sources (not the build) and checks the relative
 * imports between them, so a service that reaches up for a GraphQL type, or a
 * model that reaches up for a service, fails here rather than in review.
 *
 * The GraphQL layer is src/graphql/ plus the schema files that live beside
 * their feature: *.resolver.ts, *.type.ts, *.inputs.ts, *.payload.ts.
 *
 * Factor plugins see the service through one module, the plugin contract
 * (src/plugin-kit.ts), and only the composition root names them. No
 * two files import each other, even through others and even for types only:
 * a cycle is where a layer rule has quietly been bent.
 */

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** Every `import … from`, `export … from`, side-effect `import '…'` and `import('…')` specifier in `text`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm))
    found.push(match[1]);
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1]);
  return found;
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

interface Edge {
  from: string;
  to: string;
}

/** Relative imports between source files, as repository paths (`src/a/b.ts`). */
function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const from of [...tsFiles('src'), ...tsFiles('plugins')]) {
    for (const specifier of specifiers(readFileSync(join(ROOT, from), 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const to = relative(ROOT, resolve(ROOT, dirname(from), specifier))
        .split('\\')
        .join('/')
        .replace(/\.js$/, '.ts');
      assert.ok(existsSync(join(ROOT, to)), `${from} imports ${specifier}, which resolves to no source file (${to})`);
      edges.push({ from, to });
    }
  }
  return edges;
}

const isGraphQL = (file: string) =>
  file.startsWith('src/graphql/') || /\.(resolver|type|inputs|payload)\.ts$/.test(file);
const isService = (file: string) => file.endsWith('.service.ts');
const isModel = (file: string) => file.endsWith('.model.ts');
const PLUGIN_CONTRACT = 'src/plugin-kit.ts';
/** `plugins/totp` for `plugins/totp/index.ts`. */
const pluginDir = (file: string) => file.split('/').slice(0, 2).join('/');

/**
 * The import cycles in `edges`: a depth-first search that reports, for every
 * edge back to a file still on its path, the files from that one round to it.
 */
function importCycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string) => {
    path.push(file);
    onPath.add(file);
    for (const to of next.get(file) ?? []) {
      if (onPath.has(to)) cycles.push([...path.slice(path.indexOf(to)), to]);
      else if (!done.has(to)) visit(to);
    }
    path.pop();
    onPath.delete(file);
    done.add(file);
  };
  for (const file of [...next.keys()].sort()) if (!done.has(file)) visit(file);
  return cycles;
}

/** Imports that break a rule on purpose or for now, each with the reason; `from -> to`. */
const EXCEPTIONS: Record<string, string> = {
  // Composition roots: they must see the GraphQL layer to wire it up.
  'src/app.ts -> src/graphql/schema.ts': 'composition root: builds the GraphQL schema from the services',
  'src/app.ts -> src/graphql/request-context.ts': 'composition root: installs the per-request GraphQL context',
  'src/http/http-server.ts -> src/graphql/context.ts':
    'composition root: the HTTP server hosts Apollo Server, typed by its context',
  'src/http/http-server.ts -> src/graphql/format-error.ts':
    'composition root: Apollo Server is configured with the error formatter',
  'src/http/http-server.ts -> src/graphql/hide-suggestions.plugin.ts':
    'composition root: Apollo Server is configured with this plugin',
  'src/http/http-server.ts -> src/graphql/operation-limits.ts':
    'composition root: Apollo Server is configured with the operation limits',
  // By design: a factor plugin contributes its enrollment-details object type to the schema (FactorPlugin.detailsType).
  'plugins/totp/index.ts -> plugins/totp/totp-enrollment.type.ts':
    "by design: the plugin's detailsType is a type-graphql object type",
  'plugins/email-otp/index.ts -> plugins/email-otp/email-enrollment.type.ts':
    "by design: the plugin's detailsType is a type-graphql object type",
  'plugins/webauthn/index.ts -> plugins/webauthn/webauthn-enrollment.type.ts':
    "by design: the plugin's detailsType is a type-graphql object type",
};

const key = (edge: Edge) => `${edge.from} -> ${edge.to}`;

describe('layers point one way (GraphQL → services → models/plugins → db)', () => {
  const edges = importEdges();

  it('finds the imports it checks', () => {
    assert.ok(edges.length > 100, `only ${edges.length} imports found; is the parser broken?`);
    assert.ok(
      edges.some((edge) => key(edge) === 'src/app.ts -> src/graphql/schema.ts'),
      'the composition root import was not found',
    );
  });

  it('nothing outside the GraphQL layer imports it, but the listed exceptions', () => {
    const violations = edges
      .filter((edge) => !isGraphQL(edge.from) && isGraphQL(edge.to) && !(key(edge) in EXCEPTIONS))
      .map(key);
    assert.deepEqual(violations, []);
  });

  it('models, factor plugins and src/db import no service and no GraphQL file, but the listed exceptions', () => {
    const lower = (file: string) => isModel(file) || file.startsWith('plugins/') || file.startsWith('src/db/');
    const violations = edges
      .filter((edge) => lower(edge.from) && (isService(edge.to) || isGraphQL(edge.to)) && !(key(edge) in EXCEPTIONS))
      .map(key);
    assert.deepEqual(violations, []);
  });

  it('src/db imports only src/db, config, logging and the embedded MongoDB', () => {
    const allowed = (file: string) =>
      ['src/db/', 'src/config/', 'src/embedded-mongo/'].some((prefix) => file.startsWith(prefix)) ||
      file === 'src/logger.ts';
    const violations = edges.filter((edge) => edge.from.startsWith('src/db/') && !allowed(edge.to)).map(key);
    assert.deepEqual(violations, []);
  });

  it('factor plugins import only their own files and the plugin contract', () => {
    const violations = edges
      .filter(
        (edge) =>
          edge.from.startsWith('plugins/') &&
          edge.to !== PLUGIN_CONTRACT &&
          pluginDir(edge.to) !== pluginDir(edge.from),
      )
      .map(key);
    assert.deepEqual(violations, []);
  });

  it('the third-party fixture plugin reaches the service only through the package export "mfa-graphql/plugin"', () => {
    // As a plugin in another repository would: nothing of src/ by path, only its own files and the published kit.
    const fixture = 'test/fixtures/counter-token';
    const imports = tsFiles(fixture).flatMap((from) =>
      specifiers(readFileSync(join(ROOT, from), 'utf8')).map((specifier) => ({ from, specifier })),
    );
    assert.ok(
      imports.some(({ specifier }) => specifier === 'mfa-graphql/plugin'),
      'the fixture imports the plugin kit by the package name',
    );
    const outside = (from: string, specifier: string) =>
      specifier.startsWith('.')
        ? !resolve(ROOT, dirname(from), specifier).startsWith(join(ROOT, fixture) + sep)
        : specifier.startsWith('mfa-graphql') && specifier !== 'mfa-graphql/plugin';
    assert.deepEqual(
      imports
        .filter(({ from, specifier }) => outside(from, specifier))
        .map(({ from, specifier }) => `${from} -> ${specifier}`),
      [],
    );
  });

  it('only the composition root imports a factor plugin', () => {
    const violations = edges
      .filter(
        (edge) =>
          edge.from.startsWith('src/') &&
          edge.to.startsWith('plugins/') &&
          edge.from !== 'src/built-in-factor-plugins.ts',
      )
      .map(key);
    assert.deepEqual(violations, []);
  });

  it('src/crypto, shared by every feature, imports only src/crypto, config, src/db, logging and the embedded MongoDB', () => {
    const allowed = (file: string) =>
      ['src/crypto/', 'src/config/', 'src/db/', 'src/embedded-mongo/'].some((prefix) => file.startsWith(prefix)) ||
      file === 'src/logger.ts';
    const violations = edges.filter((edge) => edge.from.startsWith('src/crypto/') && !allowed(edge.to)).map(key);
    assert.deepEqual(violations, []);
  });

  it('mail imports nothing from src/mfa', () => {
    const violations = edges
      .filter((edge) => edge.from.startsWith('src/mail/') && edge.to.startsWith('src/mfa/'))
      .map(key);
    assert.deepEqual(violations, []);
  });

  it('no import cycle among src/ and plugins/, type-only imports included', () => {
    assert.deepEqual(
      importCycles(edges).map((cycle) => cycle.join(' -> ')),
      [],
    );
  });

  it('the cycle search finds a cycle', () => {
    const cycle = [
      { from: 'a.ts', to: 'b.ts' },
      { from: 'b.ts', to: 'c.ts' },
      { from: 'c.ts', to: 'a.ts' },
      { from: 'c.ts', to: 'd.ts' },
    ];
    assert.deepEqual(importCycles(cycle), [['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    assert.deepEqual(importCycles(cycle.slice(0, 2)), []);
  });

  it('no resolver imports another: what two share lives beside the inputs or in a service', () => {
    const isResolver = (file: string) => file.endsWith('.resolver.ts');
    const violations = edges.filter((edge) => isResolver(edge.from) && isResolver(edge.to)).map(key);
    assert.deepEqual(violations, []);
  });

  it('every listed exception is still needed', () => {
    const present = new Set(edges.map(key));
    assert.deepEqual(
      Object.keys(EXCEPTIONS).filter((exception) => !present.has(exception)),
      [],
    );
  });
});
