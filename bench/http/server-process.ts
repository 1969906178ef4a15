import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { SERVICE_ENV } from '../service-env.js';
import { childEnv, exited, freePort } from '../../test/support/processes.js';

/** The Redis database the benchmarked server counts its throttles in; flushed before each run. */
export const BENCH_REDIS_URL = 'redis://127.0.0.1:6379/13';

export interface ServerProcess {
  /** `http://127.0.0.1:port/graphql` */
  graphqlUrl: string;
  pid: number;
  /** SIGTERM, then waits for the drain; SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/**
 * The server to measure: this build's, or another build's entry point (BENCH_SERVER_MAIN, e.g. an older commit built in
 * a worktree) to compare two versions on the same machine in one sitting.
 */
const MAIN = process.env.BENCH_SERVER_MAIN ?? fileURLToPath(new URL('../../src/main.js', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const MAX_DISTINCT_LINES = 50;

/**
 * `node dist/src/main.js` as its own process, so the load generator and the
 * server do not share an event loop. At LOG_LEVEL=warn the server does not
 * print its "listening" line, so the port is chosen here and /healthz polled.
 */
export async function startServerProcess(
  options: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const env = childEnv({
    ...SERVICE_ENV,
    DATA_DIR: ':memory:',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    REDIS_URL: BENCH_REDIS_URL,
    ALLOW_SIGNUP: 'true',
    ...(process.env.MONGODB_URI ? { MONGODB_URI: process.env.MONGODB_URI } : {}),
    ...options.env,
  });
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // What it logs (LOG_LEVEL=warn: warnings and errors), each distinct line counted once.
  const lines = new Map<string, number>();
  let partial = '';
  const keep = (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    for (const line of parts)
      if (line.trim() && (lines.size < MAX_DISTINCT_LINES || lines.has(line)))
        lines.set(line, (lines.get(line) ?? 0) + 1);
  };
  const output = () =>
    [...lines].map(([line, count]) => (count > 1 ? `${line} (×${count})` : line)).join('\n') + partial;
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exitCode: number | null | undefined;
  child.once('exit', (code) => (exitCode = code));

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await healthy(base))) {
    if (exitCode !== undefined) throw new Error(`the server exited (${exitCode}) before it was ready:\n${output()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${output()}`);
    }
    await sleep(100);
  }
  return {
    graphqlUrl: `${base}/graphql`,
    pid: child.pid!,
    async stop() {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      await exited(child, 15_000).catch(() => child.kill('SIGKILL'));
      // Worth seeing next to the figures: an error during a run changes what was measured.
      for (const line of lines.keys()) if (line.includes('MONGODB_URI is unset')) lines.delete(line);
      if (lines.size > 0 || partial) process.stderr.write(`server output:\n${output()}\n`);
    },
  };
}

async function healthy(base: string): Promise<boolean> {
  try {
    return (await fetch(`${base}/healthz`)).ok;
  } catch {
    return false;
  }
}
