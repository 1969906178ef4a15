import mongoose, { type Connection } from 'mongoose';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { startEmbeddedMongo, type EmbeddedMongo } from '../embedded-mongo/index.js';
import type { Logger } from '../logger.js';
import { privateSocket, type PrivateSocket } from './private-socket.js';

export interface Database {
  connection: Connection;
  /** Where it lives, for logs: a real server's host or "embedded". */
  description: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const DATABASE_NAME = 'mfa';

/** Connects to MONGODB_URI, or starts the embedded server and connects to that. */
export async function openDatabase(config: Config['mongodb'], logger: Logger): Promise<Database> {
  let embedded: EmbeddedMongo | undefined;
  // The service talks to the embedded server through a private Unix socket where it can: each round trip costs less CPU than over TCP.
  let socket: PrivateSocket | undefined;
  const stopEmbedded = async () => {
    await embedded?.stop();
    socket?.remove();
  };
  let uri = config.uri;
  if (!uri) {
    const memory = config.dataDir === ':memory:';
    socket = privateSocket();
    try {
      embedded = await startEmbeddedMongo({
        memory,
        dataDir: memory ? undefined : join(config.dataDir, 'mongo'),
        socketPath: socket?.path,
        log: (level, message, details) => logger[level]({ ...details, component: 'embedded-mongo' }, message),
      });
    } catch (error) {
      socket?.remove();
      throw error;
    }
    uri = embedded.socketUri ?? embedded.uri;
    // The TCP address is the one for mongosh or Compass.
    logger.warn({ uri: embedded.uri, memory }, 'MONGODB_URI is unset: using the embedded MongoDB-compatible server (development and tests only)');
  }
  // One connection per app, never the mongoose global, so tests can run several apps in one process.
  const connection = mongoose.createConnection(uri, { dbName: config.uri ? undefined : DATABASE_NAME, serverSelectionTimeoutMS: 5000 });
  try {
    await connection.asPromise();
  } catch (error) {
    await stopEmbedded();
    throw error;
  }
  return {
    connection,
    description: embedded ? 'embedded' : new URL(uri).host,
    async ping() {
      await connection.db!.command({ ping: 1 });
    },
    async close() {
      await connection.close();
      await stopEmbedded();
    },
  };
}
