import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoServerError } from 'mongodb';
import { openMongoUnderTest, type MongoUnderTest } from '../support/mongo-under-test.js';
import { rejectionOf } from '../support/rejection.js';

const isDuplicate = (error: { code?: number }) => error.code === 11000;

describe('unique indexes and duplicate key errors', () => {
  let mongo: MongoUnderTest;
  before(async () => {
    mongo = await openMongoUnderTest();
  });
  after(() => mongo.close());
  const collection = (name: string) => mongo.connection.db!.collection(name);

  it('enforces a single-field index with keyPattern and keyValue on insert and update', async () => {
    const users = collection('users');
    await users.createIndex({ email: 1 }, { unique: true });
    await users.insertMany([{ email: 'a@x' }, { email: 'b@x' }]);
    const onInsert = await rejectionOf(users.insertOne({ email: 'a@x' }), MongoServerError);
    assert.equal(onInsert.code, 11000);
    assert.match(onInsert.message, /E11000 duplicate key error collection: .*users index: email_1 dup key/);
    assert.deepEqual(onInsert.keyPattern, { email: 1 });
    assert.deepEqual(onInsert.keyValue, { email: 'a@x' });
    const onUpdate = await rejectionOf(users.updateOne({ email: 'b@x' }, { $set: { email: 'a@x' } }), MongoServerError);
    assert.equal(onUpdate.code, 11000);
    assert.deepEqual(onUpdate.keyValue, { email: 'a@x' });
    const onFindAndModify = await rejectionOf(
      users.findOneAndUpdate({ email: 'b@x' }, { $set: { email: 'a@x' } }),
      MongoServerError,
    );
    assert.equal(onFindAndModify.code, 11000);
    assert.equal(await users.countDocuments({ email: 'a@x' }), 1);
    assert.equal(await users.countDocuments({ email: 'b@x' }), 1, 'the failed updates changed nothing');
  });

  it('treats a missing field as null on a non-sparse unique index', async () => {
    const plain = collection('plain');
    await plain.createIndex({ nick: 1 }, { unique: true });
    await plain.insertOne({ other: 1 });
    await assert.rejects(plain.insertOne({ other: 2 }), isDuplicate);
    await assert.rejects(plain.insertOne({ nick: null }), isDuplicate);
  });

  it('lets a sparse unique index skip documents without the field', async () => {
    const sparse = collection('sparse');
    await sparse.createIndex({ nick: 1 }, { unique: true, sparse: true });
    await sparse.insertMany([{ other: 1 }, { other: 2 }, { nick: 'n' }]);
    await assert.rejects(sparse.insertOne({ nick: 'n' }), isDuplicate);
  });

  it('scopes a partial unique index to its filter', async () => {
    const partial = collection('partial');
    await partial.createIndex({ name: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await partial.insertMany([
      { name: 'x', active: false },
      { name: 'x', active: false },
      { name: 'x', active: true },
    ]);
    await assert.rejects(partial.insertOne({ name: 'x', active: true }), isDuplicate);
    await assert.rejects(partial.updateOne({ active: false }, { $set: { active: true } }), isDuplicate);
  });

  it('enforces compound keys as a whole', async () => {
    const compound = collection('compound');
    await compound.createIndex({ org: 1, name: 1 }, { unique: true });
    await compound.insertMany([
      { org: 1, name: 'a' },
      { org: 1, name: 'b' },
      { org: 2, name: 'a' },
    ]);
    const error = await rejectionOf(compound.insertOne({ org: 1, name: 'a' }), MongoServerError);
    assert.equal(error.code, 11000);
    assert.deepEqual(error.keyPattern, { org: 1, name: 1 });
    assert.deepEqual(error.keyValue, { org: 1, name: 'a' });
    assert.equal((await compound.findOne({ org: 2, name: 'a' }))?.org, 2, 'lookups by the whole key find the document');
  });

  it('compares numbers by value, as mongod does', async () => {
    const numbers = collection('numbers');
    await numbers.createIndex({ n: 1 }, { unique: true });
    await numbers.insertOne({ n: 1 });
    await assert.rejects(numbers.insertOne({ n: 1.0 }), isDuplicate);
    await numbers.insertOne({ n: '1' });
  });

  it('refuses to build a unique index over existing duplicates', async () => {
    const dupes = collection('dupes');
    await dupes.insertMany([{ k: 1 }, { k: 1 }]);
    await assert.rejects(dupes.createIndex({ k: 1 }, { unique: true }), isDuplicate);
    assert.ok(!(await dupes.indexes()).some((index) => index.name === 'k_1'));
  });

  it('lets exactly one of 50 parallel inserts of one key win', async () => {
    const race = collection('race');
    await race.createIndex({ key: 1 }, { unique: true });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => race.insertOne({ key: 'same', attempt: i })),
    );
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    assert.equal(await race.countDocuments({ key: 'same' }), 1);
  });

  it('applies exactly one of 50 parallel conditional updates', async () => {
    const counters = collection('counters');
    const { insertedId } = await counters.insertOne({ n: 0 });
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        counters.findOneAndUpdate({ _id: insertedId, n: { $lt: 1 } }, { $inc: { n: 1 } }, { returnDocument: 'after' }),
      ),
    );
    assert.equal(results.filter((doc) => doc !== null).length, 1);
    assert.equal((await counters.findOne({ _id: insertedId }))?.n, 1);
  });
});
