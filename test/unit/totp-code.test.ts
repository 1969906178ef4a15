import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { describe, it } from 'node:test';
import {
  generateTotpCode,
  generateTotpSecret,
  matchTotpStep,
  type TotpAlgorithm,
} from '../../plugins/totp/totp-code.js';

const PERIOD_MS = 30_000;

/** RFC 4648 §6 base32, no padding: written here so the tests do not trust the code under test. */
function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? out + alphabet[(value << (5 - bits)) & 31] : out;
}

/** HOTP straight from RFC 4226 §5.3 (dynamic truncation) with Node's createHmac. */
function referenceHotp(key: Buffer, counter: number, digits: number, algorithm: TotpAlgorithm = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const hmac = createHmac(algorithm, key).update(message).digest();
  const offset = hmac[hmac.length - 1] & 0x0f;
  const binary = hmac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** Counts calls of Node's createHmac made by any module, otplib's plugin included. */
function countHmacCalls(run: () => void): number {
  const cjsCrypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const original = cjsCrypto.createHmac;
  let calls = 0;
  cjsCrypto.createHmac = (...args: Parameters<typeof original>) => {
    calls++;
    return original(...args);
  };
  syncBuiltinESMExports(); // re-points ESM `import { createHmac }` bindings at the spy
  try {
    run();
  } finally {
    cjsCrypto.createHmac = original;
    syncBuiltinESMExports();
  }
  return calls;
}

const SEEDS: Record<TotpAlgorithm, string> = {
  sha1: base32(Buffer.from('12345678901234567890')),
  sha256: base32(Buffer.from('12345678901234567890123456789012')),
  sha512: base32(Buffer.from('1234567890123456789012345678901234567890123456789012345678901234')),
};

// RFC 6238 Appendix B: time (s) → 8-digit TOTP for SHA1, SHA256, SHA512.
const RFC6238_VECTORS: [number, Record<TotpAlgorithm, string>][] = [
  [59, { sha1: '94287082', sha256: '46119246', sha512: '90693936' }],
  [1111111109, { sha1: '07081804', sha256: '68084774', sha512: '25091201' }],
  [1111111111, { sha1: '14050471', sha256: '67062674', sha512: '99943326' }],
  [1234567890, { sha1: '89005924', sha256: '91819424', sha512: '93441116' }],
  [2000000000, { sha1: '69279037', sha256: '90698825', sha512: '38618901' }],
  [20000000000, { sha1: '65353130', sha256: '77737706', sha512: '47863826' }],
];

// RFC 4226 Appendix D: counter → 6-digit HOTP for the secret '12345678901234567890'.
const RFC4226_VECTORS = [
  '755224',
  '287082',
  '359152',
  '969429',
  '338314',
  '254676',
  '287922',
  '162583',
  '399871',
  '520489',
];

describe('matchTotpStep', () => {
  it('encodes the RFC seeds as base32 like RFC 4648 does', () => {
    assert.equal(SEEDS.sha1, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  for (const [seconds, codes] of RFC6238_VECTORS) {
    for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
      it(`matches RFC 6238 Appendix B, ${algorithm} at T=${seconds}`, () => {
        const step = matchTotpStep({
          secret: SEEDS[algorithm],
          code: codes[algorithm],
          now: seconds * 1000,
          algorithm,
          digits: 8,
          window: 0,
        });
        assert.equal(step, Math.floor(seconds / 30));
      });
    }
  }

  it('matches RFC 4226 Appendix D for counters 0..9 (now = counter × 30 s)', () => {
    RFC4226_VECTORS.forEach((code, counter) => {
      assert.equal(
        matchTotpStep({ secret: SEEDS.sha1, code, now: counter * PERIOD_MS, window: 0 }),
        counter,
        `counter ${counter}`,
      );
    });
  });

  it('accepts one step either side with window 1, not two', () => {
    const secret = SEEDS.sha1;
    const now = new Date(1_700_000_015_000);
    const step = Math.floor(now.getTime() / PERIOD_MS);
    const codeAt = (offsetMs: number) => generateTotpCode({ secret, now: now.getTime() + offsetMs });
    assert.equal(matchTotpStep({ secret, code: codeAt(0), now }), step);
    assert.equal(matchTotpStep({ secret, code: codeAt(-30_000), now }), step - 1);
    assert.equal(matchTotpStep({ secret, code: codeAt(30_000), now }), step + 1);
    assert.equal(matchTotpStep({ secret, code: codeAt(-60_000), now }), null);
    assert.equal(matchTotpStep({ secret, code: codeAt(60_000), now }), null);
    assert.equal(matchTotpStep({ secret, code: codeAt(-30_000), now, window: 0 }), null);
  });

  it('takes the clock as a Date or as milliseconds', () => {
    const code = generateTotpCode({ secret: SEEDS.sha1, now: 1234567890_000 });
    assert.equal(matchTotpStep({ secret: SEEDS.sha1, code, now: new Date(1234567890_000) }), 41152263);
    assert.equal(matchTotpStep({ secret: SEEDS.sha1, code, now: 1234567890_000 }), 41152263);
  });

  it('skips steps up to afterStep, so a replayed code cannot match', () => {
    const now = 1_700_000_015_000;
    const step = Math.floor(now / PERIOD_MS);
    const code = generateTotpCode({ secret: SEEDS.sha1, now });
    assert.equal(matchTotpStep({ secret: SEEDS.sha1, code, now, afterStep: step - 1 }), step);
    assert.equal(matchTotpStep({ secret: SEEDS.sha1, code, now, afterStep: step }), null);
    const older = generateTotpCode({ secret: SEEDS.sha1, now: now - PERIOD_MS });
    assert.equal(matchTotpStep({ secret: SEEDS.sha1, code: older, now, afterStep: step }), null);
    assert.equal(
      matchTotpStep({ secret: SEEDS.sha1, code, now, afterStep: step + 5 }),
      null,
      'a last step in the future refuses, not throws',
    );
  });

  it('refuses a wrong code', () => {
    const now = 1_700_000_015_000;
    const valid = new Set(
      [-1, 0, 1].map((offset) => generateTotpCode({ secret: SEEDS.sha1, now: now + offset * PERIOD_MS })),
    );
    let wrong = '000000';
    while (valid.has(wrong)) wrong = String(Number(wrong) + 1).padStart(6, '0');
    assert.equal(matchTotpStep({ secret: SEEDS.sha1, code: wrong, now }), null);
  });

  it('refuses malformed codes without computing any HMAC', () => {
    const now = 1_700_000_015_000;
    const code = generateTotpCode({ secret: SEEDS.sha1, now });
    const fullWidth = code.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
    const arabicIndic = code.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)));
    const malformed = [
      '１２３４５６',
      fullWidth,
      arabicIndic,
      '12345',
      '1234567',
      ' 123456',
      '123456 ',
      `${code}\n`,
      ` ${code}`,
      `+${code.slice(1)}`,
      `-${code.slice(1)}`,
      `${code.slice(0, 3)} ${code.slice(3, 5)}`,
      '12345a',
      '1e5000',
      '',
      code.slice(0, 5),
    ];
    const calls = countHmacCalls(() => {
      for (const bad of malformed)
        assert.equal(matchTotpStep({ secret: SEEDS.sha1, code: bad, now }), null, JSON.stringify(bad));
      assert.equal(matchTotpStep({ secret: SEEDS.sha1, code: 123456 as unknown as string, now }), null, 'a number');
    });
    assert.equal(calls, 0);
  });

  it('refuses parameters outside RFC 4226 / RFC 6238', () => {
    const base = { secret: SEEDS.sha1, code: '123456', now: 0 };
    assert.throws(() => matchTotpStep({ ...base, digits: 5 }), RangeError);
    assert.throws(() => matchTotpStep({ ...base, digits: 9 }), RangeError);
    assert.throws(() => matchTotpStep({ ...base, periodSeconds: 0 }), RangeError);
    assert.throws(() => matchTotpStep({ ...base, window: -1 }), RangeError);
    assert.throws(() => matchTotpStep({ ...base, now: new Date(Number.NaN) }), RangeError);
  });
});

