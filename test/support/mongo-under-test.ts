import mongoose, { type Connection } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { privateSocket } from '../../src/db/private-socket.js';
import { startEmbeddedMongo, type EmbeddedMongoOptions } from '../../src/embedded-mongo/index.js';

export interface MongoUnderTest {
  connection: Connection;
  /** True against the embedded server; false against a real MongoDB from MONGODB_URI. */
  embedded: boolean;
  /** The embedded server's Unix socket (for raw wire messages), undefined against a real server. */
  embeddedSocketPath?: string;
  close(): Promise<void>;
}

/**
 * A database for one suite: on a real MongoDB when MONGODB_URI is set (a
 * fresh database, dropped afterwards), else on an embedded in-memory server
 * reached, as the service reaches it, through a private Unix socket, so the
 * same assertions check the embedded server against the real thing.
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
  const socket = privateSocket();
  const server = await startEmbeddedMongo({ memory: true, socketPath: socket.path, log: () => undefined, ...options });
  const connection = await mongoose.createConnection(server.uri, { dbName }).asPromise();
  return {
    connection,
    embedded: true,
    embeddedSocketPath: socket.path,
    async close() {
      await connection.close();
      await server.stop();
      socket.remove();
    },
  };
}

export interface SharedDatabase {
  /** A MONGODB_URI for apps, naming a database of their own. */
  uri: string;
  close(): Promise<void>;
}

/**
 * One database that several apps (each given `uri` as MONGODB_URI) share, as
 * servers in production share one MongoDB: a fresh database on the real
 * MongoDB of MONGODB_URI, else an embedded in-memory server on a private
 * socket that this test process starts.
 */
export async function startSharedDatabase(): Promise<SharedDatabase> {
  const dbName = `apps_${randomBytes(4).toString('hex')}`;
  const realUri = process.env.MONGODB_URI;
  if (realUri) {
    const uri = withDatabase(realUri, dbName);
    return {
      uri,
      async close() {
        const connection = await mongoose.createConnection(uri).asPromise();
        await connection.dropDatabase();
        await connection.close();
      },
    };
  }
  const socket = privateSocket();
  const server = await startEmbeddedMongo({ memory: true, socketPath: socket.path, log: () => undefined });
  return {
    uri: withDatabase(server.uri, dbName),
    async close() {
      await server.stop();
      socket.remove();
    },
  };
}

/** `uri` with its path (the default database) replaced by `dbName`; hosts and options are kept. */
function withDatabase(uri: string, dbName: string): string {
  const parts = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/.exec(uri);
  if (!parts) throw new Error('MONGODB_URI is not a mongodb:// connection string');
  return `${parts[1]}/${dbName}${parts[2] ?? ''}`;
}
