import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SERVICE_ENV } from '../service-env.js';
import { childEnv, exited } from '../../test/support/processes.js';

const WORKER = fileURLToPath(new URL('../../src/worker.js', import.meta.url));
const START_TIMEOUT_MS = 20_000;

/** One key set per bench run: the server seals mail jobs with it, and the worker processes and the bench's own sender open or seal with it. */
export const BENCH_ENCRYPTION_KEYS = `bench:${randomBytes(32).toString('base64')}`;

export interface WorkerProcess {
  pid: number;
  /** SIGTERM (the worker finishes its current jobs), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/**
 * `node dist/src/worker.js` (what `npm run worker` runs) as its own process,
 * resolved once it logs "mail worker running": its Redis connections and the
 * SMTP pool's settings are ready then; the first SMTP connection opens with
 * the first job.
 */
export async function startWorkerProcess(options: {
  redisUrl: string;
  smtpUrl: string;
  queuePrefix: string;
  concurrency: number;
}): Promise<WorkerProcess> {
  const env = childEnv({
    ...SERVICE_ENV,
    REDIS_URL: options.redisUrl,
    SMTP_URL: options.smtpUrl,
    MFA_ENCRYPTION_KEYS: BENCH_ENCRYPTION_KEYS,
    DATA_DIR: ':memory:',
    REDIS_KEY_PREFIX: options.queuePrefix,
    MAIL_WORKER_CONCURRENCY: String(options.concurrency),
    LOG_LEVEL: 'info', // for the "running" line; deliveries are logged at debug, so no line per mail
  });
  const child = spawn(process.execPath, [WORKER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const problems: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => problems.length < 20 && problems.push(String(chunk).trim()));
  const lines = createInterface({ input: child.stdout });
  // Its output is read to the end (warnings: a failed delivery, a Redis error), so the pipe never fills.
  const running = new Promise<boolean>((resolve) => {
    lines.on('line', (line) => {
      if (line.includes('mail worker running')) resolve(true);
      else if (!line.includes('"level":30') && problems.length < 20) problems.push(line);
    });
    child.once('exit', () => resolve(false));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  const started = await running;
  clearTimeout(timer);
  if (!started)
    throw new Error(
      `the mail worker exited (${child.exitCode ?? child.signalCode}) before it was running:\n${problems.join('\n')}`,
    );
  return {
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited(child, 15_000).catch(() => child.kill('SIGKILL'));
      }
      if (problems.length > 0) process.stderr.write(`mail worker output:\n${problems.join('\n')}\n`);
    },
  };
}
