import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { childEnv, compiled, exited, runNode } from '../support/processes.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import {
  deleteKeys,
  redisUrl,
  startPipeline,
  testKeys,
  uniquePrefix,
  waitFor,
  type TestPipeline,
} from './mail-harness.js';

/** Short enough that a dead worker's job is taken over within seconds; the defaults are 30 s each. */
const LOCK_DURATION_MS = 2000;
const STALLED_INTERVAL_MS = 1000;
const START_TIMEOUT_MS = 15_000;

// A worker killed mid-job does not lose the mail (BullMQ hands the stalled job to another); SIGTERM closes the worker after its current job.
describe('npm run worker (dist/src/worker.js)', () => {
  const prefix = uniquePrefix('worker');
  const keys = testKeys();
  let sink: SmtpSink;
  let sender: TestPipeline;
  let redis: Redis;
  const children: ChildProcess[] = [];

  const env = () =>
    childEnv({
      REDIS_URL: redisUrl,
      SMTP_URL: sink.url,
      MFA_ENCRYPTION_KEYS: keys.spec,
      DATA_DIR: ':memory:',
      REDIS_KEY_PREFIX: prefix,
      MAIL_WORKER_CONCURRENCY: '1',
      MAIL_LOCK_DURATION_MS: String(LOCK_DURATION_MS),
      MAIL_STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
      LOG_LEVEL: 'info',
    });

  /** A worker process, resolved once it logs that it runs. */
  async function startWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, [compiled('worker.js')], {
      env: env(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    for await (const line of lines) {
      if (!line.includes('mail worker running')) continue;
      clearTimeout(timer);
      lines.on('line', () => undefined); // keep draining its output
      return child;
    }
    throw new Error(`worker exited (${child.exitCode}) before it was running`);
  }

  before(async () => {
    sink = await startSmtpSink();
    sender = await startPipeline({ smtpUrl: sink.url, secrets: keys.secrets, prefix, startWorker: false });
    redis = new Redis(redisUrl);
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sender?.close();
    await sink?.stop();
    await deleteKeys(redis, prefix);
    redis?.disconnect();
  });

  it('delivers a mail whose worker was killed in the middle of sending it', async () => {
    const first = await startWorker();
    sink.holdData(4000); // the first DATA is answered late: the worker is killed before it hears back
    const dataStarted = once(sink, 'data-started');
    await sender.sender.send({
      template: 'factor-removed',
      to: 'killed@example.test',
      params: { factor: 'Authentication app' },
    });
    await dataStarted;
    first.kill('SIGKILL');
    assert.deepEqual(await exited(first, 5000), { code: null, signal: 'SIGKILL' });

    const second = await startWorker();
    const startedAt = Date.now();
    const [mail] = await sink.waitForMails(1, 20_000);
    assert.deepEqual(mail.envelopeTo, ['killed@example.test']);
    assert.match(mail.parsed.subject ?? '', /removed/);
    assert.ok(
      Date.now() - startedAt < LOCK_DURATION_MS + 4 * STALLED_INTERVAL_MS + 2000,
      'taken over once the lock ran out',
    );
    await waitFor('the killed worker’s attempt to count as abandoned', () => sink.abandoned === 1, 5000);
    assert.equal(sink.mails.length, 1, 'the killed attempt was never accepted: this delivery is the second worker’s');

    // SIGTERM lets the current job finish: this one is held by the server for a while.
    sink.holdData(1000);
    const held = once(sink, 'data-started');
    await sender.sender.send({ template: 'recovery-codes-regenerated', to: 'drained@example.test', params: {} });
    await held;
    second.kill('SIGTERM');
    assert.deepEqual(await exited(second, 10_000), { code: 0, signal: null });
    const drained = sink.mails.filter((m) => m.envelopeTo.includes('drained@example.test'));
    assert.equal(drained.length, 1, 'the mail in flight at SIGTERM was delivered before exit');
  });

  it('refuses to start with DATA_DIR=:memory: and no shared MFA_ENCRYPTION_KEYS, and says why', async () => {
    const { MFA_ENCRYPTION_KEYS: _dropped, ...rest } = env();
    const result = await runNode(compiled('worker.js'), [], { env: rest });
    assert.equal(result.code, 78);
    assert.match(result.stderr, /MFA_ENCRYPTION_KEYS/);
    assert.match(result.stderr, /:memory:/);
  });
});
