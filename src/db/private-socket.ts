import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The longest Unix socket path every platform takes: sun_path holds 104 bytes on macOS and the BSDs (108 on Linux), with its NUL. */
const MAX_SOCKET_PATH_BYTES = 103;

export interface PrivateSocket {
  path: string;
  /** Removes the socket's directory. */
  remove(): void;
}

/** No private socket can be made here; the message says why and what would help. */
export class NoPrivateSocketError extends Error {
  constructor(reason: string) {
    super(`no private Unix socket is possible: ${reason}`);
    this.name = 'NoPrivateSocketError';
  }
}

/**
 * A Unix socket path in a fresh directory that only this user may enter
 * (`mkdtemp` makes it 0700), so that only this user can connect, whatever the
 * umask. Throws NoPrivateSocketError where a socket cannot serve: on Windows,
 * with an unwritable temporary directory, or when its path is too long for a
 * socket (Node would silently bind a truncated one).
 */
export function privateSocket(name = 'mongo.sock'): PrivateSocket {
  if (process.platform === 'win32')
    throw new NoPrivateSocketError('Windows has no Unix domain sockets the MongoDB driver can use');
  let directory: string;
  try {
    directory = mkdtempSync(join(tmpdir(), 'mfa-graphql-'));
  } catch (error) {
    throw new NoPrivateSocketError(
      `the temporary directory ${tmpdir()} is not writable (${(error as NodeJS.ErrnoException).code}); set TMPDIR to one that is`,
    );
  }
  const remove = () => rmSync(directory, { recursive: true, force: true });
  const path = join(directory, name);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    remove();
    throw new NoPrivateSocketError(
      `a socket under ${tmpdir()} would have a path longer than ${MAX_SOCKET_PATH_BYTES} bytes; set TMPDIR to a shorter directory`,
    );
  }
  return { path, remove };
}
