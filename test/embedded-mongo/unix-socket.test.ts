import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../../src/embedded-mongo/index.js';

describe('embedded server on a Unix domain socket', { skip: process.platform === 'win32' ? 'no Unix sockets on Windows' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'embedded-socket-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the same data through the socket and through TCP, lets only its owner connect, and removes the socket on stop', async () => {
    const socketPath = join(dir, 'mongo.sock');
    const server = await startEmbeddedMongo({ memory: true, socketPath, log: () => undefined });
    assert.equal(server.socketUri, `mongodb://${encodeURIComponent(socketPath)}/`);
    assert.equal(statSync(socketPath).mode & 0o002, 0, 'other users cannot write to (connect to) the socket');

    const viaSocket = await new MongoClient(server.socketUri!).connect();
    const viaTcp = await new MongoClient(server.uri).connect();
    try {
      await viaSocket.db('t').collection('c').insertOne({ _id: 'a' as never, through: 'socket' });
      assert.deepEqual(await viaTcp.db('t').collection('c').findOne({ _id: 'a' as never }), { _id: 'a', through: 'socket' });
    } finally {
      await viaSocket.close();
      await viaTcp.close();
      await server.stop();
    }
    assert.equal(existsSync(socketPath), false);
  });

  it('fails to start, and leaves nothing listening, when the socket path is taken', async () => {
    const socketPath = join(dir, 'taken.sock');
    const first = await startEmbeddedMongo({ memory: true, socketPath, log: () => undefined });
    try {
      await assert.rejects(startEmbeddedMongo({ memory: true, socketPath, log: () => undefined }), /EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });
});
