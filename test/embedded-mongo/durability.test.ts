import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import { after, describe, it } from 'node:test';

const CLI = fileURLToPath(new URL('../../src/embedded-mongo/cli.js', import.meta.url));

/** Starts the standalone command as a user would, returning the URI it prints. */
async function startCli(dataDir: string): Promise<{ child: ChildProcess; uri: string }> {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  const [uri] = await Promise.race<RegExpExecArray>([
    (async () => {
      while (!/mongodb:\/\/\S+/.test(output)) await once(child.stdout, 'data');
      return /mongodb:\/\/\S+/.exec(output)!;
    })(),
    once(child, 'exit').then(() => Promise.reject(new Error(`embedded-mongo exited before listening: ${output}`))),
  ]);
  return { child, uri };
}

describe('durability of the embedded server across kill -9', () => {
  const directories: string[] = [];
  after(async () => Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true }))));

  it('keeps every acknowledged write and drops a torn tail', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'embedded-mongo-'));
    directories.push(dataDir);

    const first = await startCli(dataDir);
    const connection = await mongoose.createConnection(first.uri, { dbName: 'durable' }).asPromise();
    const accounts = connection.db!.collection('accounts');
    await accounts.createIndex({ email: 1 }, { unique: true });
    await accounts.insertMany(Array.from({ length: 200 }, (_, i) => ({ email: `u${i}@x`, n: i })));
    await accounts.updateMany({ n: { $lt: 10 } }, { $set: { flagged: true } });
    await accounts.deleteMany({ n: { $gte: 190 } });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => accounts.updateOne({ email: `u${i + 20}@x` }, { $inc: { n: 1000 } })),
    );
    const last = await accounts.findOneAndUpdate(
      { email: 'u50@x' },
      { $set: { last: true } },
      { returnDocument: 'after' },
    );
    assert.equal(last?.last, true);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    await connection.close(true);

    const files = await readdir(dataDir);
    const journal = files.find((file) => file.endsWith('.bson'));
    assert.ok(journal, `a journal file in ${files.join(', ')}`);
    await appendFile(join(dataDir, journal), Buffer.from([0x40, 0, 0, 0, 1, 2, 3, 4, 5, 6])); // a write cut off mid-record

    const second = await startCli(dataDir);
    const reopened = await mongoose.createConnection(second.uri, { dbName: 'durable' }).asPromise();
    try {
      const restored = reopened.db!.collection('accounts');
      assert.equal(await restored.countDocuments(), 190);
      assert.equal(await restored.countDocuments({ flagged: true }), 10);
      assert.equal(await restored.countDocuments({ n: { $gte: 1000 } }), 20);
      assert.equal((await restored.findOne({ email: 'u50@x' }))?.last, true);
      assert.equal(await restored.findOne({ email: 'u195@x' }), null);
      await assert.rejects(
        restored.insertOne({ email: 'u1@x' }),
        (error: { code?: number }) => error.code === 11000,
        'the unique index survived',
      );
    } finally {
      await reopened.close();
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }
  });
});
