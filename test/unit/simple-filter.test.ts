import { Long, ObjectId } from 'bson';
import { Query } from 'mingo';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { projectDocument } from '../../src/embedded-mongo/query/matcher.js';
import { compileSimpleFilter } from '../../src/embedded-mongo/query/simple-filter.js';

const id = new ObjectId();
const VALUES = [
  undefined,
  null,
  0,
  1,
  2,
  -0,
  1.5,
  NaN,
  'a',
  'b',
  '',
  true,
  false,
  id,
  new ObjectId(),
  new Date(1000),
  new Date(2000),
  [1, 2],
  [],
  [null],
  { x: 1 },
  { b: 1 },
  { b: [1] },
  { b: null },
  [{ b: 1 }],
];
const OPERANDS = [null, 0, 1, 2, 1.5, 'a', 'b', true, false, id, new Date(1000), new Date(2000)];

/** A small deterministic generator, so a failure names a reproducible filter. */
function generator(seed: number) {
  let state = seed;
  const next = (n: number) => (state = (state * 1103515245 + 12345) % 2147483648) % n;
  const pick = <T>(list: readonly T[]): T => list[next(list.length)];
  const condition = (): unknown => {
    switch (next(8)) {
      case 1:
        return { $eq: pick(OPERANDS) };
      case 2:
        return { $ne: pick(OPERANDS) };
      case 3:
        return { $in: [pick(OPERANDS), pick(OPERANDS)] };
      case 4:
        return { $nin: [pick(OPERANDS)] };
      case 5:
        return { $exists: next(2) === 0 };
      case 6:
        return { [pick(['$lt', '$lte', '$gt', '$gte'])]: pick(OPERANDS) };
      case 7:
        return { $gt: pick(OPERANDS), $lt: pick(OPERANDS) };
      default:
        return pick(OPERANDS);
    }
  };
  const filter = (depth = 0): Record<string, unknown> => {
    const built: Record<string, unknown> = {};
    for (let i = 0, n = 1 + next(2); i < n; i++) {
      if (next(8) === 0 && depth < 2) built[pick(['$or', '$and', '$nor'])] = [filter(depth + 1), filter(depth + 1)];
      else built[pick(['a', 'b', 'a.b', 'c'])] = condition();
    }
    return built;
  };
  const document = (n: number) => {
    const built: Record<string, unknown> = { _id: n };
    for (const field of ['a', 'b', 'c']) {
      const value = pick(VALUES);
      if (value !== undefined) built[field] = value;
    }
    return built;
  };
  return { filter, document };
}

describe('simple filters', () => {
  it('agree with mingo on scalars wherever they decide (and leave arrays on the path to it)', () => {
    const { filter, document } = generator(42);
    let decided = 0;
    for (let i = 0; i < 5000; i++) {
      const built = filter();
      const simple = compileSimpleFilter(built);
      if (!simple) continue;
      const query = new Query(built);
      for (let j = 0; j < 5; j++) {
        const doc = document(j);
        const verdict: boolean | undefined = simple(doc);
        if (verdict === undefined) continue;
        decided++;
        assert.equal(verdict, query.test(doc), `${JSON.stringify(built)} on ${JSON.stringify(doc)}`);
      }
    }
    assert.ok(decided > 10_000, `only ${decided} verdicts`);
  });

  it('compare numbers across BSON types, as mongod and the indexes do', () => {
    assert.equal(compileSimpleFilter({ n: 1 })!({ n: Long.fromNumber(1) }), true);
    assert.equal(compileSimpleFilter({ n: { $in: [Long.fromNumber(2)] } })!({ n: 2 }), true);
  });

  it('leave documents, arrays, regular expressions and unknown operators to mingo', () => {
    for (const filter of [
      { a: { b: 1 } },
      { a: [1] },
      { a: /x/ },
      { a: { $regex: 'x' } },
      { a: { $elemMatch: { b: 1 } } },
      { $where: 'true' },
      { a: { $size: 1 } },
      { $or: [] },
    ]) {
      assert.equal(compileSimpleFilter(filter), undefined, JSON.stringify(filter));
    }
  });
});

describe('simple projections', () => {
  const document = { _id: 1, a: 1, b: { c: 2 }, d: [1, 2] };
  it('keep the fields in document order, _id unless excluded', () => {
    assert.deepEqual(Object.keys(projectDocument(document, { d: 1, a: 1 })), ['_id', 'a', 'd']);
    assert.deepEqual(projectDocument(document, { _id: 0, b: true }), { b: { c: 2 } });
    assert.deepEqual(projectDocument(document, { a: 0, d: 0 }), { _id: 1, b: { c: 2 } });
    assert.deepEqual(projectDocument(document, { _id: 1 }), { _id: 1 });
  });
});
