import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactCode } from '../../src/mfa/code-input.js';

describe('compactCode', () => {
  it('takes out ASCII spaces anywhere and one dash, as authenticators and mails show codes', () => {
    for (const [input, compact] of [
      ['123456', '123456'],
      ['123 456', '123456'],
      ['123-456', '123456'],
      [' 12 34 56 ', '123456'],
      ['123 - 456', '123456'],
      ['-123456', '123456'],
      ['ABCD-EF01', 'ABCDEF01'],
    ])
      assert.equal(compactCode(input), compact, JSON.stringify(input));
  });

  it('leaves everything else in, so the exact-form check still refuses it', () => {
    for (const [input, compact] of [
      ['12-34-56', '12-34-56'],
      ['123--456', '123--456'],
      ['1 2-3 4-5 6', '12-34-56'],
      ['\t123456', '\t123456'],
      ['123456\n', '123456\n'],
      ['123\u00A0456', '123\u00A0456'],
      ['123\u2009456', '123\u2009456'],
      ['123\u2010456', '123\u2010456'],
      ['123\u2212456', '123\u2212456'],
      ['１２３ ４５６', '１２３４５６'],
      ['', ''],
    ])
      assert.equal(compactCode(input), compact, JSON.stringify(input));
  });
});
