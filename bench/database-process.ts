import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { childEnv, exited } from '../test/support/processes.js';

const CLI = fileURLToPath(new URL('../src/embedded-mongo/cli.js', import.meta.url));
const START_TIMEOUT_MS = 20_000;

/** Where the HTTP scenarios' server keeps its data (`--db=`). */
export type DatabaseMode = 'process' | 'embedded';
export const DATABASE_MODES: readonly DatabaseMode[] = ['process', 'embedded'];

export interface DatabaseProcess {
  /** `mongodb://127.0.0.1:port/`: append a database name. */
  uri: string;
  pid: number;
  /** SIGTERM, SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/**
 * The embedded MongoDB-wire server in a process of its own, in memory, on a free loopback TCP port: what
 * `npm run embedded-mongo -- --memory --port 0` runs. Servers reach it through MONGODB_URI as they would reach a real
 * MongoDB in production, so the database's CPU and memory are not in the server's process (nor in its RSS).
 */
export async function startDatabaseProcess(): Promise<DatabaseProcess> {
  const child = spawn(process.execPath, [CLI, '--memory', '--port', '0', '--host', '127.0.0.1'], {
    env: childEnv({}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const uri = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the database process printed no URI within ${START_TIMEOUT_MS / 1000} s:\n${errors}`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the database process exited (${code}) before it listened:\n${errors}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /listening at (mongodb:\/\/\S+)/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolve(match[1].endsWith('/') ? match[1] : `${match[1]}/`);
    });
  });
  return {
    uri,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited(child, 10_000).catch(() => child.kill('SIGKILL'));
      if (errors.includes('"level":"error"')) process.stderr.write(`database process output:\n${errors}\n`);
    },
  };
}
