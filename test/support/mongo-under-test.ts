import mongoose, { type Connection } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { startEmbeddedMongo, type EmbeddedMongoOptions } from '../../src/embedded-mongo/index.js';

export interface MongoUnderTest {
  connection: Connection;
  /** True against the embedded server; false against a real MongoDB from MONGODB_URI. */
  embedded: boolean;
  /** The embedded server's URI (for raw sockets), undefined against a real server. */
  embeddedUri?: string;
  close(): Promise<void>;
}

/**
 * A database for one suite: on a real MongoDB when MONGODB_URI is set (a
 * fresh database, dropped afterwards), else on an embedded in-memory server,
 * so the same assertions check the embedded server against the real thing.
 */
export async function openMongoUnderTest(options: Partial<EmbeddedMongoOptions> = {}): Promise<MongoUnderTest> {
  const dbName = `compat_${randomBytes(4).toString('hex')}`;
  const realUri = process.env.MONGODB_URI;
  if (realUri) {
    const connection = await mongoose.createConnection(realUri, { dbName }).asPromise();
    return {
      connection,
      embedded: false,
      async close() {
        await connection.dropDatabase();
        await connection.close();
      },
    };
  }
  const server = await startEmbeddedMongo({ memory: true, log: () => undefined, ...options });
  const connection = await mongoose.createConnection(server.uri, { dbName }).asPromise();
  return {
    connection,
    embedded: true,
    embeddedUri: server.uri,
    async close() {
      await connection.close();
      await server.stop();
    },
  };
}
