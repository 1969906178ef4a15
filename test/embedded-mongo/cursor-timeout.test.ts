import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { openMongoUnderTest, type MongoUnderTest } from '../support/mongo-under-test.js';

describe('idle cursor timeout', () => {
  let mongo: MongoUnderTest;
  before(async () => {
    mongo = await openMongoUnderTest({ cursorTimeoutMs: 200 });
  });
  after(() => mongo.close());

  it('kills a cursor left idle past the timeout (code 43 on getMore), but not one in use', async (t) => {
    if (!mongo.embedded) return t.diagnostic("a real mongod's timeout is 10 minutes: embedded server only");
    const items = mongo.connection.db!.collection('items');
    await items.insertMany(Array.from({ length: 10 }, (_, i) => ({ i })));
    const busy = items.find({}, { batchSize: 1 }); // every next() is a getMore
    const idle = items.find({}, { batchSize: 2 });
    await busy.next();
    await idle.next();
    for (let step = 0; step < 4; step++) {
      await sleep(120);
      assert.ok(await busy.next(), 'a cursor used within the timeout stays open');
    }
    await assert.rejects(idle.toArray(), (error: { code?: number }) => error.code === 43);
    await busy.close();
  });
});
