import { createRequire } from 'node:module';

/**
 * The bson the driver uses: its CommonJS build, required rather than
 * imported. `import … from 'bson'` loads the ES module build as a second
 * instance beside the driver's, and each instance allocates (and zero-fills)
 * a 17 MiB serialization buffer when it loads: 17 MiB of resident memory
 * for nothing in a server whose client is in the same process.
 */
const bson = createRequire(import.meta.url)('bson') as typeof import('bson');

export const { deserialize, serialize, EJSON, Long, ObjectId, UUID } = bson;
export type Long = import('bson').Long;
export type ObjectId = import('bson').ObjectId;
export type UUID = import('bson').UUID;
export type { Document } from 'bson';
