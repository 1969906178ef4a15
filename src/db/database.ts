import mongoose, { type Connection } from 'mongoose';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import type { Config } from '../config/config.js';
import { startEmbeddedMongo, type EmbeddedMongo } from '../embedded-mongo/index.js';
import type { Logger } from '../logger.js';
import { secureDataDir } from './data-dir.js';
import { NoPrivateSocketError, privateSocket, type PrivateSocket } from './private-socket.js';

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
  let socket: PrivateSocket | undefined;
  const stopEmbedded = async () => {
    await embedded?.stop();
    socket?.remove();
  };
  let uri = config.uri;
  if (!uri) {
    const memory = config.dataDir === ':memory:';
    if (!memory) secureDataDir(config.dataDir, logger);
    socket = embeddedSocket(config.embeddedPort, logger);
    try {
      embedded = await startEmbeddedMongo({
        memory,
        dataDir: memory ? undefined : join(config.dataDir, 'mongo'),
        socketPath: socket?.path,
        port: config.embeddedPort,
        log: (level, message, details) => logger[level]({ ...details, component: 'embedded-mongo' }, message),
      });
    } catch (error) {
      socket?.remove();
      throw error;
    }
    uri = embedded.uri; // through the socket when there is one
    logger.warn(
      { tcpUri: embedded.tcpUri ?? null, memory },
      embedded.tcpUri
        ? 'MONGODB_URI is unset: using the embedded MongoDB-compatible server (development and tests only); ' +
            'EMBEDDED_MONGO_PORT also exposes it, unauthenticated, to every local user at tcpUri'
        : 'MONGODB_URI is unset: using the embedded MongoDB-compatible server (development and tests only) through a private socket; ' +
            'no TCP listener: set EMBEDDED_MONGO_PORT (e.g. 27017) to reach it with mongosh or Compass (unauthenticated)',
    );
  }
  // One connection per app, never the mongoose global, so tests can run several apps in one process.
  const connection = mongoose.createConnection(uri, {
    dbName: config.uri ? undefined : DATABASE_NAME,
    serverSelectionTimeoutMS: 5000,
  });
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

/**
 * The private socket the service reaches the embedded server through: the
 * server has no authentication, so only this user may connect (a loopback TCP
 * port is open to every local user and container sharing the network). Where
 * no such socket is possible, the service uses the TCP listener only if the
 * operator asked for one (EMBEDDED_MONGO_PORT), and refuses to start otherwise.
 */
function embeddedSocket(embeddedPort: number | undefined, logger: Logger): PrivateSocket | undefined {
  try {
    return privateSocket();
  } catch (error) {
    if (!(error instanceof NoPrivateSocketError)) throw error;
    if (embeddedPort === undefined) {
      throw new ConfigError(
        `${error.message}. The service reaches the embedded database through a private socket only: set MONGODB_URI to a real MongoDB, ` +
          'or EMBEDDED_MONGO_PORT to use an unauthenticated loopback TCP port that every local user can reach (development only)',
      );
    }
    logger.warn(
      { embeddedPort },
      `${error.message}: the service uses the embedded server's TCP port (EMBEDDED_MONGO_PORT), which every local user can reach`,
    );
    return undefined;
  }
}
