import { Long } from '../bson.js';
import { hostname } from 'node:os';
import type { CommandHandler } from './command-context.js';

/** We answer as MongoDB 7.0 does; the Node driver 7 needs at least wire version 9 (4.4). */
export const SERVER_VERSION = '7.0.0';
const MAX_WIRE_VERSION = 21;
const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
const LOGICAL_SESSION_TIMEOUT_MINUTES = 30;
const startedAt = Date.now();

const hello: CommandHandler = ({ body, connectionId }) => ({
  helloOk: true,
  // `hello` says isWritablePrimary; the legacy isMaster spelling says ismaster.
  ...('hello' in body ? { isWritablePrimary: true } : { ismaster: true }),
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
  maxWriteBatchSize: 100_000,
  localTime: new Date(),
  logicalSessionTimeoutMinutes: LOGICAL_SESSION_TIMEOUT_MINUTES,
  connectionId,
  minWireVersion: 0,
  maxWireVersion: MAX_WIRE_VERSION,
  readOnly: false,
  ok: 1,
});

const buildInfo: CommandHandler = () => ({
  version: SERVER_VERSION,
  gitVersion: 'embedded',
  versionArray: [7, 0, 0, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  storageEngines: ['embedded-journal'],
  modules: [],
  ok: 1,
});

const ok: CommandHandler = () => ({ ok: 1 });

/** Diagnostics mongosh and Compass ask for on connect; answered minimally so they work. */
const diagnostics: Record<string, CommandHandler> = {
  getCmdLineOpts: () => ({ argv: process.argv.slice(1), parsed: {}, ok: 1 }),
  getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
  hostInfo: () => ({
    system: { hostname: hostname(), currentTime: new Date() },
    os: { type: process.platform },
    extra: {},
    ok: 1,
  }),
  serverStatus: ({ cursors, metrics, storage }) => ({
    host: hostname(),
    version: SERVER_VERSION,
    process: 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: (Date.now() - startedAt) / 1000,
    localTime: new Date(),
    metrics: {
      cursor: { open: { total: cursors.openCount } },
      commands: metrics.toDocument(),
      queryExecutor: { scannedObjects: Long.fromNumber(storage.counters.scannedObjects) },
    },
    ok: 1,
  }),
  getParameter: () => ({ featureCompatibilityVersion: { version: '7.0' }, ok: 1 }),
  whatsmyuri: ({ connectionId }) => ({ you: `127.0.0.1:${connectionId}`, ok: 1 }),
};

export const handshakeCommands: Record<string, CommandHandler> = {
  hello,
  isMaster: hello,
  ismaster: hello,
  ping: ok,
  buildInfo,
  buildinfo: buildInfo,
  endSessions: ok,
  ...diagnostics,
};
