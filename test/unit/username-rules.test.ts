import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { usernameProblem } from '../../src/accounts/username-rules.js';

describe('usernameProblem (RFC 8265 UsernameCaseMapped, UTS #39 Highly Restrictive)', () => {
  it('takes plain names in one script, and Latin beside Japanese, Chinese or Korean', () => {
    for (const name of [
      'alice',
      'Bob.Smith-2',
      'erin@example.com',
      'José',
      'Zoë_99',
      'ｆｕｌｌｗｉｄｔｈ',
      'иван',
      'Ελένη',
      'محمد١٢',
      'דוד',
      'राहुल',
      'たなか太郎',
      'taro山田',
      'ユーザー1',
      '王小明',
      'kim김철수',
      'ちゅうごく',
    ]) {
      assert.equal(usernameProblem(name), undefined, name);
    }
  });

  it('refuses invisible fillers and format characters, naming the code point', () => {
    for (const [name, found] of [
      ['al\u3164ice', 'U+3164'],
      ['\u115Falice', 'U+115F'],
      ['alice\u1160', 'U+1160'],
      ['ali\uFFA0ce', 'U+FFA0'],
      ['ali\u200Bce', 'U+200B'],
      ['ali\u200Dce', 'U+200D'],
      ['ali\u00ADce', 'U+00AD'],
      ['ali\u034Fce', 'U+034F'],
      ['ali\u2060ce', 'U+2060'],
      ['ali\u202Ece', 'U+202E'],
      ['ali ce', 'U+0020'],
      ['ali\u3000ce', 'U+3000'],
    ]) {
      assert.match(usernameProblem(name) ?? '', new RegExp(`invisible.*${found.replace('+', '\\+')}`), name);
    }
  });

  it('refuses a name mixing look-alike scripts', () => {
    for (const name of ['p\u0430ypal', 'admin\u0456', '\u03BFscar', 'ivan\u0438', 'abc\u05D0', 'user\u0661']) {
      assert.match(usernameProblem(name) ?? '', /mixes scripts/, name);
    }
  });

  it('refuses compatibility characters, symbols, and scripts not recommended for identifiers', () => {
    assert.match(usernameProblem('alice\u00B2') ?? '', /compatibility/);
    assert.match(usernameProblem('\uFB01sh') ?? '', /compatibility/);
    assert.match(usernameProblem('ali$ce') ?? '', /letters, digits/);
    assert.match(usernameProblem('ali😀ce') ?? '', /letters, digits/);
    assert.match(usernameProblem('\u16A0\u16A2\u16A6') ?? '', /not recommended/, 'Runic');
  });
});
