import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { listeningTcpPorts, unixSocketPaths } from '../support/listening-sockets.js';
import {
  childEnv,
  compiled,
  exited,
  freePort,
  runNode,
  sharedRedisUrl,
  startService,
  type ServiceProcess,
} from '../support/processes.js';
import { deleteKeys } from '../support/redis-keys.js';

const EXIT_TIMEOUT_MS = 10_000;

/** Every path under `root` (itself included) with its permission bits, e.g. ["mongo/journal.bson", 0o600]. */
function modes(root: string): Array<[string, number]> {
  const found: Array<[string, number]> = [];
  const visit = (path: string) => {
    const stats = lstatSync(path);
    found.push([path === root ? '.' : path.slice(root.length + 1), stats.mode & 0o777]);
    if (stats.isDirectory()) for (const entry of readdirSync(path).sort()) visit(join(path, entry));
  };
  visit(root);
  return found;
}

/** The JSON log lines whose message matches `pattern`. */
const logged = (service: ServiceProcess, pattern: RegExp) =>
  service.logs
    .map((line) => JSON.parse(line) as { msg: string; [field: string]: unknown })
    .filter((entry) => pattern.test(entry.msg));

// Another local user, or another container in the pod, must not reach the embedded database: it has no authentication.
describe(
  'the embedded database of `npm start`',
  { skip: process.platform !== 'linux' && 'reads /proc to list the process’s sockets' },
  () => {
    const root = mkdtempSync(join(tmpdir(), 'embedded-db-'));
    const dataDir = join(root, 'data'); // made by the service
    const redisKeyPrefix = `test-${process.pid}-${randomBytes(4).toString('hex')}`;
    const env = (extra: Record<string, string> = {}) => {
      const vars = childEnv({
        PORT: '0',
        DATA_DIR: dataDir,
        REDIS_URL: sharedRedisUrl,
        REDIS_KEY_PREFIX: redisKeyPrefix,
        LOG_LEVEL: 'info',
        ...extra,
      });
      delete vars.MONGODB_URI; // the embedded database is what is under test, also in a run against a real MongoDB
      return vars;
    };
    let service: ServiceProcess | undefined;
    const stop = async () => {
      service!.child.kill('SIGTERM');
      assert.deepEqual(await exited(service!.child, EXIT_TIMEOUT_MS), { code: 0, signal: null });
      service = undefined;
    };
    let redis: Redis;
    before(() => {
      redis = new Redis(sharedRedisUrl);
    });
    after(async () => {
      if (service?.child.exitCode === null) service.child.kill('SIGKILL');
      await deleteKeys(redis, redisKeyPrefix);
      redis.disconnect();
      rmSync(root, { recursive: true, force: true });
    });

    it('listens on TCP for HTTP only, and keeps the database on a socket in a directory only its user may enter', async () => {
      service = await startService(env(), { umask: '000' });
      const pid = service.child.pid!;
      const httpPort = Number(new URL(service.graphqlUrl).port);
      assert.deepEqual(
        listeningTcpPorts(pid),
        [httpPort],
        'no TCP port a local process could reach the database through',
      );

      const sockets = unixSocketPaths(pid).filter((path) => path.endsWith('/mongo.sock'));
      assert.equal(sockets.length, 1, `one database socket, found ${JSON.stringify(unixSocketPaths(pid))}`);
      const directory = statSync(dirname(sockets[0]));
      assert.equal(directory.mode & 0o777, 0o700, 'under umask 000 too');
      assert.equal(directory.uid, process.getuid!());

      const [notice] = logged(service, /^MONGODB_URI is unset/);
      assert.equal(notice.tcpUri, null);
      assert.match(notice.msg, /no TCP listener: set EMBEDDED_MONGO_PORT .* \(unauthenticated\)/);
    });

    it('made DATA_DIR and everything in it owner-only under umask 000', async () => {
      await stop();
      const found = new Map(modes(dataDir));
      for (const file of ['mfa-encryption-keys', 'mongo/journal.bson'])
        assert.ok(found.has(file), `${file} in ${JSON.stringify([...found])}`);
      for (const [path, mode] of found) {
        const directory = path === '.' || path === 'mongo';
        assert.equal(mode, directory ? 0o700 : 0o600, `${path}: 0${mode.toString(8)}`);
      }
    });

    it(
      'takes group and other access off a data directory left open (0755/0644) at the next start, ' +
        'naming each path, also through a symlinked DATA_DIR',
      async () => {
        const open = modes(dataDir).map(([path]) => path);
        for (const path of open)
          chmodSync(join(dataDir, path), statSync(join(dataDir, path)).isDirectory() ? 0o755 : 0o644);
        const link = join(root, 'data-link'); // DATA_DIR pointing at the volume that holds the data
        symlinkSync(dataDir, link);
        service = await startService(env({ DATA_DIR: link }));
        const [warning] = logged(service, /^DATA_DIR was open to other users: made it owner-only/);
        assert.ok(warning, service.logs.join('\n'));
        assert.deepEqual([...(warning.fixed as string[])].sort(), open.map((path) => join(link, path)).sort());
        assert.match(warning.msg, /treat the development key and sessions in it as exposed/);
        assert.ok(
          modes(dataDir).every(([, mode]) => (mode & 0o077) === 0),
          JSON.stringify(modes(dataDir)),
        );
        await stop();
      },
    );

    it('exposes the database on TCP only when EMBEDDED_MONGO_PORT asks, where any local process can then read it', async () => {
      const port = await freePort();
      service = await startService(env({ EMBEDDED_MONGO_PORT: String(port) }));
      const httpPort = Number(new URL(service.graphqlUrl).port);
      assert.deepEqual(
        listeningTcpPorts(service.child.pid!),
        [port, httpPort].sort((a, b) => a - b),
      );
      const [notice] = logged(service, /^MONGODB_URI is unset/);
      assert.equal(notice.tcpUri, `mongodb://127.0.0.1:${port}/`);
      assert.match(notice.msg, /unauthenticated, to every local user/);
      // What the listener allows, and why it is opt-in: an unauthenticated client reads the service's collections.
      const client = await new MongoClient(notice.tcpUri).connect();
      try {
        assert.ok((await client.db('mfa').listCollections().toArray()).some(({ name }) => name === 'users'));
      } finally {
        await client.close();
      }
      await stop();
    });

    it('refuses to start where no private socket is possible, unless EMBEDDED_MONGO_PORT accepts a TCP port', async () => {
      const longTmp = join(root, 'x'.repeat(100));
      mkdirSync(longTmp);
      const run = await runNode(compiled('main.js'), [], { env: env({ DATA_DIR: ':memory:', TMPDIR: longTmp }) });
      assert.equal(run.code, 78, run.stdout + run.stderr); // EX_CONFIG
      assert.match(
        run.stdout,
        /configuration error: no private Unix socket is possible: .*set TMPDIR to a shorter directory/,
      );
      assert.match(run.stdout, /set MONGODB_URI to a real MongoDB, or EMBEDDED_MONGO_PORT/);

      const port = await freePort();
      service = await startService(env({ DATA_DIR: ':memory:', TMPDIR: longTmp, EMBEDDED_MONGO_PORT: String(port) }));
      assert.ok(listeningTcpPorts(service.child.pid!).includes(port));
      assert.equal(
        logged(
          service,
          /^no private Unix socket is possible: .*: the service uses the embedded server's TCP port \(EMBEDDED_MONGO_PORT\)/,
        ).length,
        1,
        service.logs.join('\n'),
      );
      await stop();
    });
  },
);

describe('NODE_ENV=production on the embedded database', () => {
  it('refuses to start, saying to set MONGODB_URI', async () => {
    const keys = `k1:${randomBytes(32).toString('base64')}`;
    const env = childEnv({
      NODE_ENV: 'production',
      PORT: '0',
      MFA_ENCRYPTION_KEYS: keys,
      SMTP_URL: 'smtp://127.0.0.1:2525',
      REDIS_URL: sharedRedisUrl,
    });
    delete env.MONGODB_URI;
    const run = await runNode(compiled('main.js'), [], { env });
    assert.equal(run.code, 78); // EX_CONFIG
    assert.match(
      run.stderr,
      /^configuration error: MONGODB_URI is required when NODE_ENV=production \(a MongoDB replica set/,
    );
  });
});
