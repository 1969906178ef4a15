import type { Socket } from 'node:net';
import type { CommandMetrics } from './command-metrics.js';
import { runCommand } from './commands/index.js';
import type { CursorRegistry } from './cursors.js';
import type { EmbeddedMongoLog } from './options.js';
import type { Storage } from './storage/storage.js';
import { decodeMessage, encodeOpMsg, encodeOpReply, HEADER_BYTES, ProtocolError } from './wire-protocol.js';

export interface ConnectionDependencies {
  storage: Storage;
  cursors: CursorRegistry;
  metrics: CommandMetrics;
  log: EmbeddedMongoLog;
  maxMessageSizeBytes: number;
}

let nextRequestId = 1;

/**
 * One client socket: cuts the byte stream into frames and answers them one
 * at a time, in order, as a mongod connection does. Anything malformed closes
 * this connection only.
 */
export class Connection {
  private buffered: Buffer = Buffer.alloc(0);
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly socket: Socket,
    readonly id: number,
    private readonly deps: ConnectionDependencies,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => (this.closed = true));
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (!this.closed && this.buffered.length >= 4) {
      const length = this.buffered.readInt32LE(0);
      if (length < HEADER_BYTES || length > this.deps.maxMessageSizeBytes) {
        this.reject(`message length ${length} outside [${HEADER_BYTES}, ${this.deps.maxMessageSizeBytes}]`);
        return;
      }
      if (this.buffered.length < length) return;
      const frame = this.buffered.subarray(0, length);
      this.buffered = this.buffered.subarray(length);
      this.queue = this.queue.then(() => this.handle(frame));
    }
  }

  private async handle(frame: Buffer): Promise<void> {
    if (this.closed) return;
    let message;
    try {
      message = decodeMessage(frame);
    } catch (error) {
      this.reject(error instanceof ProtocolError ? error.message : `invalid BSON: ${(error as Error).message}`);
      return;
    }
    const database = typeof message.body.$db === 'string' ? message.body.$db : 'admin';
    const reply = await runCommand({ body: message.body, database, storage: this.deps.storage, cursors: this.deps.cursors, metrics: this.deps.metrics, connectionId: this.id });
    if (this.closed || message.moreToCome) return;
    const requestId = nextRequestId++;
    const encode = message.legacy ? encodeOpReply : encodeOpMsg;
    this.socket.write(encode(message.header.requestId, requestId, reply));
  }

  private reject(reason: string): void {
    this.deps.log('warn', 'closing connection after a malformed message', { connectionId: this.id, reason });
    this.close();
  }
}
