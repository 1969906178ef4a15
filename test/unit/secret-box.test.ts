import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';
import { loadOrCreateDevelopmentKeys } from '../../src/crypto/encryption-keys.js';
import { parseEncryptionKeys, SecretBox, SecretBoxError, type SealedSecret } from '../../src/crypto/secret-box.js';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const boxA = SecretBox.fromSpec(`a:${keyA}`);
const CONTEXT = 'factor:64b7f0c2e4b0a1a2b3c4d5e6';

/** Flips one bit of a base64 field, keeping it canonical base64 of the same length. */
function flip(field: string): string {
  const bytes = Buffer.from(field, 'base64');
  bytes[0] ^= 0x01;
  return bytes.toString('base64');
}

describe('SecretBox', () => {
  it('opens what it sealed, with the current kid and JSON-storable fields', () => {
    const sealed = boxA.seal('JBSWY3DPEHPK3PXP', CONTEXT);
    assert.equal(sealed.kid, 'a');
    assert.deepEqual(JSON.parse(JSON.stringify(sealed)), sealed);
    assert.ok(!JSON.stringify(sealed).includes('JBSWY3DPEHPK3PXP'));
    assert.equal(boxA.open(sealed, CONTEXT), 'JBSWY3DPEHPK3PXP');
    assert.equal(boxA.open(boxA.seal('', CONTEXT), CONTEXT), '');
    assert.equal(boxA.open(boxA.seal('ünïcødé ✓', CONTEXT), CONTEXT), 'ünïcødé ✓');
  });

  it('uses a fresh 96-bit IV for every seal (NIST SP 800-38D §8)', () => {
    const seals = Array.from({ length: 200 }, () => boxA.seal('same secret', CONTEXT));
    assert.ok(seals.every((sealed) => Buffer.from(sealed.iv, 'base64').length === 12));
    assert.equal(new Set(seals.map((sealed) => sealed.iv)).size, seals.length);
    assert.equal(new Set(seals.map((sealed) => sealed.data)).size, seals.length);
  });

  for (const field of ['iv', 'tag', 'data'] as const) {
    it(`refuses a tampered ${field} without revealing the plaintext`, () => {
      const sealed = boxA.seal('top secret seed', CONTEXT);
      const tampered = { ...sealed, [field]: flip(sealed[field]) };
      assert.throws(
        () => boxA.open(tampered, CONTEXT),
        (error: unknown) => {
          assert.ok(error instanceof SecretBoxError);
          assert.equal(error.code, 'AUTHENTICATION_FAILED');
          assert.ok(!error.message.includes('top secret'));
          return true;
        },
      );
    });
  }

  it('refuses non-canonical base64 and wrong lengths as malformed', () => {
    const sealed = boxA.seal('seed', CONTEXT);
    for (const tampered of [
      { ...sealed, iv: `${sealed.iv}AA==` },
      { ...sealed, tag: sealed.tag.slice(0, 16) },
      { ...sealed, data: `${sealed.data}!` },
      { ...sealed, data: undefined as unknown as string },
    ]) {
      assert.throws(() => boxA.open(tampered, CONTEXT), { name: 'SecretBoxError', code: 'MALFORMED' });
    }
  });

  it('refuses an unknown kid, and a kid swapped to another configured key', () => {
    const both = SecretBox.fromSpec(`b:${keyB},a:${keyA}`);
    const sealed = boxA.seal('seed', CONTEXT);
    assert.throws(() => boxA.open({ ...sealed, kid: 'zz' }, CONTEXT), {
      name: 'SecretBoxError',
      code: 'UNKNOWN_KEY',
      message: /"zz"/,
    });
    assert.throws(() => both.open({ ...sealed, kid: 'b' }, CONTEXT), {
      name: 'SecretBoxError',
      code: 'AUTHENTICATION_FAILED',
    });
  });

  it('binds the context: a ciphertext moved to another record does not open', () => {
    const sealed = boxA.seal('seed', 'factor:1');
    assert.throws(() => boxA.open(sealed, 'factor:2'), { name: 'SecretBoxError', code: 'AUTHENTICATION_FAILED' });
    assert.throws(() => boxA.seal('seed', ''), TypeError);
  });

  it('rotates: data sealed under A opens after the keys become B,A and moves to B', () => {
    const old: SealedSecret = boxA.seal('seed under A', CONTEXT);
    const rotated = SecretBox.fromSpec(`b:${keyB},a:${keyA}`);
    assert.equal(rotated.currentKid, 'b');
    assert.equal(rotated.needsRotation(old), true);
    const resealed = rotated.seal(rotated.open(old, CONTEXT), CONTEXT);
    assert.equal(resealed.kid, 'b');
    assert.equal(rotated.needsRotation(resealed), false);
    assert.equal(SecretBox.fromSpec(`b:${keyB}`).open(resealed, CONTEXT), 'seed under A');
    assert.throws(() => SecretBox.fromSpec(`b:${keyB}`).open(old, CONTEXT), { code: 'UNKNOWN_KEY' });
  });
});

