import { createServer, type Socket } from 'node:net';
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
  const log = options.log ?? defaultLog;
  const host = options.host ?? '127.0.0.1';
  const storage = await Storage.open({ dataDir: options.memory ? undefined : options.dataDir, log });
  const cursors = new CursorRegistry(options.cursorTimeoutMs ?? DEFAULT_CURSOR_TIMEOUT_MS);
  const ttl = new TtlMonitor(storage, options.ttlMonitorIntervalMs ?? DEFAULT_TTL_MONITOR_INTERVAL_MS, log);
  const deps = { storage, cursors, metrics: new CommandMetrics(), log, maxMessageSizeBytes: options.maxMessageSizeBytes ?? MAX_MESSAGE_SIZE_BYTES };

  const connections = new Set<Connection>();
  let nextConnectionId = 1;
  const server = createServer((socket: Socket) => {
    const connection = new Connection(socket, nextConnectionId++, deps);
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      ttl.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of connections) connection.close();
      await closed;
      cursors.close();
      await ttl.idle();
      await storage.close();
    })());

  return { uri: `mongodb://${host}:${port}/`, port, stop };
}
