import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { CommandMetrics } from './command-metrics.js';
import { MAX_MESSAGE_SIZE_BYTES } from './commands/handshake.commands.js';
import { Connection } from './connection.js';
import { CursorRegistry } from './cursors.js';
import { defaultLog, type EmbeddedMongo, type EmbeddedMongoOptions } from './options.js';
import { Storage } from './storage/storage.js';
import { TtlMonitor } from './storage/ttl-monitor.js';

const DEFAULT_TTL_MONITOR_INTERVAL_MS = 60_000; // mongod's ttlMonitorSleepSecs
const DEFAULT_CURSOR_TIMEOUT_MS = 600_000; // mongod's cursorTimeoutMillis

/** Starts an in-process server that speaks enough of the MongoDB wire protocol for mongoose and the driver. */
export async function startEmbeddedMongo(options: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  if (!options.memory && !options.dataDir) throw new Error('startEmbeddedMongo needs a dataDir, or memory: true');
  if (options.port === undefined && !options.socketPath)
    throw new Error('startEmbeddedMongo needs a socketPath or a port to listen on');
  const log = options.log ?? defaultLog;
  const host = options.host ?? '127.0.0.1';
  const storage = await Storage.open({ dataDir: options.memory ? undefined : options.dataDir, log });
  const cursors = new CursorRegistry(options.cursorTimeoutMs ?? DEFAULT_CURSOR_TIMEOUT_MS);
  const ttl = new TtlMonitor(storage, options.ttlMonitorIntervalMs ?? DEFAULT_TTL_MONITOR_INTERVAL_MS, log);
  const deps = {
    storage,
    cursors,
    metrics: new CommandMetrics(),
    log,
    maxMessageSizeBytes: options.maxMessageSizeBytes ?? MAX_MESSAGE_SIZE_BYTES,
  };

  const connections = new Set<Connection>();
  let nextConnectionId = 1;
  const accept = (socket: Socket) => {
    const connection = new Connection(socket, nextConnectionId++, deps);
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  };
  const servers: Server[] = [];
  /** Listens on a TCP port or, given a path, on a Unix domain socket. */
  const listen = (where: { port: number; host: string } | { path: string }) => {
    const server = createServer(accept);
    servers.push(server);
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(where, () => resolve());
    });
  };
  try {
    if (options.port !== undefined) await listen({ port: options.port, host });
    if (options.socketPath) await listen({ path: options.socketPath });
  } catch (error) {
    for (const server of servers) server.close();
    ttl.stop();
    await storage.close();
    throw error;
  }
  const address = options.port === undefined ? undefined : servers[0].address();
  const port = typeof address === 'object' && address ? address.port : undefined;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      ttl.stop();
      const closed = Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
      for (const connection of connections) connection.close();
      await closed;
      cursors.close();
      await ttl.idle();
      await storage.close();
      // Node removes its socket file on close; this covers a close that could not.
      if (options.socketPath) rmSync(options.socketPath, { force: true });
    })());

  const socketUri = options.socketPath ? `mongodb://${encodeURIComponent(options.socketPath)}/` : undefined;
  const tcpUri = port === undefined ? undefined : `mongodb://${host}:${port}/`;
  return { uri: (socketUri ?? tcpUri)!, tcpUri, port, socketUri, stop };
}
