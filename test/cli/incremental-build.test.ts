import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/*
 * `npm start` builds with `tsc -b tsconfig.app.json` before it starts the service. The build must skip work when
 * nothing changed (so a second start is quick) and must never leave the service to run code older than its sources.
 * This runs that build on a copy of the service's sources, so the repository's own tree and dist/ are not touched.
 */

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

describe('the build npm start runs', () => {
  let copy: string;
  const buildApp = () => spawnSync(process.execPath, [TSC, '-b', 'tsconfig.app.json'], { cwd: copy, encoding: 'utf8' });
  const emitted = (path: string) => join(copy, 'dist', path);

  before(() => {
    copy = mkdtempSync(join(tmpdir(), 'incremental-build-'));
    for (const entry of ['src', 'plugins', 'tsconfig.json', 'tsconfig.app.json', 'package.json'])
      cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  });
  after(() => rmSync(copy, { recursive: true, force: true }));

  it('compiles the service, and only the service', () => {
    const build = buildApp();
    assert.equal(build.status, 0, build.stdout + build.stderr);
    assert.ok(statSync(emitted('src/main.js')).isFile());
    assert.ok(statSync(emitted('plugins/totp/index.js')).isFile());
  });

  it('writes nothing when no source changed', () => {
    const before = statSync(emitted('src/main.js')).mtimeMs;
    const build = buildApp();
    assert.equal(build.status, 0, build.stdout + build.stderr);
    assert.equal(statSync(emitted('src/main.js')).mtimeMs, before, 'an unchanged service is not compiled again');
  });

  it('fails while a source does not compile, on every run, then compiles the corrected source', () => {
    // main.ts is imported by nothing, so each change costs one file's check (a changed export would recheck its importers).
    const main = join(copy, 'src/main.ts');
    const good = readFileSync(main, 'utf8');
    writeFileSync(main, `${good}\nconst incrementalBuildProbe: number = 'x';\nvoid incrementalBuildProbe;\n`);
    for (const run of [1, 2]) {
      const build = buildApp();
      assert.notEqual(build.status, 0, `run ${run} must fail`);
      assert.match(build.stdout, /TS2322/, `run ${run} reports the error`);
    }
    writeFileSync(main, `${good}\nconst incrementalBuildProbe: number = 42;\nvoid incrementalBuildProbe;\n`);
    const fixed = buildApp();
    assert.equal(fixed.status, 0, fixed.stdout + fixed.stderr);
    assert.match(readFileSync(emitted('src/main.js'), 'utf8'), /incrementalBuildProbe = 42/);
  });
});
