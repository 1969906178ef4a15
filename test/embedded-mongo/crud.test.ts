import assert from 'node:assert/strict';
import { MongoBulkWriteError } from 'mongodb';
import { Schema, type Model } from 'mongoose';
import { after, before, describe, it } from 'node:test';
import { openMongoUnderTest, type MongoUnderTest } from '../support/mongo-under-test.js';
import { rejectionOf } from '../support/rejection.js';

interface Item {
  sku: string;
  qty: number;
  tags: string[];
  grades?: Array<{ grade: number; mean: number }>;
  created?: string;
}

describe('CRUD through mongoose', () => {
  let mongo: MongoUnderTest;
  let Items: Model<Item>;
  before(async () => {
    mongo = await openMongoUnderTest();
    Items = mongo.connection.model<Item>(
      'Item',
      new Schema<Item>({
        sku: { type: String, unique: true },
        qty: Number,
        tags: [String],
        grades: [{ _id: false, grade: Number, mean: Number }],
        created: String,
      }),
    );
    await Items.init();
    await Items.insertMany(
      Array.from({ length: 20 }, (_, i) => ({
        sku: `s${String(i).padStart(2, '0')}`,
        qty: i,
        tags: i % 2 ? ['odd'] : ['even'],
      })),
    );
  });
  after(() => mongo.close());
  const openCursors = async () =>
    ((await mongo.connection.db!.admin().serverStatus()) as { metrics: { cursor: { open: { total: number } } } })
      .metrics.cursor.open.total;

  it('finds with filter, sort, skip, limit and projection', async () => {
    const found = await Items.find({ qty: { $gte: 5 }, tags: 'odd' }, { sku: 1, _id: 0 })
      .sort({ qty: -1 })
      .skip(1)
      .limit(3)
      .lean();
    assert.deepEqual(found, [{ sku: 's17' }, { sku: 's15' }, { sku: 's13' }]);
    assert.equal((await Items.findOne({ sku: 's03' }).lean())?.qty, 3);
    assert.equal(await Items.findOne({ sku: 'nope' }).lean(), null);
  });

  it('leaves the stored document whole when a projection hides nested fields (find and findAndModify)', async () => {
    const nested = mongo.connection.db!.collection('nested');
    await nested.insertOne({ _id: 'n1' as never, a: { b: 1, c: 2 }, n: 0 });
    assert.deepEqual(await nested.findOne({ _id: 'n1' as never }, { projection: { 'a.b': 0 } }), {
      _id: 'n1',
      a: { c: 2 },
      n: 0,
    });
    assert.deepEqual(
      await nested.findOneAndUpdate(
        { _id: 'n1' as never },
        { $inc: { n: 1 } },
        { projection: { 'a.c': 0 }, returnDocument: 'after' },
      ),
      { _id: 'n1', a: { b: 1 }, n: 1 },
    );
    assert.deepEqual(await nested.findOne({ _id: 'n1' as never }), { _id: 'n1', a: { b: 1, c: 2 }, n: 1 });
  });

  it('refuses an unknown query operator, also on a collection that does not exist', async () => {
    const isBadValue = (error: { code?: number }) => error.code === 2;
    await assert.rejects(Items.find({ $frobnicate: 1 } as never).lean(), isBadValue);
    await assert.rejects(
      mongo.connection.db!.collection('never_created').findOne({ qty: { $frobnicate: 1 } }),
      isBadValue,
    );
  });

  it('reports inserts that fail part-way, ordered and unordered', async () => {
    const ordered = await rejectionOf(
      Items.insertMany([{ sku: 'o1' }, { sku: 's00' }, { sku: 'o2' }], { ordered: true }),
      MongoBulkWriteError,
    );
    assert.equal(ordered.code, 11000);
    assert.ok(await Items.exists({ sku: 'o1' }));
    assert.equal(await Items.exists({ sku: 'o2' }), null, 'an ordered insert stops at the first failure');
    const unordered = await rejectionOf(
      Items.insertMany([{ sku: 'u1' }, { sku: 's00' }, { sku: 'u2' }], { ordered: false }),
      MongoBulkWriteError,
    );
    assert.equal(unordered.result.getWriteErrors().length, 1);
    assert.ok(await Items.exists({ sku: 'u2' }), 'an unordered insert goes on');
  });

  it('updates with $set $inc $push $unset, one and many', async () => {
    const one = await Items.updateOne(
      { sku: 's01' },
      { $set: { created: 'x' }, $inc: { qty: 10 }, $push: { tags: 'new' } },
    );
    assert.equal(one.matchedCount, 1);
    assert.equal(one.modifiedCount, 1);
    assert.deepEqual(await Items.findOne({ sku: 's01' }, { _id: 0, qty: 1, tags: 1, created: 1 }).lean(), {
      qty: 11,
      tags: ['odd', 'new'],
      created: 'x',
    });
    const unchanged = await Items.updateOne({ sku: 's01' }, { $set: { qty: 11 } });
    assert.equal(unchanged.modifiedCount, 0, 'setting the same value modifies nothing');
    const many = await Items.updateMany({ tags: 'even' }, { $unset: { tags: 1 } });
    assert.equal(many.modifiedCount, 10);
    assert.equal(await Items.countDocuments({ tags: { $exists: true, $ne: [] }, qty: { $lt: 20 }, sku: /^s/ }), 10);
  });

  it('upserts with the filter equalities and $setOnInsert', async () => {
    const result = await Items.updateOne(
      { sku: 'up1', qty: { $eq: 7 } },
      { $set: { created: 'y' }, $setOnInsert: { tags: ['fresh'] } },
      { upsert: true },
    );
    assert.equal(result.upsertedCount, 1);
    assert.equal(result.modifiedCount, 0);
    const doc = await Items.findOne({ sku: 'up1' }).lean();
    assert.deepEqual([doc?.qty, doc?.created, doc?.tags], [7, 'y', ['fresh']]);
    await Items.updateOne({ sku: 'up1' }, { $set: { qty: 8 }, $setOnInsert: { tags: ['ignored'] } }, { upsert: true });
    assert.deepEqual(
      (await Items.findOne({ sku: 'up1' }).lean())?.tags,
      ['fresh'],
      '$setOnInsert only applies on insert',
    );
  });

  it('updates array elements through arrayFilters', async () => {
    await Items.create({
      sku: 'arr',
      grades: [
        { grade: 80, mean: 1 },
        { grade: 95, mean: 1 },
        { grade: 90, mean: 1 },
      ],
    });
    await Items.updateOne(
      { sku: 'arr' },
      { $set: { 'grades.$[high].mean': 100 } },
      { arrayFilters: [{ 'high.grade': { $gte: 90 } }] },
    );
    assert.deepEqual(
      (await Items.findOne({ sku: 'arr' }).lean())?.grades?.map((g) => g.mean),
      [1, 100, 100],
    );
  });

  it('findOneAndUpdate returns the document before or after, sorts, upserts', async () => {
    const before = await Items.findOneAndUpdate(
      { sku: 's02' },
      { $inc: { qty: 1 } },
      { returnDocument: 'before' },
    ).lean();
    assert.equal(before?.qty, 2);
    const afterUpdate = await Items.findOneAndUpdate(
      { sku: 's02' },
      { $inc: { qty: 1 } },
      { returnDocument: 'after' },
    ).lean();
    assert.equal(afterUpdate?.qty, 4);
    const top = await Items.findOneAndUpdate(
      { sku: /^s1/ },
      { $set: { created: 'top' } },
      { sort: { qty: -1 }, returnDocument: 'after' },
    ).lean();
    assert.equal(top?.sku, 's19');
    const created = await Items.findOneAndUpdate(
      { sku: 'fau' },
      { $set: { qty: 1 } },
      { upsert: true, returnDocument: 'after' },
    ).lean();
    assert.equal(created?.sku, 'fau');
    assert.equal(await Items.findOneAndUpdate({ sku: 'absent' }, { $set: { qty: 1 } }).lean(), null);
  });

  it('deletes one, many, and through findOneAndDelete', async () => {
    assert.equal((await Items.findOneAndDelete({ sku: 'fau' }).lean())?.sku, 'fau');
    assert.equal((await Items.deleteOne({ sku: { $in: ['o1', 'u1'] } })).deletedCount, 1);
    assert.equal((await Items.deleteMany({ sku: /^u\d$/ })).deletedCount, 2);
  });

  it('counts, estimates, and lists distinct values', async () => {
    const total = await Items.estimatedDocumentCount();
    assert.equal(await Items.countDocuments({}), total);
    assert.equal(await Items.countDocuments({ sku: /^s/ }, { skip: 5, limit: 10 }), 10);
    assert.deepEqual((await Items.distinct('tags', { sku: /^s0/ })).sort(), ['new', 'odd']);
  });

  it('aggregates with $match $group $sort $skip $limit $project $count', async () => {
    const grouped = await Items.aggregate([
      { $match: { sku: /^s/ } },
      { $group: { _id: { $mod: ['$qty', 3] }, total: { $sum: '$qty' }, n: { $sum: 1 } } },
      { $sort: { _id: 1 } },
      { $skip: 1 },
      { $limit: 1 },
      { $project: { _id: 0, bucket: '$_id', n: 1 } },
    ]);
    assert.deepEqual(grouped, [{ bucket: 1, n: 7 }]);
    assert.deepEqual(await Items.aggregate([{ $match: { qty: { $gt: 15 } } }, { $count: 'many' }]), [{ many: 4 }]);
  });

  it('takes the first documents in order for a $limit anywhere in the pipeline', async () => {
    const skus = (rows: Array<{ sku: string }>) => rows.map((row) => row.sku);
    const sorted = skus(await Items.aggregate([{ $match: { sku: /^s/ } }, { $sort: { qty: -1 } }]));
    assert.ok(sorted.length > 3);
    assert.deepEqual(
      skus(await Items.aggregate([{ $match: { sku: /^s/ } }, { $sort: { qty: -1 } }, { $limit: 3 }])),
      sorted.slice(0, 3),
    );
    assert.deepEqual(
      skus(await Items.aggregate([{ $match: { sku: /^s/ } }, { $sort: { qty: -1 } }, { $limit: 1000 }, { $limit: 2 }])),
      sorted.slice(0, 2),
    );
    assert.equal((await Items.aggregate([{ $limit: 2 }])).length, 2, 'a $limit first, with no $match');
  });

  it('iterates a large result in batches and closes a cursor early', async () => {
    await Items.insertMany(Array.from({ length: 350 }, (_, i) => ({ sku: `bulk${i}`, qty: 1000 + i })));
    let seen = 0;
    for await (const item of Items.find({ sku: /^bulk/ }).sort({ qty: 1 }).batchSize(40).lean()) {
      assert.equal(item.qty, 1000 + seen);
      seen++;
    }
    assert.equal(seen, 350);
    const cursor = mongo.connection.db!.collection('items').find({ sku: /^bulk/ }, { batchSize: 10 });
    await cursor.next();
    const openBefore = await openCursors();
    await cursor.close();
    assert.equal(cursor.killed, true);
    if (mongo.embedded) assert.equal(await openCursors(), openBefore - 1, 'killCursors released it on the server');
    await Items.insertMany([{ sku: 'late' }]);
  });
});
