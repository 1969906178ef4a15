import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARGON2_OPTIONS, PasswordHasher, WAITING_HASHES_PER_CORE } from '../../src/accounts/password-hasher.js';
import { AppError } from '../../src/errors.js';

// Small parameters keep the unit test fast; the service uses ARGON2_OPTIONS.
const FAST = { ...ARGON2_OPTIONS, memoryCost: 1024, timeCost: 1 };

describe('PasswordHasher', () => {
  it('uses OWASP’s argon2id setting by default (19 MiB, 2 iterations, 1 lane)', () => {
    assert.deepEqual(
      {
        memoryCost: ARGON2_OPTIONS.memoryCost,
        timeCost: ARGON2_OPTIONS.timeCost,
        parallelism: ARGON2_OPTIONS.parallelism,
      },
      { memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 },
    );
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hasher = new PasswordHasher(FAST);
    const hash = await hasher.hash('correct horse battery staple');
    assert.match(hash, /^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
    assert.equal(await hasher.verify(hash, 'correct horse battery staple'), true);
    assert.equal(await hasher.verify(hash, 'correct horse battery stapl'), false);
  });

  it('answers false for an unknown user, after verifying against its decoy', async () => {
    const hasher = new PasswordHasher(FAST);
    assert.equal(await hasher.verify(undefined, 'anything'), false);
  });

  it('runs at most `concurrency` hashes at once and queues the rest', async () => {
    const hasher = new PasswordHasher(FAST, 1);
    await hasher.verify(undefined, 'warm'); // the decoy is hashed first
    const hashes = Array.from({ length: 4 }, (_, i) => hasher.hash(`password ${i}`));
    await Promise.resolve();
    assert.equal(hasher.waiting, 3);
    const done = await Promise.all(hashes);
    assert.equal(new Set(done).size, 4);
    assert.equal(hasher.waiting, 0);
  });

  it('refuses at once with SERVICE_UNAVAILABLE when the queue is full, for a known and an unknown user alike', async () => {
    const hasher = new PasswordHasher(FAST, 1);
    const known = await hasher.hash('a password');
    const queued = Array.from({ length: 1 + WAITING_HASHES_PER_CORE }, (_, i) =>
      hasher.hash(`password ${i}`, '192.0.2.1'),
    );
    const busy = (error: unknown) =>
      error instanceof AppError && error.code === 'SERVICE_UNAVAILABLE' && error.extensions.retryAfterSeconds === 1;
    await assert.rejects(hasher.verify(known, 'a password', '192.0.2.1'), busy);
    await assert.rejects(hasher.verify(undefined, 'a password', '192.0.2.1'), busy);
    await Promise.all(queued);
  });
});
