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
    const { hostname, port } = new URL(mongo.embeddedUri!);
    const socket: Socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    socket.write(bytes);
    if (endAfter) socket.end();
    const closed = once(socket, 'close').then(() => 'closed' as const);
    const verdict = await Promise.race([closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 500))]);
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
