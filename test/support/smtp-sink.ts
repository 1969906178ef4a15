import { EventEmitter, once } from 'node:events';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/** A mail the sink accepted: the envelope as the client sent it, and the parsed message. */
export interface CapturedMail {
  envelopeTo: string[];
  parsed: ParsedMail;
  raw: string;
}

/** What the sink answers to the next commands, one reply per command, in order. */
type Reply = { code: number; message: string } | { holdMs: number };

/**
 * A real SMTP server in the test process: captures and parses every mail,
 * answers 4xx/5xx on demand, holds DATA to simulate a slow server, and can be
 * stopped (like a crashed server: connections cut) and started again on the
 * same port.
 */
export class SmtpSink extends EventEmitter {
  readonly mails: CapturedMail[] = [];
  /** RCPT TO commands seen, accepted or not. */
  rcptAttempts = 0;
  /** Messages whose DATA phase started. */
  dataAttempts = 0;
  /** Messages whose client was gone before the sink replied (not in `mails`). */
  abandoned = 0;
  port = 0;
  #server: SMTPServer | undefined;
  #rcptReplies: Reply[] = [];
  #dataReplies: Reply[] = [];
  #closedSessions = new Set<string>();

  /** Listens on 127.0.0.1: a free port the first time, the same one after a stop. */
  async start(): Promise<this> {
    if (this.#server) return this;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        this.rcptAttempts += 1;
        const reply = this.#rcptReplies.shift();
        // Quotes the recipient, as real servers do ("550 5.1.1 <a@b>: user unknown"): the worker must not store that.
        callback(
          reply && 'code' in reply
            ? smtpError({ code: reply.code, message: `<${address.address}>: ${reply.message}` })
            : null,
        );
      },
      onData: (stream, session, callback) => void this.#receive(stream, session, callback),
      onClose: (session) => void this.#closedSessions.add(session.id),
    });
    server.on('error', (error) => this.emit('server-error', error));
    server.listen(this.port, '127.0.0.1');
    await once(server.server, 'listening');
    this.port = (server.server.address() as { port: number }).port;
    this.#server = server;
    return this;
  }

  /** Stops listening and cuts every open connection, as a crash would. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const connection of server.connections) connection._socket.destroy();
    await closed;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The next `times` RCPT TO commands get `code` (e.g. 550 permanent, 451 temporary). */
  rejectRcpt(code: number, times = 1): void {
    for (let i = 0; i < times; i += 1) this.#rcptReplies.push({ code, message: 'test rejection' });
  }

  /** Every following RCPT TO gets `code`, until `reset()`. */
  rejectAllRcpt(code: number): void {
    this.rejectRcpt(code, 10_000);
  }

  /** The next message's DATA is read in full, then answered only after `ms` (a slow server). */
  holdData(ms: number): void {
    this.#dataReplies.push({ holdMs: ms });
  }

  reset(): void {
    this.#rcptReplies = [];
    this.#dataReplies = [];
  }

  /** Resolves with the mails once at least `count` were accepted. */
  async waitForMails(count: number, timeoutMs = 10_000): Promise<CapturedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.mails.length < count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} mail(s) within ${timeoutMs} ms, got ${this.mails.length}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.mails;
  }

  async #receive(
    stream: NodeJS.ReadableStream,
    session: SMTPServerSession,
    callback: (error?: Error | null) => void,
  ): Promise<void> {
    this.dataAttempts += 1;
    const reply = this.#dataReplies.shift();
    this.emit('data-started', session.id);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of stream) chunks.push(chunk as Buffer);
    } catch {
      this.abandoned += 1; // the client went away in the middle of the message
      return;
    }
    if (reply && 'holdMs' in reply) await new Promise((resolve) => setTimeout(resolve, reply.holdMs).unref());
    if (reply && 'code' in reply) return callback(smtpError(reply));
    if (this.#closedSessions.has(session.id)) {
      this.abandoned += 1;
      return callback(null);
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    const envelopeTo = session.envelope.rcptTo.map((rcpt) => rcpt.address);
    this.mails.push({ envelopeTo, parsed: await simpleParser(raw), raw });
    this.emit('mail', this.mails.at(-1));
    callback(null);
  }
}

function smtpError({ code, message }: { code: number; message: string }): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

export async function startSmtpSink(): Promise<SmtpSink> {
  return new SmtpSink().start();
}
