export { startEmbeddedMongo } from './server.js';
export type { EmbeddedMongo, EmbeddedMongoOptions, EmbeddedMongoLog } from './options.js';
