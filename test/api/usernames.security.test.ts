import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignUpDocument as SIGN_UP } from '../generated/graphql.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

const PASSWORD = 'a long enough password';

/** An impostor signs up names that look like an existing one; each is refused with the field and the rule named. */
describe('look-alike usernames at sign-up', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
    const original = await app.graphql(SIGN_UP, { variables: { input: { username: 'alice', password: PASSWORD } } });
    assert.equal(original.errors, undefined, JSON.stringify(original.errors));
  });
  after(() => app.stop());

  const impostors: Array<[string, string, RegExp]> = [
    ['a Hangul filler inside', 'al\u3164ice', /invisible.*U\+3164/],
    ['a Hangul choseong filler', 'alice\u115F', /invisible.*U\+115F/],
    ['a Hangul jungseong filler', 'alice\u1160', /invisible.*U\+1160/],
    ['a halfwidth Hangul filler', 'alice\uFFA0', /invisible.*U\+FFA0/],
    ['a zero-width joiner', 'ali\u200Dce', /invisible.*U\+200D/],
    ['a right-to-left override', '\u202Eecila', /invisible.*U\+202E/],
    ['a Cyrillic а', '\u0430lice', /mixes scripts/],
    ['a Greek ο in a Latin name', 'b\u03BFb', /mixes scripts/],
  ];
  for (const [what, username, rule] of impostors) {
    it(`refuses ${what} (BAD_USER_INPUT on username, naming the rule), and creates nothing`, async () => {
      const response = await app.graphql(SIGN_UP, { variables: { input: { username, password: PASSWORD } } });
      assert.equal(errorCode(response), 'BAD_USER_INPUT');
      const fields = response.errors![0].extensions!.fields as Array<{ field: string; problems: string[] }>;
      assert.equal(fields[0].field, 'username');
      assert.match(fields[0].problems.join(' '), rule);
      assert.equal(await app.database.connection.db!.collection('users').countDocuments({ username }), 0);
    });
  }

  it('still takes names in other scripts, and counts a fullwidth spelling as the same name', async () => {
    for (const username of ['Zoë', 'たなか太郎', 'иван']) {
      const response = await app.graphql(SIGN_UP, { variables: { input: { username, password: PASSWORD } } });
      assert.equal(response.errors, undefined, `${username}: ${JSON.stringify(response.errors)}`);
    }
    const fullwidth = await app.graphql(SIGN_UP, {
      variables: { input: { username: 'ａｌｉｃｅ', password: PASSWORD } },
    });
    assert.match(fullwidth.errors?.[0].message ?? '', /taken/);
  });
});
