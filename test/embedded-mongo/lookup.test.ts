import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { after, before, describe, it } from 'node:test';
import { openMongoUnderTest, type MongoUnderTest } from '../support/mongo-under-test.js';

/** $lookup's equality, whether the embedded server answers it through indexes (plain scalar local values) or through mingo. */
describe('aggregate $lookup', () => {
  let mongo: MongoUnderTest;
  const alice = new ObjectId();
  const bob = new ObjectId();
  const db = () => mongo.connection.db!;
  const lookupUser = { $lookup: { from: 'people', localField: 'owner', foreignField: '_id', as: 'person' } };
  /** Names of the people whose `teams` hold the token's `team`, as $lookup finds them. */
  const teamMembers = async (tokenId: string) => {
    const [token] = await db()
      .collection('tokens')
      .aggregate([
        { $match: { _id: tokenId } },
        { $lookup: { from: 'people', localField: 'team', foreignField: 'teams', as: 'members' } },
      ])
      .toArray();
    return (token.members as Array<{ name: string }>).map((member) => member.name).sort();
  };

  before(async () => {
    mongo = await openMongoUnderTest();
    await db()
      .collection('people')
      .insertMany([
        { _id: alice, name: 'alice', teams: ['red', 'blue'] },
        { _id: bob, name: 'bob', teams: 'blue' },
        { _id: new ObjectId(), name: 'nobody' },
      ]);
    await db().collection('people').createIndex({ teams: 1 });
    await db()
      .collection('tokens')
      .insertMany([
        { _id: 't1' as never, owner: alice, team: 'red' },
        { _id: 't2' as never, owner: bob, team: 'blue' },
        { _id: 't3' as never, owner: new ObjectId(), team: 'green' },
        { _id: 't4' as never, team: ['red', 'green'] },
      ]);
  });
  after(() => mongo.close());

  it('joins by _id for a $match on one document, as session → user sign-in does', async () => {
    const [joined] = await db()
      .collection('tokens')
      .aggregate([{ $match: { _id: 't1' } }, { $limit: 1 }, lookupUser])
      .toArray();
    assert.deepEqual(joined, {
      _id: 't1',
      owner: alice,
      team: 'red',
      person: [{ _id: alice, name: 'alice', teams: ['red', 'blue'] }],
    });
  });

  it('gives an empty array when nothing matches, and keeps the stages after it working', async () => {
    const rows = await db()
      .collection('tokens')
      .aggregate([
        { $match: { _id: { $in: ['t1', 't3'] } } },
        lookupUser,
        { $project: { _id: 1, people: { $size: '$person' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    assert.deepEqual(rows, [
      { _id: 't1', people: 1 },
      { _id: 't3', people: 0 },
    ]);
  });

  it('matches a foreign array field that contains the local value', async () => {
    assert.deepEqual(await teamMembers('t1'), ['alice']);
    assert.deepEqual(await teamMembers('t2'), ['alice', 'bob']);
  });

  it('matches any element of a local array, and treats a missing local field as null', async () => {
    assert.deepEqual(await teamMembers('t4'), ['alice']);
    const [ownerless] = await db()
      .collection('tokens')
      .aggregate<{ matches: unknown[] }>([
        { $match: { _id: 't4' } },
        { $lookup: { from: 'people', localField: 'owner', foreignField: 'missing', as: 'matches' } },
      ])
      .toArray();
    assert.equal(ownerless.matches.length, 3, 'a missing local field matches documents without the foreign field');
  });

  it('leaves the stored documents untouched when later stages change the joined ones', async () => {
    await db()
      .collection('tokens')
      .aggregate([
        { $match: { _id: 't1' } },
        lookupUser,
        { $unwind: '$person' },
        { $set: { 'person.name': 'changed' } },
      ])
      .toArray();
    assert.equal((await db().collection('people').findOne({ _id: alice }))?.name, 'alice');
  });

  it('runs the stages before a $lookup first, whatever they are', async () => {
    const tokens = db().collection('tokens');
    const names = (rows: Array<{ person: Array<{ name: string }> }>) =>
      rows.map((row) => row.person.map((person) => person.name).join());
    assert.deepEqual(
      names(
        (await tokens
          .aggregate([{ $match: { _id: { $in: ['t1', 't2'] } } }, { $sort: { _id: -1 } }, { $limit: 1 }, lookupUser])
          .toArray()) as never,
      ),
      ['bob'],
    );
    const [projected] = await tokens
      .aggregate([{ $match: { _id: 't1' } }, { $project: { team: 0 } }, lookupUser])
      .toArray();
    assert.equal('team' in projected, false);
    const [moved] = await tokens
      .aggregate<{ person: Array<{ name: string }> }>([{ $match: { _id: 't1' } }, { $set: { owner: bob } }, lookupUser])
      .toArray();
    assert.equal(moved.person[0].name, 'bob');
    const grouped = await tokens
      .aggregate([
        { $match: { owner: { $exists: true } } },
        { $group: { _id: null, owner: { $first: '$owner' } } },
        lookupUser,
      ])
      .toArray();
    assert.equal(grouped.length, 1);
  });

  it('leaves the stored documents untouched when a later $project excludes nested fields, through either $lookup', async () => {
    await db()
      .collection('people')
      .updateOne({ _id: bob }, { $set: { profile: { city: 'Bern', zip: '3000' } } });
    await db()
      .collection('tokens')
      .updateOne({ _id: 't2' as never }, { $set: { meta: { a: 1, b: 2 } } });
    const indexed = { $lookup: { from: 'people', localField: 'owner', foreignField: '_id', as: 'person' } };
    const throughMingo = { $lookup: { from: 'people', localField: 'owner', foreignField: 'name', as: 'person' } }; // `name` has no index
    for (const lookup of [indexed, throughMingo]) {
      await db()
        .collection('tokens')
        .aggregate([{ $match: { _id: 't2' } }, lookup, { $project: { 'meta.a': 0, 'person.profile.city': 0 } }])
        .toArray();
      assert.deepEqual(
        (
          await db()
            .collection('tokens')
            .findOne({ _id: 't2' as never })
        )?.meta,
        { a: 1, b: 2 },
      );
      assert.deepEqual((await db().collection('people').findOne({ _id: bob }))?.profile, { city: 'Bern', zip: '3000' });
    }
  });

  describe('with localField, foreignField and $match stages (MongoDB 5.0’s concise form)', () => {
    const owner = new ObjectId();
    const stranger = new ObjectId();
    const scannedObjects = async () =>
      Number(
        (
          (await db().admin().command({ serverStatus: 1 })) as {
            metrics: { queryExecutor: { scannedObjects: number } };
          }
        ).metrics.queryExecutor.scannedObjects,
      );
    const keysOf = (owned: Array<{ key: string }>) => owned.map((item) => item.key).sort();
    const joined = async (pipeline: unknown[], token = 'k1') => {
      const [found] = await db()
        .collection('keyTokens')
        .aggregate<{ owned: Array<{ key: string }> }>([
          { $match: { _id: token } },
          { $lookup: { from: 'keys', localField: 'owner', foreignField: 'owner', pipeline, as: 'owned' } },
        ])
        .toArray();
      return keysOf(found.owned);
    };

    before(async () => {
      await db()
        .collection('keys')
        .insertMany([
          { owner, status: 'ACTIVE', key: 'a' },
          { owner, status: 'ACTIVE', key: 'b' },
          { owner, status: 'PENDING', key: 'c' },
          { owner: stranger, status: 'ACTIVE', key: 'd' },
          ...Array.from({ length: 50 }, (_, i) => ({ owner: new ObjectId(), status: 'ACTIVE', key: `x${i}` })),
        ]);
      await db().collection('keys').createIndex({ owner: 1, status: 1 });
      await db()
        .collection('keyTokens')
        .insertMany([
          { _id: 'k1' as never, owner },
          { _id: 'k2' as never, owner: [owner, stranger] },
          { _id: 'k3' as never },
        ]);
    });

    it('joins only the documents of the local value that pass every $match', async () => {
      assert.deepEqual(await joined([{ $match: { status: 'ACTIVE' } }]), ['a', 'b']);
      assert.deepEqual(await joined([{ $match: { status: 'ACTIVE' } }, { $match: { key: { $ne: 'a' } } }]), ['b']);
      assert.deepEqual(await joined([]), ['a', 'b', 'c'], 'an empty pipeline is the plain equality join');
      assert.deepEqual(await joined([{ $match: { owner: stranger } }]), [], 'a $match on the joined field narrows it');
      assert.deepEqual(await joined([{ $match: { status: 'ACTIVE' } }], 'k2'), ['a', 'b', 'd'], 'a local array');
      assert.deepEqual(await joined([{ $match: { status: 'ACTIVE' } }], 'k3'), [], 'a missing local field');
    });

    it('is answered through an index over the joined field and the matched one, not by a scan', async () => {
      const before = await scannedObjects();
      assert.deepEqual(await joined([{ $match: { status: 'ACTIVE' } }]), ['a', 'b']);
      const examined = (await scannedObjects()) - before;
      // The token and the two keys the index gives; a scan of `keys` would examine all 54.
      if (mongo.embedded) assert.ok(examined <= 3, `examined ${examined}`);
    });

    it('refuses other stages in the pipeline on the embedded server rather than answer wrongly', async () => {
      const withProject = joined([{ $match: { status: 'ACTIVE' } }, { $project: { key: 1 } }]);
      if (mongo.embedded)
        await assert.rejects(
          withProject,
          (error: Error & { codeName?: string }) => error.codeName === 'IllegalOperation',
        );
      else assert.deepEqual(await withProject, ['a', 'b'], 'a real MongoDB runs them');
    });
  });
});