describe('Node crypto under otplib', () => {
  it('computes the same codes as a createHmac reference (RFC 4226 §5.3) for random secrets and counters', () => {
    for (let i = 0; i < 20; i++) {
      const key = randomBytes(20 + (i % 3) * 6);
      const counter = randomInt(0, 2 ** 36); // past 2^32, yet counter × 30 000 ms stays a safe integer
      const digits = 6 + (i % 3);
      const algorithm = (['sha1', 'sha256', 'sha512'] as const)[i % 3];
      const expected = referenceHotp(key, counter, digits, algorithm);
      const secret = base32(key);
      const now = counter * PERIOD_MS;
      assert.equal(generateTotpCode({ secret, now, digits, algorithm }), expected);
      assert.equal(matchTotpStep({ secret, code: expected, now, digits, algorithm, window: 0 }), counter);
    }
  });

  it("calls Node's createHmac once per step tried", () => {
    const now = 1_700_000_015_000;
    assert.equal(
      countHmacCalls(() => matchTotpStep({ secret: SEEDS.sha1, code: '000000', now: now + 7 * PERIOD_MS, window: 1 })),
      3,
    );
    assert.equal(
      countHmacCalls(() => generateTotpSecret()),
      0,
      'secrets come from randomBytes, not HMAC',
    );
  });
});

describe('generateTotpSecret', () => {
  it('makes 160-bit base32 secrets by default, other lengths on request', () => {
    const secret = generateTotpSecret();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.notEqual(generateTotpSecret(), secret);
    assert.match(generateTotpSecret(32), /^[A-Z2-7]{52}$/);
    assert.match(generateTotpSecret(16), /^[A-Z2-7]{26}$/);
    const code = generateTotpCode({ secret, now: 0 });
    assert.equal(matchTotpStep({ secret, code, now: 0 }), 0);
  });

  it('refuses secrets shorter than 128 bits (RFC 4226 §4 R6) or longer than 64 bytes', () => {
    assert.throws(() => generateTotpSecret(10), RangeError);
    assert.throws(() => generateTotpSecret(65), RangeError);
    assert.throws(() => generateTotpSecret(20.5), RangeError);
  });
});
