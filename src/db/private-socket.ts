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

/**
 * A Unix socket path in a fresh directory that only this user may enter
 * (`mkdtemp` makes it 0700), so that only this user can connect, whatever the
 * umask. Undefined where a socket cannot serve: on Windows, with an unwritable
 * temporary directory, or when its path is too long for a socket (Node would
 * silently bind a truncated one).
 */
export function privateSocket(name = 'mongo.sock'): PrivateSocket | undefined {
  if (process.platform === 'win32') return undefined;
  let directory: string;
  try {
    directory = mkdtempSync(join(tmpdir(), 'mfa-graphql-'));
  } catch {
    return undefined;
  }
  const remove = () => rmSync(directory, { recursive: true, force: true });
  const path = join(directory, name);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    remove();
    return undefined;
  }
  return { path, remove };
}
