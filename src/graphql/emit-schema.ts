// `npm run schema:emit`: writes the schema the code builds to schema/schema.graphql (committed; a test checks it).
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { printApiSchema } from './schema.js';

const target = fileURLToPath(new URL('../../../schema/schema.graphql', import.meta.url));
await writeFile(target, await printApiSchema());
process.stdout.write(`wrote ${target}\n`);