describe('parseEncryptionKeys', () => {
  it('parses kid:base64key entries in order, first one current', () => {
    const keys = parseEncryptionKeys(` k2:${keyB} , k1:${keyA}`);
    assert.deepEqual(
      keys.map((key) => key.kid),
      ['k2', 'k1'],
    );
    assert.deepEqual(keys[0].key, Buffer.from(keyB, 'base64'));
  });

  const short = randomBytes(31).toString('base64');
  const cases: Array<[string, string]> = [
    ['empty', ''],
    ['blank', '  '],
    ['bad base64', `k1:${keyA.slice(0, 20)}*${keyA.slice(21)}`],
    ['31-byte key', `k1:${short}`],
    ['33-byte key', `k1:${randomBytes(33).toString('base64')}`],
    ['duplicate kid', `k1:${keyA},k1:${keyB}`],
    ['no kid', keyA],
    ['bad kid', `k 1:${keyA}`],
    ['trailing comma', `k1:${keyA},`],
  ];
  for (const [name, spec] of cases) {
    it(`refuses ${name} with a ConfigError naming MFA_ENCRYPTION_KEYS and no key material`, () => {
      assert.throws(
        () => parseEncryptionKeys(spec),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, /MFA_ENCRYPTION_KEYS/);
          for (const secret of [keyA, keyB, short, keyA.slice(0, 12), keyB.slice(0, 12), short.slice(0, 12)]) {
            assert.ok(!error.message.includes(secret), `message leaks key material: ${error.message}`);
          }
          return true;
        },
      );
    });
  }
});

describe('SecretBox.hmacKey', () => {
  const box = SecretBox.fromSpec(`b:${keyB},a:${keyA}`);

  it('derives 32 stable bytes per purpose and per kid, current kid by default', () => {
    const current = box.hmacKey('recovery-codes');
    assert.equal(current.kid, 'b');
    assert.equal(current.key.length, 32);
    assert.deepEqual(box.hmacKey('recovery-codes', 'b'), current);
    assert.deepEqual(
      SecretBox.fromSpec(`b:${keyB}`).hmacKey('recovery-codes').key,
      current.key,
      'stable across restarts',
    );
    assert.notDeepEqual(box.hmacKey('email-codes').key, current.key);
    assert.notDeepEqual(box.hmacKey('recovery-codes', 'a').key, current.key);
    assert.notDeepEqual(current.key, Buffer.from(keyB, 'base64'), 'not the encryption key itself');
  });

  it('keeps an old kid derivable while configured, refuses an unknown one', () => {
    assert.deepEqual(box.hmacKey('recovery-codes', 'a').key, boxA.hmacKey('recovery-codes').key);
    assert.throws(() => box.hmacKey('recovery-codes', 'gone'), { name: 'SecretBoxError', code: 'UNKNOWN_KEY' });
  });
});

describe('loadOrCreateDevelopmentKeys', () => {
  const silent = createLogger({ level: 'silent' });
  const root = mkdtempSync(join(tmpdir(), 'mfa-dev-keys-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('creates the key file with mode 0600 in a 0700 directory and reads the same spec next time', () => {
    const dataDir = join(root, 'nested', 'data');
    const spec = loadOrCreateDevelopmentKeys(dataDir, silent);
    const file = join(dataDir, 'mfa-encryption-keys');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(readFileSync(file, 'utf8').trim(), spec);
    assert.match(parseEncryptionKeys(spec)[0].kid, /^dev-\d{4}-\d{2}-\d{2}$/);
    assert.equal(loadOrCreateDevelopmentKeys(dataDir, silent), spec);
    assert.deepEqual(readdirSync(dataDir), ['mfa-encryption-keys'], 'no temp files left behind');
  });

  it('writes nothing for :memory: and gives a fresh key each time', () => {
    const first = loadOrCreateDevelopmentKeys(':memory:', silent);
    assert.equal(parseEncryptionKeys(first).length, 1);
    assert.notEqual(loadOrCreateDevelopmentKeys(':memory:', silent), first);
    assert.equal(existsSync(':memory:'), false);
  });
});
