/** A sink for the embedded server's own diagnostics (never document contents). */
export type EmbeddedMongoLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  details?: Record<string, unknown>,
) => void;

export interface EmbeddedMongoOptions {
  /** Directory for the append-only journal. Required unless `memory` is true. */
  dataDir?: string;
  /** Keep everything in memory: nothing is written, nothing survives `stop()`. @default false */
  memory?: boolean;
  /**
   * Listen on this TCP port on `host`; 0 picks a free one. Anyone on the host
   * can connect there and the server has no authentication, so it listens on
   * TCP only when given a port. @default undefined (no TCP listener)
   */
  port?: number;
  /** Interface of the TCP listener. Loopback only by design. @default "127.0.0.1" */
  host?: string;
  /**
   * Listen on this Unix domain socket (not on Windows). Who may connect is up
   * to the directory it is in (see src/db/private-socket.ts), and a round trip
   * through it costs about a quarter less CPU than through loopback TCP.
   * Removed by `stop()`. At least one of `port` and `socketPath` is required.
   * @default undefined (no socket)
   */
  socketPath?: string;
  /** How often expired documents of TTL indexes are removed; mongod uses 60 s. @default 60000 */
  ttlMonitorIntervalMs?: number;
  /** Idle time after which an open cursor is killed, as mongod's `cursorTimeoutMillis`. @default 600000 */
  cursorTimeoutMs?: number;
  /** Largest accepted wire message, as mongod's `maxMessageSizeBytes`. @default 48000000 */
  maxMessageSizeBytes?: number;
  /** Where connection errors and start-up notes go. @default prints warnings and errors to stderr */
  log?: EmbeddedMongoLog;
}

export interface EmbeddedMongo {
  /** A `mongodb://` connection string for the driver: `socketUri` when there is a socket, else `tcpUri`. */
  readonly uri: string;
  /** `mongodb://host:port/`, for mongosh or Compass too, when a `port` was given. */
  readonly tcpUri?: string;
  /** The TCP port listened on, when a `port` was given. */
  readonly port?: number;
  /** The server through `socketPath`, when one was given. */
  readonly socketUri?: string;
  /** Closes every connection, flushes the journal and stops listening. */
  stop(): Promise<void>;
}

export const defaultLog: EmbeddedMongoLog = (level, message, details) => {
  if (level === 'info') return;
  process.stderr.write(`[embedded-mongo] ${level}: ${message}${details ? ' ' + JSON.stringify(details) : ''}\n`);
};
