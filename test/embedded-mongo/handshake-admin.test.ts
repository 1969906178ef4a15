import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openMongoUnderTest, type MongoUnderTest } from '../support/mongo-under-test.js';

describe('handshake and admin commands', () => {
  let mongo: MongoUnderTest;
  before(async () => {
    mongo = await openMongoUnderTest();
  });
  after(() => mongo.close());
  const db = () => mongo.connection.db!;

  it('answers ping, hello and buildInfo as a writable primary the driver accepts', async () => {
    assert.equal((await db().command({ ping: 1 })).ok, 1);
    const hello = await db().command({ hello: 1 });
    assert.equal(hello.isWritablePrimary, true);
    assert.ok(hello.maxWireVersion >= 9);
    assert.equal(typeof hello.logicalSessionTimeoutMinutes, 'number');
    assert.match((await db().admin().buildInfo()).version as string, /^\d+\.\d+/);
    assert.equal((await db().admin().command({ endSessions: [] })).ok, 1);
  });

  it('counts each command and its failures in serverStatus().metrics.commands, as mongod does', async () => {
    const totals = async () => {
      const status = (await db().admin().command({ serverStatus: 1 })) as {
        metrics: { commands: Record<string, { total?: unknown; failed?: unknown } | undefined> };
      };
      const { find } = status.metrics.commands;
      return { total: Number(find?.total ?? 0), failed: Number(find?.failed ?? 0) };
    };
    const before = await totals();
    await db().collection('counted').findOne({});
    await db().collection('counted').findOne({});
    await assert.rejects(db().command({ find: 42 }));
    const after = await totals();
    assert.deepEqual(
      { total: after.total - before.total, failed: after.failed - before.failed },
      { total: 3, failed: 1 },
    );
  });

  it('fails an unknown command with code 59', async () => {
    await assert.rejects(db().command({ frobnicate: 1 }), (error: { code?: number }) => error.code === 59);
  });

  it('refuses transactions as a standalone mongod does (code 20)', async (t) => {
    if (!mongo.embedded)
      return t.diagnostic('real MongoDB may be a replica set that supports transactions: not asserted');
    await assert.rejects(
      db().command({
        insert: 'txn',
        documents: [{ a: 1 }],
        lsid: { id: new (await import('bson')).UUID() },
        txnNumber: 1,
        autocommit: false,
        startTransaction: true,
      }),
      isIllegalOperation,
    );
    const session = mongo.connection.getClient().startSession();
    await assert.rejects(
      session.withTransaction(() => db().collection('txn').insertOne({ a: 1 }, { session })),
      isIllegalOperation,
    );
    await session.endSession();
    assert.equal(await db().collection('txn').countDocuments(), 0);
  });

  it('creates, lists and drops collections and databases', async () => {
    await db().createCollection('alpha');
    await assert.rejects(
      db().createCollection('alpha', { capped: true, size: 1024 }),
      (error: { code?: number }) => error.code === 48,
    );
    await db().collection('beta').insertOne({ x: 1 });
    const names = (await db().listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    assert.deepEqual(
      names.filter((name) => name === 'alpha' || name === 'beta'),
      ['alpha', 'beta'],
    );
    assert.ok((await db().admin().listDatabases()).databases.some((database) => database.name === db().databaseName));
    assert.equal(await db().dropCollection('alpha'), true);
    assert.ok(!(await db().listCollections({ name: 'alpha' }).toArray()).length);
  });

  it('creates, lists and drops indexes with their options', async () => {
    const collection = db().collection('indexed');
    await collection.createIndex({ email: 1 }, { unique: true, name: 'email_1' });
    await collection.createIndex({ nick: 1 }, { unique: true, sparse: true });
    await collection.createIndex({ org: 1, name: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await collection.createIndex({ at: 1 }, { expireAfterSeconds: 3600 });
    const indexes = (await collection.listIndexes().toArray()) as Array<{
      name: string;
      unique?: boolean;
      sparse?: boolean;
      partialFilterExpression?: object;
      expireAfterSeconds?: number;
    }>;
    const byName = Object.fromEntries(indexes.map((index) => [index.name, index]));
    assert.deepEqual(Object.keys(byName).sort(), ['_id_', 'at_1', 'email_1', 'nick_1', 'org_1_name_1']);
    assert.equal(byName.email_1.unique, true);
    assert.equal(byName.nick_1.sparse, true);
    assert.deepEqual(byName.org_1_name_1.partialFilterExpression, { active: true });
    assert.equal(byName.at_1.expireAfterSeconds, 3600);
    await collection.dropIndex('nick_1');
    assert.ok(!(await collection.indexes()).some((index) => index.name === 'nick_1'));
    await assert.rejects(collection.dropIndex('nick_1'), (error: { code?: number }) => error.code === 27);
    await assert.rejects(
      db().collection('missing').listIndexes().toArray(),
      (error: { code?: number }) => error.code === 26,
    );
  });

  it('drops a database', async () => {
    await db().collection('gamma').insertOne({ y: 1 });
    await db().dropDatabase();
    assert.equal((await db().listCollections().toArray()).length, 0);
  });
});

/** Code 20; the driver re-wraps it for writes as "does not support retryable writes", keeping the original. */
function isIllegalOperation(error: { code?: number; originalError?: { code?: number } }): boolean {
  return error.code === 20 || error.originalError?.code === 20;
}
