import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AttemptBudget } from '../../src/accounts/attempt-budget.js';
import { MemoryAttemptCounts } from '../../src/accounts/memory-attempt-counts.js';

describe('MemoryAttemptCounts', () => {
  it('counts attempts per key and refuses beyond the budget, with the seconds left', () => {
    const counts = new MemoryAttemptCounts(2, 60, 10);
    assert.equal(counts.reserve('a'), undefined);
    assert.equal(counts.reserve('a'), undefined);
    const retryAfterSeconds = counts.reserve('a');
    assert.ok(
      retryAfterSeconds !== undefined && retryAfterSeconds >= 59 && retryAfterSeconds <= 60,
      String(retryAfterSeconds),
    );
    counts.refund('a');
    assert.equal(counts.reserve('a'), undefined, 'a refunded attempt can be used again');
    counts.clear('a');
    assert.equal(counts.reserve('a'), undefined);
  });

  it('holds at most maxKeys keys whatever the number of names asked for, forgetting the oldest windows first', () => {
    const counts = new MemoryAttemptCounts(1, 24 * 60 * 60, 1000);
    counts.reserve('newest-survives-0');
    for (let i = 0; i < 50_000; i++) counts.reserve(`guessed-name-${i}`);
    assert.equal(counts.keys, 1000);
    assert.equal(counts.reserve('guessed-name-0'), undefined, 'the oldest were forgotten');
    assert.notEqual(counts.reserve('guessed-name-49999'), undefined, 'the newest are still counted');
  });
});

describe('AttemptBudget while Redis is unreachable', () => {
  let deadRedis: Redis;
  before(() => {
    // Nothing listens on port 1: every command fails at once, as with a Redis that went away.
    deadRedis = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    deadRedis.on('error', () => undefined);
  });
  after(() => deadRedis.disconnect());

  it('still counts, per process, in bounded memory under a flood of attacker-chosen keys', async () => {
    const budget = new AttemptBudget({
      redis: deadRedis,
      options: {
        keyPrefix: 'unreachable',
        attempts: 3,
        windowSeconds: 60,
        maxFallbackKeys: 500,
      },
    });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await budget.reserve('victim'));
    assert.deepEqual(answers.slice(0, 3), [undefined, undefined, undefined]);
    assert.ok(answers[3]! >= 1, 'the fourth attempt is refused');
    for (let i = 0; i < 5_000; i++) await budget.reserve(randomBytes(32).toString('hex'));
    assert.equal(budget.fallbackKeys, 500);
  });
});
