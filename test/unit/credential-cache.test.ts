import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Types } from 'mongoose';
import { invalidationFor } from '../../src/sessions/cache-invalidation.js';
import type { AuthCacheMetrics } from '../../src/metrics/auth-cache-metrics.js';
import { CredentialCache } from '../../src/sessions/credential-cache.js';

const USER = 'a'.repeat(24);
const OTHER_USER = 'b'.repeat(24);
const owner = (recordId: string, userId = USER) => ({ userId, recordId });
const record = (n: number) => n.toString(16).padStart(24, '0');

function cache(options: { maxEntries?: number; maxAgeMs?: number } = {}) {
  let now = 0;
  const counted: string[] = [];
  const metrics: AuthCacheMetrics = {
    lookup: (kind, result) => counted.push(`${kind}:${result}`),
    invalidated: (source) => counted.push(`invalidated:${source}`),
    entries: () => {},
  };
  const subject = new CredentialCache({
    maxEntries: options.maxEntries ?? 100,
    maxAgeMs: options.maxAgeMs ?? 1000,
    metrics,
    now: () => now,
  });
  subject.setHealthy(true);
  return { subject, counted, advance: (ms: number) => (now += ms) };
}

describe('CredentialCache', () => {
  it('answers what it holds, and counts hits and misses', () => {
    const { subject, counted } = cache();
    assert.equal(subject.get('session', 'k'), undefined);
    subject.set('k', { v: 1 }, owner(record(1)), subject.ticket());
    assert.deepEqual(subject.get('session', 'k'), { v: 1 });
    assert.deepEqual(counted, ['session:miss', 'session:hit']);
  });

  it('is neither read nor filled while its channel is unhealthy, and comes back empty', () => {
    const { subject, counted } = cache();
    subject.set('k', 1, owner(record(1)), subject.ticket());
    subject.setHealthy(false);
    assert.equal(subject.get('api_key', 'k'), undefined);
    subject.set('k', 1, owner(record(1)), subject.ticket());
    subject.setHealthy(true);
    assert.equal(subject.get('api_key', 'k'), undefined, 'nothing from before, nothing filled while off');
    assert.deepEqual(counted, ['api_key:bypass', 'api_key:miss']);
  });

  it('never serves an entry older than maxAgeMs', () => {
    const { subject, advance } = cache({ maxAgeMs: 1000 });
    subject.set('k', 1, owner(record(1)), subject.ticket());
    advance(1000);
    assert.equal(subject.get('session', 'k'), 1);
    advance(1);
    assert.equal(subject.get('session', 'k'), undefined);
  });

  it('an update that does not refresh keeps the entry its age', () => {
    const { subject, advance } = cache({ maxAgeMs: 1000 });
    subject.set('k', 1, owner(record(1)), subject.ticket());
    advance(600);
    subject.set('k', 2, owner(record(1)), subject.ticket(), false);
    advance(600);
    assert.equal(subject.get('session', 'k'), undefined, 'still 1200 ms old');
  });

  it('drops the least recently used entry beyond maxEntries', () => {
    const { subject } = cache({ maxEntries: 2 });
    subject.set('a', 1, owner(record(1)), subject.ticket());
    subject.set('b', 2, owner(record(2)), subject.ticket());
    subject.get('session', 'a'); // now b is the least recently used
    subject.set('c', 3, owner(record(3)), subject.ticket());
    assert.deepEqual(
      ['a', 'b', 'c'].map((key) => subject.get('session', key)),
      [1, undefined, 3],
    );
    assert.equal(subject.size, 2);
  });

  it('invalidates every credential of a user, one credential by its record, or everything', () => {
    const { subject } = cache();
    const fill = () => {
      subject.set('s1', 1, owner(record(1)), subject.ticket());
      subject.set('k1', 2, owner(record(2)), subject.ticket());
      subject.set('s3', 3, owner(record(3), OTHER_USER), subject.ticket());
    };
    const held = () => ['s1', 'k1', 's3'].map((key) => subject.get('session', key));
    fill();
    subject.invalidate({ userIds: [USER], recordIds: [] }, 'remote');
    assert.deepEqual(held(), [undefined, undefined, 3]);
    fill();
    subject.invalidate({ userIds: [], recordIds: [record(2)] }, 'local');
    assert.deepEqual(held(), [1, undefined, 3]);
    subject.invalidate({ all: true }, 'remote');
    assert.deepEqual(held(), [undefined, undefined, undefined]);
  });

  it('a read that began before an invalidation of its user or record does not fill; one of someone else does', () => {
    const { subject } = cache();
    const before = subject.ticket();
    subject.invalidate({ userIds: [USER], recordIds: [] }, 'remote');
    subject.set('s1', 'stale', owner(record(1)), before);
    assert.equal(subject.get('session', 's1'), undefined, 'the read may have seen the state before the change');
    subject.set('s3', 'fine', owner(record(3), OTHER_USER), before);
    assert.equal(subject.get('session', 's3'), 'fine');
    const beforeRecord = subject.ticket();
    subject.invalidate({ userIds: [], recordIds: [record(4)] }, 'remote');
    subject.set('s4', 'stale', owner(record(4)), beforeRecord);
    assert.equal(subject.get('session', 's4'), undefined);
    const beforeAll = subject.ticket();
    subject.invalidate({ all: true }, 'remote');
    subject.set('s5', 'stale', owner(record(5), OTHER_USER), beforeAll);
    assert.equal(subject.get('session', 's5'), undefined);
    subject.set('s5', 'fresh', owner(record(5), OTHER_USER), subject.ticket());
    assert.equal(subject.get('session', 's5'), 'fresh');
  });

  it('lookup: answers from memory while usable, reads again when the held value is not, and keeps no unusable one', async () => {
    const { subject } = cache();
    let reads = 0;
    let stored = { live: true, version: 1 };
    const source = {
      read: async () => {
        reads++;
        return stored;
      },
      usable: (value: { live: boolean }) => value.live,
      owner: () => owner(record(1)),
    };
    assert.equal((await subject.lookup('session', 'k', source))?.value.version, 1);
    assert.equal((await subject.lookup('session', 'k', source))?.value.version, 1);
    assert.equal(reads, 1, 'the second from memory');
    subject.set('k', { live: false, version: 1 }, owner(record(1)), subject.ticket());
    stored = { live: true, version: 2 };
    assert.equal((await subject.lookup('session', 'k', source))?.value.version, 2, 'not usable in memory: read again');
    stored = { live: false, version: 3 };
    subject.invalidate({ userIds: [USER], recordIds: [] }, 'remote');
    assert.equal(await subject.lookup('session', 'k', source), undefined);
    assert.equal(await subject.lookup('session', 'k', source), undefined);
    assert.equal(reads, 4, 'an unusable answer is not kept');
  });

  it('with AUTH_CACHE_ENTRIES 0 it is off even when healthy', () => {
    const { subject } = cache({ maxEntries: 0 });
    subject.set('k', 1, owner(record(1)), subject.ticket());
    assert.equal(subject.enabled, false);
    assert.equal(subject.get('session', 'k'), undefined);
  });
});

