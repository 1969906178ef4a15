import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { UserRecord } from '../../src/accounts/user.model.js';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/database.js';
import { createLogger } from '../../src/logger.js';
import { LoginDocument as LOGIN, MeDocument as ME } from '../generated/graphql.js';
import { childEnv, compiled, runNode, sharedRedisUrl } from '../support/processes.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

// The steps share one data directory and run in order: the CLI writes it, then a server reads it.
describe('npm run create-admin', () => {
  let dataDir: string;
  let app: TestApp | undefined;
  const createAdmin = (args: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
    runNode(compiled('cli/create-admin.js'), args, {
      input: options.input,
      env: childEnv({ DATA_DIR: dataDir, REDIS_URL: sharedRedisUrl, ...options.env }),
    });
  const signIn = async (username: string, password: string) => {
    const login = await app!.graphql(LOGIN, { variables: { input: { username, password } } });
    assert.equal(errorCode(login), undefined, `${username} signs in`);
    assert.equal(
      login.data!.login.enrollmentRequired,
      true,
      'an admin is created with MFA on: the first sign-in enrolls a factor',
    );
    return (await app!.graphql(ME, { token: login.data!.login.accessToken! })).data?.me;
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'create-admin-'));
  });
  after(async () => {
    await app?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates an admin from the first piped line, and prints no secret', async () => {
    const run = await createAdmin(['--username', 'root'], { input: 'root password 1\nignored second line\n' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /created admin "root"/);
    assert.ok(!`${run.stdout}${run.stderr}`.includes('root password 1'));
  });

  it('takes ADMIN_PASSWORD over standard input', async () => {
    const run = await createAdmin(['--username', 'ops'], {
      input: 'piped password 2\n',
      env: { ADMIN_PASSWORD: 'env admin password 2' },
    });
    assert.equal(run.code, 0, run.stderr);
  });

  it('refuses a username that is taken, in any case', async () => {
    const run = await createAdmin(['--username', 'ROOT'], { input: 'another password\n' });
    assert.equal(run.code, 65);
    assert.match(run.stderr, /taken/);
  });

  it('refuses a password the password rules refuse, naming the rule and never the password', async () => {
    for (const [password, rule] of [
      ['fourteen chars', 'TOO_SHORT'],
      ['password1234567', 'COMMON'],
      ['xk7qxk7qxk7qxk7q', 'REPETITIVE_OR_SEQUENTIAL'],
      ['shorty1234567890', 'CONTEXT_SPECIFIC'],
    ]) {
      const run = await createAdmin(['--username', 'shorty'], { input: `${password}\n` });
      assert.equal(run.code, 65, password);
      assert.match(run.stderr, new RegExp(`\\(rule ${rule}\\)`), password);
      assert.ok(!run.stderr.includes(password), 'the password is not echoed');
    }
  });

  it('refuses a password given as an argument, where `ps` would show it', async () => {
    const run = await createAdmin(['--username', 'argv', '--password', 'visible password']);
    assert.equal(run.code, 64);
    assert.match(run.stderr, /never from arguments/);
  });

  it('leaves admins the server signs in, with an audit event each', async () => {
    app = await startTestApp({ DATA_DIR: dataDir });
    assert.equal((await signIn('root', 'root password 1'))?.role, 'ADMIN');
    assert.equal((await signIn('ops', 'env admin password 2'))?.role, 'ADMIN');
    const db = app.database.connection.db!;
    const admins = await db
      .collection<UserRecord>('users')
      .find({}, { projection: { usernameKey: 1 } })
      .toArray();
    assert.deepEqual(admins.map((user) => user.usernameKey).sort(), ['ops', 'root'], 'refused runs created no account');
    const events = await db.collection('auditEvents').find({ type: 'account.admin_created' }).toArray();
    assert.deepEqual(events.map((event) => String(event.userId)).sort(), admins.map((user) => String(user._id)).sort());
  });

  it('refuses to open the embedded database while a server holds it', async () => {
    const run = await createAdmin(['--username', 'late'], { input: 'late password 1\n' });
    assert.equal(run.code, 75);
    assert.match(run.stderr, new RegExp(`in use by process ${process.pid}\\b.*Stop the server`));
  });

  it('leaves the audit retention to the servers: a run without AUDIT_RETENTION_DAYS keeps their 90-day index', async () => {
    await app!.stop();
    app = await startTestApp({ DATA_DIR: dataDir, AUDIT_RETENTION_DAYS: '90' });
    await app.stop();
    app = undefined;
    const run = await createAdmin(['--username', 'late'], { input: 'late password 1\n' });
    assert.equal(run.code, 0, run.stderr);
    const database = await openDatabase(loadConfig({ DATA_DIR: dataDir }).mongodb, createLogger({ level: 'silent' }));
    try {
      const ttl = (await database.connection.db!.collection('auditEvents').indexes()).filter(
        (index) => index.expireAfterSeconds !== undefined,
      );
      assert.deepEqual(
        ttl.map((index) => index.expireAfterSeconds),
        [90 * 86_400],
      );
    } finally {
      await database.close();
    }
  });
});
