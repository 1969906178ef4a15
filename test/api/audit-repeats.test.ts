import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { auditEventModel, AuditEventType, type AuditEventModel } from '../../src/audit/audit-event.model.js';
import { AuditService } from '../../src/audit/audit.service.js';
import { createLogger } from '../../src/logger.js';
import { openMongoUnderTest, type MongoUnderTest } from '../support/mongo-under-test.js';

type Update = Record<string, unknown>;

/**
 * Holds the model's `updateOne` writes that `which` picks until `release`:
 * the database answering late, at the moment the race needs.
 */
function holdWrites(events: AuditEventModel, which: (update: Update) => boolean) {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the original, called below with the model as `this`
  const updateOne = events.updateOne;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  events.updateOne = function (this: AuditEventModel, ...args: Parameters<AuditEventModel['updateOne']>) {
    const query = updateOne.apply(this, args);
    if (which(args[1] as Update)) {
      const exec = query.exec.bind(query);
      query.exec = async () => {
        await gate;
        return exec();
      };
    }
    return query;
  } as AuditEventModel['updateOne'];
  return () => {
    events.updateOne = updateOne;
    open();
  };
}

const isFirstWrite = (update: Update) => '$setOnInsert' in update;

describe('repeated refusals are all counted, however the writes interleave', () => {
  let mongo: MongoUnderTest;
  let events: AuditEventModel;
  let audit: AuditService;
  let keys = 0;
  const refusal = () => ({ type: AuditEventType.SIGN_IN_THROTTLED, key: `203.0.113.${keys}` });
  const counted = async (key: string) =>
    (await events.findOne({ bucket: new RegExp(`\\|${key.replaceAll('.', '\\.')}\\|`) }).lean())?.details?.count;

  before(async () => {
    mongo = await openMongoUnderTest();
    events = auditEventModel(mongo.connection);
    await events.init();
    audit = new AuditService({ models: { auditEvents: events }, logger: createLogger({ level: 'silent' }) });
  });
  after(() => mongo.close());

  it('a flush while the event’s first write is still in flight adds its repeats once that write lands', async () => {
    keys += 1;
    const release = holdWrites(events, isFirstWrite);
    const first = audit.recordRepeated(refusal());
    await audit.recordRepeated(refusal());
    await audit.recordRepeated(refusal());
    const flushed = audit.flush(); // the 1-second timer firing before the database answered the first write
    release();
    await Promise.all([first, flushed]);
    assert.equal(await counted(refusal().key), 3);
  });

  it('the shutdown flush waits for a timer flush that is still writing', async () => {
    keys += 1;
    await audit.recordRepeated(refusal());
    await audit.recordRepeated(refusal());
    await audit.recordRepeated(refusal());
    const release = holdWrites(events, (update) => !isFirstWrite(update));
    void audit.flush(); // the timer's flush: it took the repeats and is writing them
    let shutDown = false;
    const shutdown = audit.flush().then(() => (shutDown = true));
    for (let turn = 0; turn < 5; turn += 1) await nextTurn();
    assert.equal(shutDown, false, 'the database must not close under the running flush');
    release();
    await shutdown;
    assert.equal(await counted(refusal().key), 3);
  });
});