describe('invalidationFor: what a write makes stale, read from its filter', () => {
  const id = new Types.ObjectId();
  const hex = id.toHexString();
  it('names users by _id for users, by userId for sessions and API keys', () => {
    assert.deepEqual(invalidationFor({ model: 'User', filter: { _id: id, role: 'USER' } }), {
      userIds: [hex],
      recordIds: [],
    });
    assert.deepEqual(
      invalidationFor({ model: 'Session', filter: { userId: id, _id: { $ne: new Types.ObjectId() } } }),
      {
        userIds: [hex],
        recordIds: [],
      },
    );
    assert.deepEqual(invalidationFor({ model: 'ApiKey', filter: { userId: { $eq: hex } } }), {
      userIds: [hex],
      recordIds: [],
    });
  });

  it('names sessions and keys by _id, one or $in', () => {
    const other = new Types.ObjectId();
    assert.deepEqual(invalidationFor({ model: 'Session', filter: { _id: { $in: [id, other] } } }), {
      userIds: [],
      recordIds: [hex, other.toHexString()],
    });
    assert.deepEqual(invalidationFor({ model: 'ApiKey', filter: { _id: id, revokedAt: { $exists: false } } }), {
      userIds: [],
      recordIds: [hex],
    });
  });

  it('invalidates everything for any filter it cannot read, and ignores collections it does not cache', () => {
    for (const filter of [
      {},
      { secondFactorWaiver: 'enrollment_grace' },
      { _id: { $gt: id } },
      { _id: { $in: [id, 'not an id'] } },
      { userId: { $exists: true } },
    ])
      assert.deepEqual(invalidationFor({ model: 'Session', filter }), { all: true }, JSON.stringify(filter));
    assert.deepEqual(invalidationFor({ model: 'User', filter: { usernameKey: 'alice' } }), { all: true });
    assert.deepEqual(invalidationFor({ model: 'User', filter: { userId: id } }), { all: true }, 'users by _id only');
    assert.equal(invalidationFor({ model: 'Factor', filter: { userId: id } }), undefined);
  });
});
