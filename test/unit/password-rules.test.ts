import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import {
  checkNewPassword,
  loadCommonPasswords,
  normalizePassword,
  PASSWORD_MAX_INPUT_UNITS,
  PASSWORD_MAX_LENGTH,
  type PasswordCheck,
  type PasswordContext,
  type PasswordRule,
} from '../../src/accounts/password-rules.js';

const DEFAULTS: PasswordContext = { minLength: 15 };

/** The list as the package ships it, to show the passwords below really are on it. */
const shippedList: string[] = (
  createRequire(import.meta.url)('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common')
).dictionary['passwords-common'];

/** The first message seen for each rule and minimum: every later refusal must say exactly the same. */
const messages = new Map<string, string>();

/** The rule that refused `password`, having checked that its message depends on the rule and minimum only. */
function refusedFor(password: string, context: PasswordContext = DEFAULTS): PasswordRule | undefined {
  const check = checkNewPassword(password, context);
  if (check.ok) return undefined;
  const key = `${check.rule} ${context.minLength}`;
  assert.equal(check.message, messages.get(key) ?? check.message, `the message for ${key} varies with the password`);
  messages.set(key, check.message);
  return check.rule;
}

describe('checkNewPassword (NIST SP 800-63B rev 4 §3.1.1.2)', () => {
  it('takes 15 characters and refuses 14 by default, and follows a lowered minimum', () => {
    assert.equal(refusedFor('tulip-orbit-vex'), undefined);
    assert.equal([...'tulip-orbit-vex'].length, 15);
    assert.equal(refusedFor('tulip-orbit-ve'), 'TOO_SHORT');
    assert.equal(refusedFor('tulip-or', { minLength: 8 }), undefined);
    assert.equal(refusedFor('tulip-o', { minLength: 8 }), 'TOO_SHORT');
    const check = checkNewPassword('short', DEFAULTS);
    assert.deepEqual(check.ok ? undefined : [check.rule, /at least 15 characters/.test(check.message)], [
      'TOO_SHORT',
      true,
    ]);
  });

  it(`takes up to ${PASSWORD_MAX_LENGTH} characters, and normalises no input longer than sign-in takes`, () => {
    assert.equal(PASSWORD_MAX_INPUT_UNITS, 8 * PASSWORD_MAX_LENGTH);
    const words = 'quiet lantern over the harbour '; // 31 characters
    const longest = words.repeat(9).slice(0, PASSWORD_MAX_LENGTH);
    assert.equal([...longest].length, 256);
    assert.equal(refusedFor(longest), undefined);
    assert.equal(refusedFor(`${longest}x`), 'TOO_LONG');
    assert.equal(refusedFor('x'.repeat(100_000)), 'TOO_LONG', 'refused before it is normalised');
    assert.equal(refusedFor('😀'.repeat(256) + 'ab'), 'TOO_LONG');
  });

  it('counts Unicode code points after NFKC, not UTF-16 units or bytes', () => {
    // 8 emoji are 16 UTF-16 units but 8 characters.
    const emoji = '🦊🌲🏔️🚲🎻🍋🛶🐙'.replace('\uFE0F', '');
    assert.equal([...emoji].length, 8);
    assert.equal(emoji.length, 16);
    assert.equal(refusedFor(emoji, { minLength: 8 }), undefined);
    assert.equal(refusedFor(emoji), 'TOO_SHORT', '8 characters are fewer than 15, whatever their UTF-16 length');
    // "e" + U+0301 composes to one "é": what is typed as 17 code points is 14 once normalised.
    const decomposed = 'cafe\u0301 cre\u0300me bru\u0302';
    assert.equal([...decomposed].length, 17);
    assert.equal(normalizePassword(decomposed), 'caf\u00E9 cr\u00E8me br\u00FB');
    assert.equal([...normalizePassword(decomposed)].length, 14);
    assert.equal(refusedFor(decomposed), 'TOO_SHORT');
    assert.equal(refusedFor(`${decomposed}le\u0301e`), undefined);
  });

  it('applies the minimum to the characters typed too: an NFKC expansion does not make a short password long', () => {
    // U+FDFA ARABIC LIGATURE SALLALLAHOU ALAYHE WASALLAM is one character typed and 18 after NFKC.
    assert.equal([...normalizePassword('\uFDFA')].length, 18);
    assert.equal(refusedFor('\uFDFA'), 'TOO_SHORT');
    assert.equal(refusedFor('\uFDFA\uFDFA\uFDFA', { minLength: 8 }), 'TOO_SHORT', '3 typed, 54 normalised');
    // Ligatures typed count once each: 15 typed, 17 normalised; the smaller decides.
    assert.equal(refusedFor('\uFB01sh \uFB02ower tango', { minLength: 16 }), 'TOO_SHORT');
    assert.equal(refusedFor('\uFB01sh \uFB02ower tango', { minLength: 15 }), undefined);
    // The maximum still counts the normalised form: a short typed input that expands past it is refused.
    assert.equal(refusedFor('\uFDFA'.repeat(15)), 'TOO_LONG');
  });

  it('normalises fullwidth letters and ligatures (NFKC), so the same password typed either way is one', () => {
    assert.equal(normalizePassword('ｐａｓｓ\u3000ｗｏｒｄ'), 'pass word');
    assert.equal(normalizePassword('\uFB01sh \uFB02ower'), 'fish flower');
    assert.equal(normalizePassword('cafe\u0301'), normalizePassword('caf\u00E9'));
    // U+FB03 "ﬃ" is one code point typed, three letters normalised: the 14 typed are what count for the minimum.
    assert.equal([...'o\uFB03ce-tiger-vex'].length, 14);
    assert.equal(
      refusedFor('o\uFB03ce-tiger-vex'),
      'TOO_SHORT',
      '"office-tiger-vex" is 16 only once the ligature opens',
    );
    assert.equal(refusedFor('o\uFB03ce-tiger-vexy'), undefined);
    // A common password is refused in full width too.
    assert.equal(refusedFor('１ｑａｚ２ｗｓｘ３ｅｄｃ４ｒｆｖ'), 'COMMON');
  });

  it('refuses a lone UTF-16 surrogate, which UTF-8 would turn into U+FFFD', () => {
    assert.equal(refusedFor('perfectly long p\uD800ssword'), 'NOT_UNICODE');
    assert.equal(refusedFor('perfectly long p\uDC00ssword'), 'NOT_UNICODE');
    assert.equal(refusedFor('perfectly long p🦊ssword'), undefined, 'a surrogate pair is one character');
  });

  it('takes any characters and spaces, with no composition rules: a long phrase of common words is fine', () => {
    for (const password of [
      'correct horse battery staple',
      'the cat sat on the mat by the door',
      'iloveyou and my dog loves me back',
      'all lowercase no digits at all here',
      'ЖЁЛТЫЙ ЛИСТ НА ВЕТРУ ОСЕНЬЮ',
      '私のパスワードは秘密です、誰にも言わない',
      'spaces   are    fine   too',
    ]) {
      assert.equal(refusedFor(password), undefined, password);
    }
  });

  it('refuses passwords from the common list, whatever their case', () => {
    const listed = ['1qaz2wsx3edc4rfv', 'qazwsxedcrfvtgb', '1234qwerasdfzxcv', 'q1w2e3r4t5y6u7i8', 'passwordpassword'];
    for (const password of listed) {
      assert.ok(shippedList.includes(password), `${password} is on the shipped list`);
      assert.equal(refusedFor(password), 'COMMON', password);
      assert.equal(refusedFor(password.toUpperCase()), 'COMMON', password.toUpperCase());
    }
    // With a lower minimum, the shorter classics.
    for (const password of ['password', 'iloveyou', 'trustno1', 'P@ssw0rd', 'qwertyuiop', 'sunshine']) {
      assert.ok(shippedList.includes(password.toLowerCase()), `${password} is on the shipped list`);
      assert.equal(refusedFor(password, { minLength: 8 }), 'COMMON', password);
    }
    // Not on the list: the same letters in another order.
    assert.ok(!shippedList.includes('wsx1qaz3edc4rfv2'));
    assert.equal(refusedFor('wsx1qaz3edc4rfv2'), undefined);
  });

  it('refuses a common password with a run of repeated or consecutive characters before or after it, or repeated', () => {
    for (const password of [
      'password1234567',
      'PASSWORD123456789',
      'iloveyou!!!!!!!',
      '9876543monkey',
      'Password123456',
    ]) {
      assert.equal(refusedFor(password, { minLength: 8 }), 'COMMON', password);
    }
    assert.ok(!shippedList.includes('password123456'), 'not listed itself: caught as "password" + "123456"');
    // Something other than a run added is not this rule's business.
    assert.equal(refusedFor('password-ferret-hum'), undefined);
    assert.equal(refusedFor('monkey7xq2', { minLength: 8 }), undefined);
  });

  it('refuses repeated or consecutive characters, e.g. "aaaaaa" and "1234abcd"', () => {
    for (const password of [
      'aaaaaaaaaaaaaaa',
      '               ',
      'abcdefghijklmnop',
      'zyxwvutsrqponml',
      '123456789012345678',
      '98765432109876',
      '12345678abcdefgh',
      'aaaaaaaabbbbbbbb',
      'abcabcabcabcabc',
      'xk7qxk7qxk7qxk7q',
      'monkeymonkeymonkey',
      'αβγδεζηθικλμνξο',
    ]) {
      assert.ok(!shippedList.includes(password), `${password} is not on the list, so this rule refuses it`);
      assert.equal(refusedFor(password, { minLength: 8 }), 'REPETITIVE_OR_SEQUENTIAL', password);
    }
    // Twice a part that is not a run is allowed; three runs are allowed.
    assert.equal(refusedFor('tulip-orbit-vextulip-orbit-vex'), undefined);
    assert.equal(refusedFor('abcdefgh12345678zyx'), undefined);
  });

  it('refuses the username, email address or service name, alone or with a guessable rest', () => {
    const context = {
      minLength: 15,
      username: 'Margaret.Hamilton',
      email: 'mh1936@example.org',
      serviceName: 'acme-mfa',
    };
    for (const password of [
      'margaret.hamilton',
      'MARGARET.HAMILTON',
      'margarethamilton',
      'Margaret.Hamilton123',
      'hamiltonhamilton',
      'mh1936@example.org',
      'mh1936-mh1936-mh1936',
      'acme-mfa-password',
      'hamilton!!!!!!!!',
      'margaret 1234567890',
    ]) {
      assert.equal(refusedFor(password, context), 'CONTEXT_SPECIFIC', password);
    }
    // Without the context, the same passwords are not refused for it.
    assert.equal(refusedFor('Margaret.Hamilton123', DEFAULTS), undefined);
    // The name inside a longer password with its own secret part is fine.
    assert.equal(refusedFor('margaret sails to the quiet lighthouse', context), undefined);
    // Short pieces (under 3 characters) are not taken out, so "mh" inside a word does not count.
    assert.equal(refusedFor('mhz-radio-towers-hum', { minLength: 15, email: 'mh@example.org' }), undefined);
  });

  it('never puts the password into its message, for any rule', () => {
    const context = { minLength: 15, username: 'oberon' };
    const cases = [
      'short',
      'x'.repeat(300),
      'qazwsxedcrfvtgb',
      'aaaaaaaaaaaaaaaa',
      'oberon1234567890',
      'p\uD800ssword ok long enough',
    ];
    const rules = new Set<string>();
    for (const password of cases) {
      const check: PasswordCheck = checkNewPassword(password, context);
      assert.equal(check.ok, false, password);
      if (check.ok) continue;
      rules.add(check.rule);
      assert.ok(check.message.length > 0);
      assert.ok(!check.message.toLowerCase().includes(password.toLowerCase().slice(0, 8)), check.message);
      assert.ok(!check.message.includes(normalizePassword(password).slice(0, 8)), check.message);
      assert.ok(!JSON.stringify(check).includes(password.slice(0, 8)), 'the whole answer holds no password');
    }
    assert.deepEqual(
      [...rules].sort(),
      ['COMMON', 'CONTEXT_SPECIFIC', 'NOT_UNICODE', 'REPETITIVE_OR_SEQUENTIAL', 'TOO_LONG', 'TOO_SHORT'],
      'every rule was seen',
    );
  });

  it('loads the list once: about 49,000 distinct passwords', () => {
    const size = loadCommonPasswords();
    assert.ok(size > 40_000 && size <= shippedList.length, `${size} passwords`);
    assert.equal(loadCommonPasswords(), size);
  });
});
