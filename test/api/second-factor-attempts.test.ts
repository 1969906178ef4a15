import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Types } from 'mongoose';
import { userModel, type UserModel } from '../../src/accounts/user.model.js';
import { MAX_CONSECUTIVE_FAILURES, SecondFactorAttempts } from '../../src/mfa/second-factor-attempts.js';
import { openMongoUnderTest, type MongoUnderTest } from '../support/mongo-under-test.js';

// An attempt the server could not check (a key it lacks) is given back; it must never give back another request's attempt.
describe('giving back a second-factor attempt the server could not check', () => {
  let mongo: MongoUnderTest;
  let users: UserModel;
  let attempts: SecondFactorAttempts;
  const now = new Date();
  const newUser = async () => {
    const _id = new Types.ObjectId();
    await users.collection.insertOne({
      _id,
      usernameKey: `u${_id.toHexString()}`,
      secondFactorFailures: 0,
      secondFactorLockouts: 0,
    });
    return _id;
  };
  const failures = async (userId: Types.ObjectId) => (await users.findById(userId).lean())!.secondFactorFailures;

  before(async () => {
    mongo = await openMongoUnderTest();
    users = userModel(mongo.connection);
    attempts = new SecondFactorAttempts({ models: { users } });
  });
  after(() => mongo.close());

  it('takes back only its own attempt while others are counted beside it', async () => {
    const userId = await newUser();
    const unchecked = await attempts.reserve(userId, now);
    await attempts.reserve(userId, now);
    await attempts.release(unchecked);
    assert.equal(await failures(userId), 1, "the other request's attempt stays counted");
  });

  it('takes back nothing after a success started the count over and another request reserved since', async () => {
    const userId = await newUser();
    const unchecked = await attempts.reserve(userId, now);
    await attempts.succeeded(userId); // a parallel request with the right code
    await attempts.reserve(userId, now); // and a guess after it
    await attempts.release(unchecked);
    assert.equal(await failures(userId), 1, 'the guess is still counted');
  });

  it('takes back nothing after a lockout started the count over, once it is over', async () => {
    const userId = await newUser();
    const unchecked = await attempts.reserve(userId, now);
    for (let attempt = 2; attempt < MAX_CONSECUTIVE_FAILURES; attempt += 1) await attempts.reserve(userId, now);
    const filled = await attempts.reserve(userId, now);
    const seconds = await attempts.failed(filled, now);
    assert.ok(seconds);
    const later = new Date(now.getTime() + seconds * 1000);
    await attempts.reserve(userId, later);
    await attempts.release(unchecked);
    assert.equal(await failures(userId), 1, 'the guess after the lockout is still counted');
  });
});
