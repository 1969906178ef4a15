import mongoose, { type Connection } from 'mongoose';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { startEmbeddedMongo, type EmbeddedMongo } from '../embedded-mongo/index.js';
import type { Logger } from '../logger.js';

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
  let uri = config.uri;
  if (!uri) {
    const memory = config.dataDir === ':memory:';
    embedded = await startEmbeddedMongo({
      memory,
      dataDir: memory ? undefined : join(config.dataDir, 'mongo'),
      // The service talks to it through a private Unix socket: each round trip costs less CPU than over TCP.
      socketPath: process.platform === 'win32' ? undefined : join(tmpdir(), `mfa-graphql-${process.pid}-${randomBytes(4).toString('hex')}.sock`),
      log: (level, message, details) => logger[level]({ ...details, component: 'embedded-mongo' }, message),
    });
    uri = embedded.socketUri ?? embedded.uri;
    // The TCP address is the one for mongosh or Compass.
    logger.warn({ uri: embedded.uri, memory }, 'MONGODB_URI is unset: using the embedded MongoDB-compatible server (development and tests only)');
  }
  // One connection per app, never the mongoose global, so tests can run several apps in one process.
  const connection = mongoose.createConnection(uri, { dbName: config.uri ? undefined : DATABASE_NAME, serverSelectionTimeoutMS: 5000 });
  try {
    await connection.asPromise();
  } catch (error) {
    await embedded?.stop();
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
      await embedded?.stop();
    },
  };
}
