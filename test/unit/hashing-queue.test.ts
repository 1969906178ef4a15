import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HashingQueue, HashingQueueFull } from '../../src/accounts/hashing-queue.js';

/** A task that runs until `release()`, and records its name in `log` when it starts. */
function gated(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { task: () => (log.push(name), done.then(() => name)), release: () => release() };
}

describe('HashingQueue', () => {
  it('runs `concurrency` tasks at once and refuses at once what would wait beyond the bound', async () => {
    const queue = new HashingQueue(1, 2);
    const log: string[] = [];
    const first = gated(log, 'a1');
    const results = [queue.run('a', first.task), queue.run('a', async () => 'a2'), queue.run('a', async () => 'a3')];
    await assert.rejects(
      queue.run('a', async () => 'a4'),
      HashingQueueFull,
    );
    assert.equal(queue.waitingTasks, 2);
    first.release();
    assert.deepEqual(await Promise.all(results), ['a1', 'a2', 'a3']);
  });

  it('takes waiting tasks round robin between owners, so a quiet owner does not wait behind a backlog', async () => {
    const queue = new HashingQueue(1, 10);
    const log: string[] = [];
    const blocker = gated(log, 'flood-0');
    const all = [queue.run('flood', blocker.task)];
    for (let i = 1; i <= 5; i++) all.push(queue.run('flood', async () => (log.push(`flood-${i}`), `flood-${i}`)));
    all.push(queue.run('quiet', async () => (log.push('quiet'), 'quiet')));
    blocker.release();
    await Promise.all(all);
    assert.deepEqual(log.slice(0, 3), ['flood-0', 'flood-1', 'quiet']);
  });

  it('when full, makes room for an owner holding fewer places by refusing the newest task of the owner holding the most', async () => {
    const queue = new HashingQueue(1, 3);
    const log: string[] = [];
    const blocker = gated(log, 'flood-0');
    const flood = [
      queue.run('flood', blocker.task),
      ...[1, 2, 3].map((i) => queue.run('flood', async () => `flood-${i}`)),
    ];
    const quiet = queue.run('quiet', async () => 'quiet');
    await assert.rejects(flood[3], HashingQueueFull);
    await assert.rejects(
      queue.run('flood', async () => 'flood-4'),
      HashingQueueFull,
      'the flood does not take its place back',
    );
    blocker.release();
    assert.equal(await quiet, 'quiet');
    assert.deepEqual(await Promise.all(flood.slice(0, 3)), ['flood-0', 'flood-1', 'flood-2']);
  });

  it('refuses newcomers from a stream of fresh owners rather than evicting the tasks about to run, so the first queued still runs first', async () => {
    const queue = new HashingQueue(1, 4);
    const log: string[] = [];
    const blocker = gated(log, 'blocker');
    const running = queue.run('blocker', blocker.task);
    const waiting = ['legit', 'b', 'c', 'd'].map((owner) => queue.run(owner, async () => (log.push(owner), owner)));
    // A botnet, or one client rotating through its /64s: each request from an owner the queue has not seen.
    for (let i = 0; i < 20; i++)
      await assert.rejects(
        queue.run(`fresh-${i}`, async () => `fresh-${i}`),
        HashingQueueFull,
      );
    blocker.release();
    assert.deepEqual(await Promise.all([running, ...waiting]), ['blocker', 'legit', 'b', 'c', 'd']);
    assert.deepEqual(log, ['blocker', 'legit', 'b', 'c', 'd']);
  });

  it('among owners holding the most places, takes the place from the one that joined the round last', async () => {
    const queue = new HashingQueue(1, 4);
    const log: string[] = [];
    const blocker = gated(log, 'blocker');
    const running = queue.run('blocker', blocker.task);
    const early = [1, 2].map((i) => queue.run('early', async () => `early-${i}`));
    const late = [1, 2].map((i) => queue.run('late', async () => `late-${i}`));
    const newcomer = queue.run('newcomer', async () => 'newcomer');
    await assert.rejects(late[1], HashingQueueFull);
    blocker.release();
    assert.deepEqual(await Promise.all([running, ...early, late[0], newcomer]), [
      'blocker',
      'early-1',
      'early-2',
      'late-1',
      'newcomer',
    ]);
  });
});
