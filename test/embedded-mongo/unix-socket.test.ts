import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { privateSocket } from '../../src/db/private-socket.js';
import { startEmbeddedMongo } from '../../src/embedded-mongo/index.js';

describe(
  'embedded server on a Unix domain socket',
  { skip: process.platform === 'win32' ? 'no Unix sockets on Windows' : false },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-socket-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('listens on TCP only when given a port', async () => {
      const socketPath = join(dir, 'only.sock');
      const server = await startEmbeddedMongo({ memory: true, socketPath, log: () => undefined });
      try {
        assert.equal(server.socketUri, `mongodb://${encodeURIComponent(socketPath)}/`);
        assert.equal(server.uri, server.socketUri);
        assert.equal(server.tcpUri, undefined);
        assert.equal(server.port, undefined);
      } finally {
        await server.stop();
      }
      await assert.rejects(startEmbeddedMongo({ memory: true, log: () => undefined }), /needs a socketPath or a port/);
    });

    it('serves the same data through the socket and through TCP, and removes the socket on stop', async () => {
      const socketPath = join(dir, 'mongo.sock');
      const server = await startEmbeddedMongo({ memory: true, socketPath, port: 0, log: () => undefined });
      assert.equal(server.socketUri, `mongodb://${encodeURIComponent(socketPath)}/`);
      assert.equal(server.tcpUri, `mongodb://127.0.0.1:${server.port}/`);

      const viaSocket = await new MongoClient(server.socketUri).connect();
      const viaTcp = await new MongoClient(server.tcpUri).connect();
      try {
        await viaSocket
          .db('t')
          .collection('c')
          .insertOne({ _id: 'a' as never, through: 'socket' });
        assert.deepEqual(
          await viaTcp
            .db('t')
            .collection('c')
            .findOne({ _id: 'a' as never }),
          { _id: 'a', through: 'socket' },
        );
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
  },
);

describe(
  'the service’s private socket path',
  { skip: process.platform === 'win32' ? 'no Unix sockets on Windows' : false },
  () => {
    it('lies in a fresh directory only its owner may enter, and goes with it', () => {
      const socket = privateSocket();
      assert.ok(socket);
      const directory = dirname(socket.path);
      assert.equal(statSync(directory).mode & 0o777, 0o700);
      assert.ok(Buffer.byteLength(socket.path) <= 103);
      socket.remove();
      assert.equal(existsSync(directory), false);
    });

    it('is refused, saying what to do, when the temporary directory’s path is too long for a socket', () => {
      const long = join(mkdtempSync(join(tmpdir(), 'long-')), 'x'.repeat(100));
      mkdirSync(long);
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = long;
      try {
        assert.throws(
          () => privateSocket(),
          /no private Unix socket is possible: .* longer than 103 bytes; set TMPDIR to a shorter directory/,
        );
        assert.deepEqual(readdirSync(long), [], 'the directory it made is removed again');
      } finally {
        process.env.TMPDIR = saved;
        if (saved === undefined) delete process.env.TMPDIR;
        rmSync(dirname(long), { recursive: true, force: true });
      }
    });
  },
);
