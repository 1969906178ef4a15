import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditEventModel, AuditEventType, type AuditEventModel } from '../../src/audit/audit-event.model.js';
import { applyAuditRetention, AUDIT_TTL_INDEX } from '../../src/audit/audit-retention.js';
import { openMongoUnderTest, type MongoUnderTest } from '../support/mongo-under-test.js';
import { startTestApp } from '../support/test-app.js';

const DAY_MS = 24 * 3600_000;
/** A real mongod sweeps every 60 s; the embedded server here every 100 ms. Only a guard against a hang, not a timing assertion. */
const SWEEP_GUARD_MS = 150_000;

const ttlIndexes = async (events: AuditEventModel) =>
  (await events.collection.indexes()).filter((index) => index.expireAfterSeconds !== undefined);

describe('audit events expire after AUDIT_RETENTION_DAYS', () => {
  let mongo: MongoUnderTest;
  let events: AuditEventModel;
  before(async () => {
    mongo = await openMongoUnderTest({ ttlMonitorIntervalMs: 100 });
    events = auditEventModel(mongo.connection);
    await events.init();
  });
  after(() => mongo.close());

  it('a started service keeps its audit events for the configured days (a TTL index on createdAt)', async () => {
    const app = await startTestApp({ AUDIT_RETENTION_DAYS: '7' });
    try {
      const indexes = await ttlIndexes(auditEventModel(app.database.connection));
      assert.deepEqual(
        indexes.map((index) => [index.name, index.key, index.expireAfterSeconds]),
        [[AUDIT_TTL_INDEX, { createdAt: 1 }, 7 * 86_400]],
      );
    } finally {
      await app.stop();
    }
  });

  it('an event older than the retention is removed; a younger one stays', async () => {
    await applyAuditRetention(events, 30);
    const now = Date.now();
    const [old, young] = await events.create([
      { type: AuditEventType.SIGN_IN_FAILED, createdAt: new Date(now - 31 * DAY_MS) },
      { type: AuditEventType.SIGN_IN_FAILED, createdAt: new Date(now - 29 * DAY_MS) },
    ]);
    const deadline = Date.now() + SWEEP_GUARD_MS;
    while (await events.exists({ _id: old._id })) {
      assert.ok(Date.now() < deadline, 'the expired event was never removed');
      await sleep(100);
    }
    assert.ok(await events.exists({ _id: young._id }));
  });

  it('a deployment whose index has another retention gets it changed, and one TTL index in all', async () => {
    await applyAuditRetention(events, 365);
    await applyAuditRetention(events, 90);
    assert.deepEqual(
      (await ttlIndexes(events)).map((index) => [index.name, index.expireAfterSeconds]),
      [[AUDIT_TTL_INDEX, 90 * 86_400]],
    );
    await Promise.all([applyAuditRetention(events, 120), applyAuditRetention(events, 120)]);
    assert.deepEqual(
      (await ttlIndexes(events)).map((index) => [index.name, index.expireAfterSeconds]),
      [[AUDIT_TTL_INDEX, 120 * 86_400]],
      'two processes starting together',
    );
  });
});
