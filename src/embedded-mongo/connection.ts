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
  /** Bytes received and not yet framed: kept as chunks, joined once a whole frame is in (a large message would otherwise be copied once per chunk). */
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
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
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    while (!this.closed && this.bufferedBytes >= 4) {
      if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks, this.bufferedBytes)];
      const length = this.chunks[0].readInt32LE(0);
      if (length < HEADER_BYTES || length > this.deps.maxMessageSizeBytes) {
        this.reject(`message length ${length} outside [${HEADER_BYTES}, ${this.deps.maxMessageSizeBytes}]`);
        return;
      }
      if (this.bufferedBytes < length) return;
      const buffered = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.bufferedBytes);
      const frame = buffered.subarray(0, length);
      const rest = buffered.subarray(length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.bufferedBytes = rest.length;
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
    const reply = await runCommand({
      body: message.body,
      database,
      storage: this.deps.storage,
      cursors: this.deps.cursors,
      metrics: this.deps.metrics,
      connectionId: this.id,
    });
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
