import { Binary, Decimal128, Long, ObjectId, UUID } from 'bson';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Schema } from 'mongoose';
import { after, before, describe, it } from 'node:test';
import { openMongoUnderTest, type MongoUnderTest } from '../support/mongo-under-test.js';

describe('BSON types and TTL indexes', () => {
  let mongo: MongoUnderTest;
  before(async () => {
    mongo = await openMongoUnderTest({ ttlMonitorIntervalMs: 100 });
  });
  after(() => mongo.close());

  it('round-trips ObjectId, Date, Binary, Long, Decimal128, UUID and nesting exactly', async () => {
    const original = {
      _id: new ObjectId(),
      at: new Date('2026-01-02T03:04:05.678Z'),
      bytes: new Binary(Buffer.from([0, 1, 2, 255])),
      custom: new Binary(Buffer.from('custom'), 0x80),
      big: Long.fromString('9007199254740993'),
      money: Decimal128.fromString('1234.5600'),
      uuid: new UUID('0e4b33ba-9d4c-4c42-8b8e-3c1d6d1f2a77'),
      nested: { list: [1, 'two', { three: [3] }], empty: {} },
    };
    const raw = mongo.connection.db!.collection<typeof original>('types');
    await raw.insertOne(original);
    const back = await raw.findOne({ _id: original._id }, { promoteLongs: false });
    assert.ok(back);
    assert.equal(back._id.toHexString(), original._id.toHexString());
    assert.equal(back.at.toISOString(), original.at.toISOString());
    assert.deepEqual([back.bytes.sub_type, Buffer.from(back.bytes.buffer)], [0, Buffer.from([0, 1, 2, 255])]);
    assert.deepEqual([back.custom.sub_type, Buffer.from(back.custom.buffer).toString()], [0x80, 'custom']);
    assert.equal(back.big._bsontype, 'Long');
    assert.equal(back.big.toString(), '9007199254740993');
    assert.equal(back.money.toString(), '1234.5600');
    assert.equal(back.uuid.sub_type, 4);
    assert.equal(new UUID(Buffer.from(back.uuid.buffer)).toHexString(), original.uuid.toHexString());
    assert.deepEqual(back.nested, original.nested);
    assert.equal(
      (await raw.findOne({ uuid: original.uuid }))?._id.toHexString(),
      original._id.toHexString(),
      'UUIDs match in queries',
    );
  });

  it('round-trips mongoose Decimal128, Buffer, BigInt and UUID paths', async () => {
    const Wallet = mongo.connection.model(
      'Wallet',
      new Schema({ balance: Schema.Types.Decimal128, blob: Buffer, counter: BigInt, ref: Schema.Types.UUID }),
    );
    const ref = '6f1c2d3e-4a5b-4c6d-8e7f-901234567890';
    const { _id } = await Wallet.create({ balance: '10.25', blob: Buffer.from('hi'), counter: 2n ** 62n, ref });
    const wallet = await Wallet.findById(_id);
    assert.equal(wallet?.balance?.toString(), '10.25');
    assert.equal(Buffer.from(wallet.blob as Buffer).toString(), 'hi');
    assert.equal(wallet?.counter, 2n ** 62n);
    assert.equal(String(wallet?.ref), ref);
  });

  it('removes expired documents on the TTL sweep and keeps the rest', async (t) => {
    const sessions = mongo.connection.db!.collection('ttl');
    await sessions.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
    await sessions.insertMany([
      { name: 'expired', expiresAt: new Date(Date.now() - 1000) },
      { name: 'alive', expiresAt: new Date(Date.now() + 3_600_000) },
      { name: 'no date', expiresAt: 'not a date' },
    ]);
    // mongod sweeps every 60 s; the embedded server here every 100 ms.
    const deadline = Date.now() + (mongo.embedded ? 5_000 : 65_000);
    if (!mongo.embedded) t.diagnostic('real MongoDB: waiting for its 60 s TTL monitor');
    while (Date.now() < deadline && (await sessions.countDocuments({ name: 'expired' })) > 0) await sleep(50);
    assert.deepEqual(
      (await sessions.find<{ name: string }>({}, { projection: { _id: 0, name: 1 } }).toArray())
        .map((d) => d.name)
        .sort(),
      ['alive', 'no date'],
    );
  });
});
