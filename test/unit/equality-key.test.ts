import { Binary, Code, DBRef, Decimal128, Long, ObjectId, Timestamp } from 'bson';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { equalityKey, valuesAtPath } from '../../src/embedded-mongo/storage/values.js';

describe('equalityKey', () => {
  it('equates numbers by value across BSON numeric types', () => {
    const one = equalityKey(1);
    for (const same of [1.0, Long.fromNumber(1), Decimal128.fromString('1'), -0 + 1])
      assert.equal(equalityKey(same), one);
    assert.equal(equalityKey(-0), equalityKey(0));
    assert.notEqual(equalityKey('1'), one);
    assert.notEqual(equalityKey(Long.fromString('9007199254740993')), equalityKey(9007199254740992));
  });

  it('equates null and missing, and nothing else with them', () => {
    assert.equal(equalityKey(null), equalityKey(undefined));
    for (const other of [0, '', false, [], {}]) assert.notEqual(equalityKey(other), equalityKey(null));
  });

  it('distinguishes types that print alike', () => {
    const id = new ObjectId();
    assert.notEqual(equalityKey(id), equalityKey(id.toHexString()));
    assert.notEqual(equalityKey(new Date(5)), equalityKey(5));
    assert.notEqual(equalityKey(new Binary(Buffer.from('a'), 0)), equalityKey(new Binary(Buffer.from('a'), 4)));
    assert.notEqual(equalityKey(['a', 'b']), equalityKey('a,b'));
    assert.notEqual(equalityKey(new Code('a = 1')), equalityKey(new Code('b = 2')));
    assert.notEqual(equalityKey(new DBRef('users', new ObjectId())), equalityKey(new DBRef('users', new ObjectId())));
    assert.notEqual(equalityKey(new Timestamp({ t: 1, i: 1 })), equalityKey(new Timestamp({ t: 1, i: 2 })));
    assert.equal(equalityKey(new Code('a = 1')), equalityKey(new Code('a = 1')));
  });

  it('compares embedded documents field by field, in order', () => {
    assert.equal(equalityKey({ a: 1, b: 2 }), equalityKey({ a: 1.0, b: Long.fromNumber(2) }));
    assert.notEqual(equalityKey({ a: 1, b: 2 }), equalityKey({ b: 2, a: 1 }));
  });
});

describe('valuesAtPath', () => {
  it('descends into arrays as multikey indexes do', () => {
    const document = { tags: ['a', 'b'], items: [{ sku: 'x' }, { sku: 'y' }, { other: 1 }], nested: { deep: 3 } };
    assert.deepEqual(valuesAtPath(document, 'tags'), ['a', 'b']);
    assert.deepEqual(valuesAtPath(document, 'items.sku'), ['x', 'y']);
    assert.deepEqual(valuesAtPath(document, 'items.1.sku'), ['y']);
    assert.deepEqual(valuesAtPath(document, 'nested.deep'), [3]);
    assert.deepEqual(valuesAtPath(document, 'missing.path'), [undefined]);
    assert.deepEqual(valuesAtPath({ empty: [] }, 'empty'), [undefined]);
  });
});
