import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_BITS,
  RECOVERY_CODE_CHARS,
} from '../../src/mfa/recovery-codes.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const READABLE = /^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/;

describe('generateRecoveryCodes', () => {
  it('issues 10 codes by default, as XXXX-XXXX-XXXX-XXXX of base32 with at least 64 bits (NIST SP 800-63B-4 §4.2.1.1)', () => {
    const codes = generateRecoveryCodes();
    assert.equal(codes.length, 10);
    for (const code of codes) assert.match(code, READABLE);
    assert.equal(RECOVERY_CODE_CHARS, 16);
    assert.ok(RECOVERY_CODE_BITS >= 64 && RECOVERY_CODE_CHARS * Math.log2(BASE32.length) === RECOVERY_CODE_BITS);
    assert.equal(generateRecoveryCodes(3).length, 3);
  });

  it('refuses a nonsensical count', () => {
    for (const count of [0, -1, 1.5, 101, Number.NaN]) assert.throws(() => generateRecoveryCodes(count), RangeError);
  });

  it('looks random: 1000 codes all distinct, every character in the alphabet, all 32 used about evenly', () => {
    const codes = Array.from({ length: 100 }, () => generateRecoveryCodes(10)).flat();
    assert.equal(new Set(codes).size, 1000);
    const counts = new Map<string, number>();
    for (const char of codes.join('').replaceAll('-', '')) counts.set(char, (counts.get(char) ?? 0) + 1);
    assert.deepEqual([...counts.keys()].sort(), [...BASE32].sort());
    // 16,000 characters: 500 expected per symbol, standard deviation about 22.
    for (const [char, count] of counts) assert.ok(count > 380 && count < 620, `${char} appeared ${count} times`);
  });

  it('issues codes that normalize to themselves without dashes', () => {
    for (const code of generateRecoveryCodes()) assert.equal(normalizeRecoveryCode(code), code.replaceAll('-', ''));
  });
});

describe('normalizeRecoveryCode', () => {
  it('ignores case, spaces and dashes', () => {
    for (const input of [
      'ABCDEFGHIJKL2345',
      'abcd efgh-ijkl 2345',
      'abcd-efgh-ijkl-2345',
      '  AbCd EfGh IjKl 2345  ',
      'a-b-c-d-e-f-g-h-i-j-k-l-2-3-4-5',
      'abcd\tefgh\u00A0ijkl\u20132345',
      'ABCD\u2010EFGH\u2014IJKL\u22122345',
    ]) {
      assert.equal(normalizeRecoveryCode(input), 'ABCDEFGHIJKL2345', JSON.stringify(input));
    }
  });

  it('refuses the wrong length, characters outside base32 and non-ASCII look-alikes', () => {
    for (const input of [
      '',
      'ABCD-EFGH-IJKL-234',
      'ABCD-EFGH-IJKL-23456',
      'ABCD-EFGH-IJKL-2340',
      'ABCD-EFGH-IJKL-2341',
      'ABCD-EFGH-IJKL-2348',
      'ABCD-EFGH-IJKL-2349',
      'ABCD-EFGH-IJKL-23_5',
      'ＡBCD-EFGH-IJKL-2345',
      'ＡＢＣＤＥＦＧＨＩＪＫＬ２３４５',
      'ıBCD-EFGH-IJKL-2345',
      'ſBCD-EFGH-IJKL-2345',
      'ﬀCD-EFGH-IJKL-2345',
      'ABCD.EFGH.IJKL.2345',
      'ABCD\nEFGH\nIJKL\n2345',
    ]) {
      assert.equal(normalizeRecoveryCode(input), null, JSON.stringify(input));
    }
  });

  it('refuses input over 64 characters before looking at it', () => {
    const padded = `ABCDEFGHIJKL2345${' '.repeat(48)}`;
    assert.equal(normalizeRecoveryCode(padded), 'ABCDEFGHIJKL2345');
    assert.equal(normalizeRecoveryCode(`${padded} `), null);
    assert.equal(normalizeRecoveryCode('-'.repeat(1_000_000)), null);
    assert.equal(normalizeRecoveryCode(undefined as unknown as string), null);
  });
});

describe('hashRecoveryCode', () => {
  const key = randomBytes(32);
  const code = normalizeRecoveryCode(generateRecoveryCodes(1)[0])!;

  it('is stable for the same code, user and key, and base64url', () => {
    const hash = hashRecoveryCode(code, 'user-1', key);
    assert.equal(hashRecoveryCode(code, 'user-1', Buffer.from(key)), hash);
    assert.match(hash, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!hash.includes(code));
  });

  it('differs per user, per key and per code', () => {
    const hash = hashRecoveryCode(code, 'user-1', key);
    assert.notEqual(hashRecoveryCode(code, 'user-2', key), hash);
    assert.notEqual(hashRecoveryCode(code, 'user-1', randomBytes(32)), hash);
    const other = normalizeRecoveryCode(generateRecoveryCodes(1)[0])!;
    assert.notEqual(hashRecoveryCode(other, 'user-1', key), hash);
  });

  it('takes only normalized codes, a user id and a full-length key', () => {
    assert.throws(() => hashRecoveryCode('abcd-efgh-ijkl-2345', 'user-1', key), TypeError);
    assert.throws(() => hashRecoveryCode(code, '', key), TypeError);
    assert.throws(() => hashRecoveryCode(code, 'user-1', randomBytes(16)), RangeError);
  });
});
