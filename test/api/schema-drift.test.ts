import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { printApiSchema } from '../../src/graphql/schema.js';

it('schema/schema.graphql is what the code emits (run `npm run schema:emit`)', async () => {
  const committed = await readFile(fileURLToPath(new URL('../../../schema/schema.graphql', import.meta.url)), 'utf8');
  assert.equal(committed, await printApiSchema());
});
