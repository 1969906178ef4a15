export { startEmbeddedMongo } from './server.js';
export type { EmbeddedMongo, EmbeddedMongoOptions, EmbeddedMongoLog } from './options.js';
export { DataDirInUseError } from './storage/journal.js';
