import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Types } from 'mongoose';
import { leanDocument } from '../../src/db/lean-document.js';

describe('leanDocument', () => {
  it('leaves out undefined fields and the plain objects they leave empty, at any depth, as mongoose’s minimize does', () => {
    const at = new Date(0);
    assert.deepEqual(
      leanDocument({
        kept: 1,
        gone: undefined,
        nothingLeft: { gone: undefined, alsoEmpty: {} },
        details: { reason: 'x', gone: undefined, nested: { n: 0, gone: undefined } },
        at,
      }),
      { kept: 1, details: { reason: 'x', nested: { n: 0 } }, at },
    );
  });

  it('keeps null, false, 0, empty strings and arrays, and ObjectIds, Dates and Buffers as they are', () => {
    const id = new Types.ObjectId();
    const at = new Date();
    const bytes = Buffer.from('abc');
    const lean = leanDocument({ id, at, bytes, none: null, no: false, zero: 0, empty: '', list: [], items: [{}] });
    assert.deepEqual(lean, { id, at, bytes, none: null, no: false, zero: 0, empty: '', list: [], items: [{}] });
    assert.equal(lean.id, id);
    assert.equal(lean.at, at);
    assert.equal(lean.bytes, bytes);
  });
});
