import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { openMongoUnderTest, type MongoUnderTest } from '../support/mongo-under-test.js';

/** These feed the wire protocol malformed frames, which only the embedded server is checked for. */
describe('malformed wire messages', () => {
  let mongo: MongoUnderTest;
  before(async () => {
    mongo = await openMongoUnderTest();
  });
  after(() => mongo.close());

  async function sendRaw(bytes: Buffer, { endAfter = false } = {}): Promise<'closed' | 'open'> {
    const socket: Socket = connect(mongo.embeddedSocketPath!);
    await once(socket, 'connect');
    socket.write(bytes);
    if (endAfter) socket.end();
    const closed = once(socket, 'close').then(() => 'closed' as const);
    const verdict = await Promise.race([
      closed,
      new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 500)),
    ]);
    socket.destroy();
    return verdict;
  }

  function header(length: number, opCode = 2013): Buffer {
    const bytes = Buffer.alloc(16);
    bytes.writeInt32LE(length, 0);
    bytes.writeInt32LE(1, 4);
    bytes.writeInt32LE(0, 8);
    bytes.writeInt32LE(opCode, 12);
    return bytes;
  }

  const stillServes = async () => assert.equal((await mongo.connection.db!.command({ ping: 1 })).ok, 1);

  it('frames messages that arrive split into pieces, or two in one piece', async (t) => {
    if (!mongo.embedded) return t.diagnostic('embedded server only');
    const { serialize } = await import('bson');
    const ping = (requestId: number) => {
      const body = Buffer.concat([
        Buffer.alloc(4),
        Buffer.from([0]),
        Buffer.from(serialize({ ping: 1, $db: 'admin' })),
      ]);
      const frame = Buffer.concat([header(16 + body.length), body]);
      frame.writeInt32LE(requestId, 4);
      return frame;
    };
    const bytes = Buffer.concat([ping(1), ping(2)]);
    const socket: Socket = connect(mongo.embeddedSocketPath!);
    await once(socket, 'connect');
    let received = Buffer.alloc(0);
    const answeredTo: number[] = [];
    const bothAnswered = new Promise<void>((resolve) =>
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        while (received.length >= 16 && received.length >= received.readInt32LE(0)) {
          answeredTo.push(received.readInt32LE(8)); // responseTo
          received = received.subarray(received.readInt32LE(0));
        }
        if (answeredTo.length === 2) resolve();
      }),
    );
    // 2 bytes (not even the length), then 3 at a time: the second message starts inside a piece of the first.
    socket.write(bytes.subarray(0, 2));
    for (let at = 2; at < bytes.length; at += 3) {
      await new Promise((resolve) => setImmediate(resolve));
      socket.write(bytes.subarray(at, at + 3));
    }
    await bothAnswered;
    socket.destroy();
    assert.deepEqual(answeredTo, [1, 2]);
  });

  it('closes the connection on a message over 48 MB', async (t) => {
    if (!mongo.embedded) return t.diagnostic('embedded server only');
    assert.equal(await sendRaw(header(64 * 1024 * 1024)), 'closed');
    await stillServes();
  });

  it('closes the connection on garbage BSON', async (t) => {
    if (!mongo.embedded) return t.diagnostic('embedded server only');
    const body = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from([50, 0, 0, 0, 0xff, 0xfe, 0xfd])]);
    const frame = Buffer.concat([header(16 + body.length), body]);
    assert.equal(await sendRaw(frame), 'closed');
    await stillServes();
  });

  it('closes the connection on an unknown opcode and on a length below the header', async (t) => {
    if (!mongo.embedded) return t.diagnostic('embedded server only');
    assert.equal(await sendRaw(Buffer.concat([header(20, 9999), Buffer.alloc(4)])), 'closed');
    assert.equal(await sendRaw(header(3)), 'closed');
    await stillServes();
  });

  it('waits for the rest of a truncated frame and survives the client hanging up', async (t) => {
    if (!mongo.embedded) return t.diagnostic('embedded server only');
    assert.equal(await sendRaw(header(1000).subarray(0, 10)), 'open', 'a partial frame is not an error by itself');
    await sendRaw(Buffer.concat([header(1000), Buffer.alloc(10)]), { endAfter: true });
    await stillServes();
  });
});
