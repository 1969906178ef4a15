import assert from 'node:assert/strict';
import type { Collection, Filter, FindOptions } from 'mongodb';
import { after, before, describe, it } from 'node:test';
import { openMongoUnderTest, type MongoUnderTest } from '../support/mongo-under-test.js';

/**
 * Filters whose top-level `$and` (or `$or` of equalities) an index can narrow,
 * run against a collection with indexes and against the same documents
 * without any, which only a scan can answer: the answers must not differ.
 */
interface Item {
  _id: number;
  identifier?: string | null;
  value: number;
  qty: number;
  tags: string[];
}

describe('$and and $or through indexes', () => {
  let mongo: MongoUnderTest;
  let suffix = 0;
  before(async () => {
    mongo = await openMongoUnderTest();
  });
  after(() => mongo.close());

  const db = () => mongo.connection.db!;
  const scannedObjects = async () =>
    Number(
      ((await db().admin().command({ serverStatus: 1 })) as { metrics: { queryExecutor: { scannedObjects: number } } })
        .metrics.queryExecutor.scannedObjects,
    );

  const documents = (): Item[] =>
    Array.from({ length: 40 }, (_, i) => ({
      _id: i,
      // Some documents hold identifier null, some none at all: both match { identifier: null }.
      ...(i % 9 === 8 ? {} : { identifier: i % 9 === 7 ? null : `id${i % 5}` }),
      value: i % 3,
      qty: i,
      tags: [`t${i % 4}`, `t${(i + 1) % 4}`],
    }));

  /** The same documents twice: `indexed` with indexes on identifier and tags (multikey), `plain` with only _id's. */
  async function pair(): Promise<{ indexed: Collection<Item>; plain: Collection<Item> }> {
    suffix++;
    const indexed = db().collection<Item>(`indexed${suffix}`);
    const plain = db().collection<Item>(`plain${suffix}`);
    await indexed.createIndex({ identifier: 1 });
    await indexed.createIndex({ tags: 1 });
    for (const collection of [indexed, plain]) {
      await collection.insertMany(documents());
      // Rewrites an index key of early documents, which an index then holds after later ones: order must still be natural.
      for (const _id of [0, 5, 10]) {
        await collection.updateOne({ _id }, { $set: { identifier: 'moved' } });
        await collection.updateOne({ _id }, { $set: { identifier: 'id0' } });
      }
    }
    return { indexed, plain };
  }

  const filters: Array<[string, Filter<Item>]> = [
    ['$and with an indexed equality first', { $and: [{ identifier: 'id1' }, { value: 1 }] }],
    [
      '$and with an indexed $in after an unindexed range',
      { $and: [{ value: { $gte: 1 } }, { identifier: { $in: ['id2', 'id3'] } }] },
    ],
    ['nested $and', { $and: [{ $and: [{ identifier: 'id0' }, { qty: { $lt: 30 } }] }, { value: { $ne: 2 } }] }],
    ['$and beside a top-level field', { identifier: 'id3', $and: [{ value: 0 }] }],
    ['$and on null (null or missing)', { $and: [{ identifier: null }, { value: { $in: [0, 1] } }] }],
    ['$and on a multikey index', { $and: [{ tags: 't1' }, { value: 1 }] }],
    ['$and matching nothing', { $and: [{ identifier: 'nope' }, { value: 1 }] }],
    ['$and with no indexed member (scan)', { $and: [{ value: 1 }, { qty: { $gt: 3 } }] }],
    ['$or of indexed equalities and _id', { $or: [{ identifier: 'id1' }, { identifier: 'id4' }, { _id: 3 }] }],
    ['$or of overlapping indexed branches (de-duplicated)', { $or: [{ tags: 't2' }, { identifier: 'id2' }] }],
    [
      '$or of an $and branch and an equality',
      { $or: [{ $and: [{ identifier: 'id1' }, { value: 1 }] }, { identifier: 'id2' }] },
    ],
    ['$or with one unindexed branch (scan)', { $or: [{ identifier: 'id1' }, { value: 2 }] }],
    ['$or with null', { $or: [{ identifier: null }, { identifier: 'id4' }] }],
    ['$and holding a $or', { $and: [{ $or: [{ identifier: 'id0' }, { identifier: 'id3' }] }, { value: { $lte: 1 } }] }],
  ];

  it('finds, sorts, limits and counts as the scan does', async () => {
    const { indexed, plain } = await pair();
    for (const [name, filter] of filters) {
      const scanned = await plain.find(filter).toArray();
      assert.ok(name.includes('nothing') || scanned.length > 0, `${name}: the fixture matches something`);
      if (mongo.embedded) assert.deepEqual(await indexed.find(filter).toArray(), scanned, `${name}: natural order`);
      else
        assert.deepEqual(
          await indexed.find(filter).sort({ _id: 1 }).toArray(),
          await plain.find(filter).sort({ _id: 1 }).toArray(),
          name,
        );
      const pages: FindOptions[] = [
        { sort: { value: -1, _id: 1 }, limit: 3 },
        { sort: { qty: -1 }, skip: 1, limit: 2 },
      ];
      for (const options of pages) {
        assert.deepEqual(
          await indexed.find(filter, options).toArray(),
          await plain.find(filter, options).toArray(),
          `${name}: ${JSON.stringify(options)}`,
        );
      }
      if (mongo.embedded)
        assert.deepEqual(
          await indexed.find(filter, { limit: 2 }).toArray(),
          await plain.find(filter, { limit: 2 }).toArray(),
          `${name}: limit`,
        );
      assert.equal(await indexed.countDocuments(filter), scanned.length, `${name}: count`);
    }
  });

  it('deletes and updates through $and as the scan does (deleteOne picks the same document)', async () => {
    const writes: Array<[string, (collection: Collection<Item>) => Promise<unknown>]> = [
      ['deleteOne', (c) => c.deleteOne({ $and: [{ identifier: 'id0' }, { value: { $in: [0, 1] } }] })],
      ['deleteOne on null', (c) => c.deleteOne({ $and: [{ identifier: null }, { value: { $gte: 0 } }] })],
      ['deleteMany', (c) => c.deleteMany({ $and: [{ value: 1 }, { identifier: 'id1' }] })],
      ['deleteMany by $or', (c) => c.deleteMany({ $or: [{ identifier: 'id2' }, { tags: 't3' }] })],
      ['updateMany', (c) => c.updateMany({ $and: [{ tags: 't0' }, { qty: { $gt: 10 } }] }, { $inc: { value: 10 } })],
      [
        'updateOne',
        (c) => c.updateOne({ $and: [{ identifier: 'id0' }, { value: { $lte: 1 } }] }, { $set: { hit: true } }),
      ],
      [
        'findOneAndUpdate',
        (c) =>
          c.findOneAndUpdate(
            { $and: [{ identifier: 'id0' }, { value: 0 }] },
            { $set: { hit: 1 } },
            { returnDocument: 'after' },
          ),
      ],
      ['findOneAndDelete by $or', (c) => c.findOneAndDelete({ $or: [{ identifier: 'id3' }, { identifier: 'id4' }] })],
    ];
    for (const [name, write] of writes) {
      const { indexed, plain } = await pair();
      const byIndex = await write(indexed);
      const byScan = await write(plain);
      const after = async (collection: Collection<Item>) => collection.find({}).sort({ _id: 1 }).toArray();
      if (mongo.embedded) {
        assert.deepEqual(byIndex, byScan, name);
        assert.deepEqual(await after(indexed), await after(plain), `${name}: documents left`);
      } else {
        assert.deepEqual(
          (byIndex as { deletedCount?: number; modifiedCount?: number }).deletedCount ??
            (byIndex as { modifiedCount?: number }).modifiedCount,
          (byScan as { deletedCount?: number; modifiedCount?: number }).deletedCount ??
            (byScan as { modifiedCount?: number }).modifiedCount,
          name,
        );
      }
    }
  });

  it('examines only the documents the index gives for $and and an all-indexed $or, and scans for any other $or', async () => {
    const tokens = db().collection('tokens');
    await tokens.createIndex({ identifier: 1 });
    await tokens.insertMany(Array.from({ length: 2000 }, (_, i) => ({ identifier: `id${i}`, value: `v${i}` })));
    const examined = async (run: () => Promise<unknown>) => {
      const before = await scannedObjects();
      await run();
      return (await scannedObjects()) - before;
    };
    const narrow = await examined(async () => {
      const { deletedCount } = await tokens.deleteOne({ $and: [{ identifier: 'id1500' }, { value: 'v1500' }] });
      assert.equal(deletedCount, 1);
    });
    assert.ok(narrow <= 2, `$and through the index examined ${narrow}`);
    const union = await examined(async () => {
      assert.equal(await tokens.countDocuments({ $or: [{ identifier: 'id7' }, { identifier: 'id1999' }] }), 2);
    });
    assert.ok(union <= 4, `$or through the index examined ${union}`);
    const scan = await examined(async () => {
      assert.equal(await tokens.countDocuments({ $or: [{ identifier: 'id7' }, { value: 'v1999' }] }), 2);
    });
    assert.ok(scan >= 1999, `$or with an unindexed branch examined ${scan}`);
  });
});
