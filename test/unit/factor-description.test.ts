import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FACTOR_DESCRIPTION_MAX_CHARS, factorDescriptionProblem } from '../../src/mfa/factor-description.js';

describe('factorDescriptionProblem (the one rule for factor labels)', () => {
  it('takes everyday labels, accents and emoji built with joiners, selectors and tags', () => {
    for (const label of [
      'work phone',
      'téléphone d’Élodie',
      'YubiKey 5C NFC #2',
      '山田の携帯',
      'هاتف العمل',
      '👩‍💻 laptop',
      '❤️ key',
      '🏴󠁧󠁢󠁳󠁣󠁴󠁿 phone',
      'x'.repeat(FACTOR_DESCRIPTION_MAX_CHARS),
      '😀'.repeat(FACTOR_DESCRIPTION_MAX_CHARS), // counted in characters, not UTF-16 units
    ])
      assert.equal(factorDescriptionProblem(label), undefined, JSON.stringify(label));
  });

  it('refuses empty, blank and over-long labels', () => {
    for (const label of ['', ' ', '\u3000', 'x'.repeat(FACTOR_DESCRIPTION_MAX_CHARS + 1)])
      assert.ok(factorDescriptionProblem(label), JSON.stringify(label));
  });

  it('refuses control, line-break, bidi, lone-surrogate and invisible characters, naming the code point', () => {
    const refused: Array<[string, string]> = [
      ['phone\u202Eenohp', 'U+202E'], // right-to-left override
      ['a\u2066b\u2069', 'U+2066'], // left-to-right isolate
      ['a\u200Fb', 'U+200F'], // right-to-left mark
      ['a\u061Cb', 'U+061C'], // Arabic letter mark
      ['line\nbreak', 'U+000A'],
      ['a\u2028b', 'U+2028'],
      ['tab\t', 'U+0009'],
      ['nul\u0000', 'U+0000'],
      ['del\u007F', 'U+007F'],
      ['c1\u0085', 'U+0085'],
      ['zero\u200Bwidth', 'U+200B'],
      ['soft\u00ADhyphen', 'U+00AD'],
      ['filler\u3164', 'U+3164'],
      ['bom\uFEFF', 'U+FEFF'],
      ['lone \uD800 surrogate', 'U+D800'],
    ];
    for (const [label, codePoint] of refused) {
      const problem = factorDescriptionProblem(label);
      assert.ok(problem?.includes(codePoint), `${JSON.stringify(label)}: ${problem}`);
    }
  });
});
