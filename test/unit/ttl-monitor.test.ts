import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Storage } from '../../src/embedded-mongo/storage/storage.js';
import { TtlMonitor } from '../../src/embedded-mongo/storage/ttl-monitor.js';

interface LogEntry {
  level: string;
  message: string;
  details?: Record<string, unknown>;
}

describe('TTL monitor', () => {
  it('logs a sweep that fails on its timer, never leaves an unhandled rejection, and keeps sweeping', async () => {
    const storage = await Storage.open({ log: () => {} });
    // The failure has to come before the journal write, which the sweep already guards itself.
    storage.allCollections = () => {
      throw new Error('collections unreadable');
    };
    const logged: LogEntry[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const monitor = new TtlMonitor(storage, 10, (level, message, details) => logged.push({ level, message, details }));
    try {
      for (let waited = 0; logged.length < 2 && waited < 5_000; waited += 10) await sleep(10);
      await monitor.idle();
    } finally {
      monitor.stop();
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
    assert.ok(logged.length >= 2, `expected a log entry per failed sweep, got ${logged.length}`);
    assert.deepEqual(logged[0], {
      level: 'error',
      message: 'TTL sweep failed',
      details: { error: 'collections unreadable' },
    });
  });
});
