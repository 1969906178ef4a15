import type { Document } from 'bson';
import { CommandError } from '../errors.js';
import { adminCommands } from './admin.commands.js';
import type { CommandContext, CommandHandler } from './command-context.js';
import { handshakeCommands } from './handshake.commands.js';
import { readCommands } from './read.commands.js';
import { writeCommands } from './write.commands.js';

const handlers = new Map<string, CommandHandler>(
  Object.entries({
    ...handshakeCommands,
    ...readCommands,
    ...writeCommands,
    ...adminCommands,
    findandmodify: writeCommands.findAndModify,
  }),
);

/** Runs one command and always returns a reply document: failures become `{ ok: 0, code, errmsg }`. */
export async function runCommand(context: CommandContext): Promise<Document> {
  const name = Object.keys(context.body)[0];
  try {
    // A standalone mongod has no transactions and so refuses transaction numbers.
    if (context.body.txnNumber !== undefined) {
      throw new CommandError(
        'IllegalOperation',
        'Transaction numbers are only allowed on a replica set member or mongos',
      );
    }
    const handler = name === undefined ? undefined : handlers.get(name);
    if (!handler) throw new CommandError('CommandNotFound', `no such command: '${name}'`);
    const reply = await handler(context);
    context.metrics.record(name, reply.ok !== 1);
    return reply;
  } catch (error) {
    if (name !== undefined && handlers.has(name)) context.metrics.record(name, true);
    if (error instanceof CommandError) return error.toReply();
    return new CommandError('OperationFailed', `${name} failed: ${(error as Error).message}`).toReply();
  }
}

export type { CommandContext } from './command-context.js';
