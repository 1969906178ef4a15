import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A compiled entry point under dist/src, e.g. `compiled('main.js')`. */
export const compiled = (path: string): string => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

/** The Redis the suite shares; each test app and spawned service keeps to a key prefix of its own. */
export const sharedRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The environment of a child process: ours, without the variables that would make it create an admin of its own. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ['ADMIN_USERNAME', 'ADMIN_PASSWORD', 'NODE_ENV']) if (!(name in extra)) delete env[name];
  return env;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node file args` to its end with `input` piped to its standard input. */
export async function runNode(
  file: string,
  args: string[],
  options: { input?: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Finished> {
  const child = spawn(process.execPath, [file, ...args], { env: options.env, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.on('error', () => undefined); // a child that exits before reading its input closes the pipe early
  child.stdin.end(options.input ?? '');
  const { code, signal } = await exited(child, options.timeoutMs ?? 20_000);
  return { code, signal, stdout, stderr };
}

/** Resolves when `child` exits; kills it and rejects after `timeoutMs`, so a hung child fails the test instead of stalling it. */
export async function exited(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  let timedOut = false;
  const timer = setTimeout(() => (timedOut = child.kill('SIGKILL')), timeoutMs);
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    if (timedOut) throw new Error(`process ${child.pid} did not exit within ${timeoutMs} ms`);
    return { code, signal };
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A private, throw-away redis-server on `port` (no persistence), resolved once it accepts connections. */
export async function startRedisServer(port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const early = (code: number | null) =>
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`));
    child.once('error', reject).once('exit', early);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('Ready to accept connections')) return;
      child.off('exit', early);
      resolve();
    });
  });
  return child;
}

const SERVICE_START_TIMEOUT_MS = 20_000;

export interface ServiceProcess {
  child: ChildProcess;
  /** The GraphQL endpoint, from the "listening" log line, as an operator would read it. */
  graphqlUrl: string;
  /** Every log line so far (and later ones as they come). */
  logs: string[];
}

/**
 * `node dist/src/main.js` (what `npm start` runs) with `env`, resolved once it
 * listens. `umask` starts it under that file-mode mask (through /bin/sh), as
 * an operator's shell would.
 */
export async function startService(env: NodeJS.ProcessEnv, options: { umask?: string } = {}): Promise<ServiceProcess> {
  const main = compiled('main.js');
  const child = options.umask
    ? spawn('/bin/sh', ['-c', `umask ${options.umask} && exec "$0" "$1"`, process.execPath, main], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      })
    : spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const logs: string[] = [];
  const graphqlUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening" line within ${SERVICE_START_TIMEOUT_MS} ms:\n${logs.join('\n')}`)),
      SERVICE_START_TIMEOUT_MS,
    );
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${logs.join('\n')}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      logs.push(line);
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg !== 'mfa-graphql listening' || !entry.url) return;
      clearTimeout(timer);
      resolve(entry.url);
    });
  });
  return { child, graphqlUrl, logs };
}
