import { createInterface as createLineReader } from 'node:readline';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';

/** The terminal entry failed: the two entries differed, or the user pressed Ctrl-C (`cancelled`). */
export class PasswordEntryError extends Error {
  constructor(
    message: string,
    readonly cancelled = false,
  ) {
    super(message);
  }
}

/**
 * A password from a terminal, typed twice without echo, or the first line of
 * piped input (`printf '%s\n' "$PASSWORD" | …`). Undefined when the pipe is empty.
 */
export async function readPassword(input: NodeJS.ReadStream = process.stdin): Promise<string | undefined> {
  if (!input.isTTY) return firstLine(input);
  const password = await askHidden(input, 'Password: ');
  // Without echo a typo goes unseen; a second entry catches it before it becomes the admin's password.
  if ((await askHidden(input, 'Repeat password: ')) !== password)
    throw new PasswordEntryError('the two passwords differ');
  return password;
}

async function firstLine(input: NodeJS.ReadStream): Promise<string | undefined> {
  const lines = createLineReader({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) return line;
    return undefined;
  } finally {
    lines.close();
    input.destroy(); // the rest of the pipe is not ours to wait for
  }
}

async function askHidden(input: NodeJS.ReadStream, prompt: string): Promise<string> {
  process.stderr.write(prompt);
  // readline echoes keystrokes to its output; a sink that drops them keeps the password off the screen.
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const reader = createInterface({ input, output: silent, terminal: true });
  const cancel = new AbortController();
  reader.on('SIGINT', () => cancel.abort()); // raw mode turns Ctrl-C into a keystroke; honour it
  try {
    return await reader.question('', { signal: cancel.signal });
  } catch (error) {
    if (cancel.signal.aborted) throw new PasswordEntryError('cancelled', true);
    throw error;
  } finally {
    reader.close();
    process.stderr.write('\n');
  }
}
