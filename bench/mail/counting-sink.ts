import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server (smtp-server, the same as the tests' sink) that reads
 * each message in full and accepts it, but parses nothing: mailparser on
 * every message would make the sink, not the worker, the bottleneck. It
 * keeps the time of each acceptance and each envelope recipient, so a lost
 * or duplicated mail shows.
 */
export class CountingSink {
  /** performance.now() of each accepted message, in order. */
  readonly acceptedAt: number[] = [];
  /** Accepted messages per envelope recipient. */
  readonly perRecipient = new Map<string, number>();
  bytes = 0;
  #server: SMTPServer | undefined;
  port = 0;

  async start(): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // The worker's pool opens up to maxConnections at once; smtp-server's default cap is 100.
      maxClients: 1000,
      onData: (stream, session, callback) => {
        stream.on('data', (chunk: Buffer) => (this.bytes += chunk.length));
        stream.once('end', () => {
          this.acceptedAt.push(performance.now());
          for (const { address } of session.envelope.rcptTo)
            this.perRecipient.set(address, (this.perRecipient.get(address) ?? 0) + 1);
          callback(null);
        });
      },
    });
    server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    this.port = (server.server.address() as { port: number }).port;
    this.#server = server;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  reset(): void {
    this.acceptedAt.length = 0;
    this.perRecipient.clear();
    this.bytes = 0;
  }

  /** Resolves once `count` messages were accepted; rejects when none arrived for `idleTimeoutMs`. */
  async waitFor(count: number, idleTimeoutMs: number): Promise<void> {
    let seen = -1;
    let lastChange = Date.now();
    while (this.acceptedAt.length < count) {
      if (this.acceptedAt.length !== seen) [seen, lastChange] = [this.acceptedAt.length, Date.now()];
      if (Date.now() - lastChange > idleTimeoutMs)
        throw new Error(`${this.acceptedAt.length} of ${count} mails arrived, then none for ${idleTimeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
