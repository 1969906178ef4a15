export { startEmbeddedMongo } from './server.js';
export type { EmbeddedMongo, EmbeddedMongoOptions, EmbeddedMongoLog } from './options.js';
export { DataDirInUseError } from './storage/journal.js';
export { makeOwnerOnly, OWNER_ONLY_FILE_MODE } from './storage/owner-only.js';
