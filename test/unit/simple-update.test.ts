import { ObjectId, type Document } from 'bson';
import { update } from 'mingo/updater';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applySimpleModifier } from '../../src/embedded-mongo/query/simple-update.js';
import { cloneDocument } from '../../src/embedded-mongo/storage/values.js';

const VALUES = [
  0,
  1,
  2.5,
  'x',
  null,
  true,
  new Date(5),
  new ObjectId('64b000000000000000000001'),
  { p: 1 },
  [1, 2],
  { q: { z: 1 } },
];
const PATHS = ['a', 'b', 'c', 'a.b', 'a.c', 'd.e', 'd.e.f', 'n'];

describe('simple updates', () => {
  it('leave the document as mingo would, fields in the same order, and report a change when mingo does', () => {
    let state = 7;
    const next = (n: number) => (state = (state * 1103515245 + 12345) % 2147483648) % n;
    const pick = <T>(list: readonly T[]): T => list[next(list.length)];
    let applied = 0;
    for (let i = 0; i < 5000; i++) {
      const document: Document = { _id: 1 };
      for (const field of ['a', 'b', 'd', 'n'])
        if (next(3)) document[field] = pick([...VALUES, { b: 1 }, { e: { f: 2 } }, 3]);
      const modifier: Record<string, Document> = {};
      for (let k = 0, n = 1 + next(3); k < n; k++) {
        const operator = pick(['$set', '$unset', '$inc']);
        modifier[operator] ??= {};
        modifier[operator][pick(PATHS)] =
          operator === '$inc' ? pick([1, -1, 0, 2.5]) : operator === '$unset' ? 1 : pick(VALUES);
      }
      const simple = cloneDocument(document);
      const changed = applySimpleModifier(simple, modifier);
      if (changed === undefined) {
        assert.deepEqual(simple, document, 'left untouched when it declines');
        continue;
      }
      applied++;
      const viaMingo = cloneDocument(document);
      const mingoChanged = update(viaMingo, modifier, undefined, {}, { cloneMode: 'deep' }).length > 0;
      const shown = `${JSON.stringify(document)} ${JSON.stringify(modifier)}`;
      assert.equal(changed, mingoChanged, shown);
      assert.equal(JSON.stringify(simple), JSON.stringify(viaMingo), shown);
    }
    assert.ok(applied > 1000, `only ${applied} applied`);
  });

  it('declines what it does not handle', () => {
    for (const modifier of [
      { $push: { a: 1 } },
      { $set: { 'a.$': 1 } },
      { $set: { a: 1, 'a.b': 2 } },
      { $inc: { s: 1 } },
      { $set: { 'arr.0': 1 } },
      { $set: {} },
    ]) {
      assert.equal(applySimpleModifier({ _id: 1, s: 'text', arr: [1] }, modifier), undefined, JSON.stringify(modifier));
    }
  });
});
