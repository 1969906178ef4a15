import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  AdminUserMfaDocument,
  CreateApiKeyDocument,
  LoginDocument,
  MeDocument,
  SignUpDocument,
  UserByNameDocument,
  UserDocument,
  VerifyMfaDocument,
} from '../generated/graphql.js';
import { MAX_CONSECUTIVE_FAILURES } from '../../src/mfa/second-factor-attempts.js';
import { TEST_PASSWORD, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { userWithTotp } from '../support/attacker.js';
import { assertAccessible, collectCspViolations, launchChromium, screenshot } from '../support/browser.js';
import { TestClock, mfaToken, totpCode, wrongTotpCode } from '../support/mfa.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

// The admin console's users in Debian's Chromium against the whole service: the users table (search, filters,
// pages), and one user's page — the "MFA policy" switch with step-up asked inline, unlocking, factors, sessions
// and API keys revoked, deactivation and deletion — each checked in the API too.

const STEP_UP_LIFETIME_MS = 5 * 60_000;

describe('web console: the admin manages users in a browser', () => {
  const clock = new TestClock();
  let app: TestApp;
  let admin: MfaAdmin;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let csp: string[];

  before(async () => {
    app = await startTestApp(ADMIN_ENV, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    page = await context.newPage();
    csp = collectCspViolations(page);

    // The admin signs in in the browser with the password and a code from the app.
    await page.goto(app.url);
    await page.getByLabel('Username', { exact: true }).fill(ADMIN_ENV.ADMIN_USERNAME);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_ENV.ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('Code', { exact: true }).fill(totpCode(admin.totp.secret, clock));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByRole('heading', { name: `Welcome, ${ADMIN_ENV.ADMIN_USERNAME}` }).waitFor();
    clock.nextStep();
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await app?.stop();
  });

  async function signUp(username: string): Promise<string> {
    const result = await app.graphql(SignUpDocument, {
      variables: { input: { username, password: TEST_PASSWORD, email: `${username}@example.com` } },
    });
    assert.ok(result.data, JSON.stringify(result.errors));
    return result.data.signUp.id;
  }

  /** The usernames the table shows once it settles on `expected` (or what it shows after 5 s, for the failure). */
  async function assertUsernames(expected: string[]): Promise<void> {
    const cells = page.getByRole('table').getByRole('rowheader');
    let shown: string[] = [];
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(100)) {
      if ((await page.getByText('Loading users…').count()) > 0) continue;
      shown = await cells.allTextContents();
      if (JSON.stringify(shown) === JSON.stringify(expected)) return;
    }
    assert.deepEqual(shown, expected);
  }

  async function openUser(username: string): Promise<void> {
    await page.goto(`${app.url}/admin/users/${encodeURIComponent(username)}`);
    await page.getByRole('heading', { name: username, exact: true, level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Account', exact: true }).waitFor();
  }

  const policySwitch = () => page.getByRole('switch', { name: 'MFA policy', exact: true });
  const statusSays = (text: string) => page.getByRole('status').filter({ hasText: text }).waitFor();

  it('searches, filters and pages through the users, and unlocks one locked out by wrong codes', async () => {
    const pats = Array.from({ length: 22 }, (_, index) => `pat${String(index + 1).padStart(2, '0')}`);
    for (const name of pats) await signUp(name);
    const lou = await userWithTotp(app, clock, 'lou');
    const signingIn = await mfaToken(app, 'lou');
    for (let attempt = 0; attempt < MAX_CONSECUTIVE_FAILURES; attempt++)
      await app.graphql(VerifyMfaDocument, {
        variables: { input: { mfaToken: signingIn, code: wrongTotpCode(lou.totp.secret, clock) } },
      });
    const locked = await app.graphql(UserByNameDocument, { token: admin.token, variables: { username: 'lou' } });
    assert.ok(locked.data?.user?.lockedUntil, JSON.stringify(locked));

    await page.getByRole('button', { name: ADMIN_ENV.ADMIN_USERNAME, exact: true }).click();
    await page.getByRole('menuitem', { name: 'Admin', exact: true }).click();
    await page.getByRole('heading', { name: 'Users', exact: true, level: 1 }).waitFor();

    // Creation order, 20 a page; the connection's cursor leads on and the stack of cursors back.
    const everyone = [ADMIN_ENV.ADMIN_USERNAME, ...pats, 'lou'];
    await assertUsernames(everyone.slice(0, 20));
    await assertAccessible(page, 'the users table');
    await screenshot(page, 'admin-users');
    const previous = page.getByRole('button', { name: 'Previous page', exact: true });
    const next = page.getByRole('button', { name: 'Next page', exact: true });
    assert.equal(await previous.isDisabled(), true);
    await next.click();
    await assertUsernames(everyone.slice(20));
    assert.equal(await next.isDisabled(), true, 'no page after the last');
    await previous.click();
    await assertUsernames(everyone.slice(0, 20));

    // The search runs as typing pauses and narrows the table; the URL keeps it.
    const search = page.getByRole('searchbox', { name: 'Search users', exact: true });
    await search.fill('PAT07');
    await assertUsernames(['pat07']);
    assert.equal(new URL(page.url()).searchParams.get('q'), 'PAT07');
    await search.fill('');
    await assertUsernames(everyone.slice(0, 20));

    // The filters, each a labelled select.
    await page.getByLabel('Locked', { exact: true }).selectOption({ label: 'Yes' });
    await assertUsernames(['lou']);
    await assertAccessible(page, 'the users table, filtered');
    await page.getByLabel('Locked', { exact: true }).selectOption({ label: 'Any' });
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Admin' });
    await assertUsernames([ADMIN_ENV.ADMIN_USERNAME]);
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'User' });
    await page.getByLabel('MFA policy', { exact: true }).selectOption({ label: 'Enabled' });
    await assertUsernames(['lou']);
    await page.getByLabel('MFA policy', { exact: true }).selectOption({ label: 'Any' });
    await page.getByLabel('Status', { exact: true }).selectOption({ label: 'Deactivated' });
    await assertUsernames([]);
    await page.getByText('No users match.').waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption({ label: 'Any' });
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Any' });
    await page.getByLabel('Locked', { exact: true }).selectOption({ label: 'Yes' });
    await assertUsernames(['lou']);

    // The username links to the user's page, where "Unlock" ends the lockout.
    await page.getByRole('link', { name: 'lou', exact: true }).click();
    await page.getByRole('heading', { name: 'lou', exact: true, level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin/users/lou');
    await page.getByText('(too many wrong codes)').waitFor();
    await assertAccessible(page, 'a locked user');
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await statusSays('lou is unlocked.');
    assert.equal(await page.getByRole('button', { name: 'Unlock', exact: true }).count(), 0);
    const unlocked = await app.graphql(UserByNameDocument, { token: admin.token, variables: { username: 'lou' } });
    assert.equal(unlocked.data?.user?.lockedUntil, null, JSON.stringify(unlocked));

    // Back returns to the list as it was filtered.
    await page.goBack();
    await assertUsernames([]);
    assert.equal(new URL(page.url()).searchParams.get('locked'), 'yes');
  });

  it('turns a user’s MFA policy on with the switch, asking for a second factor inline once step-up expired', async () => {
    const fayId = await signUp('fay');
    await openUser('fay');
    assert.equal(await policySwitch().isChecked(), false);
    await assertAccessible(page, 'a user without MFA');

    // Past the step-up's lifetime the change asks for a second factor; closing the dialog changes nothing.
    clock.advance(STEP_UP_LIFETIME_MS + 60_000);
    await policySwitch().click();
    const confirm = page.getByRole('dialog', { name: 'Confirm it is you', exact: true });
    await confirm.waitFor();
    await assertAccessible(page, 'the step-up dialog');
    await confirm.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Nothing was changed' }).waitFor();
    assert.equal(await policySwitch().isChecked(), false);
    const unchanged = await app.graphql(UserDocument, { token: admin.token, variables: { id: fayId } });
    assert.equal(unchanged.data?.user?.mfaPolicyStatus, 'DISABLED', JSON.stringify(unchanged));

    // With a code in the dialog, the change runs again and applies.
    await policySwitch().click();
    await confirm.waitFor();
    await confirm.getByLabel('Code', { exact: true }).fill(totpCode(admin.totp.secret, clock));
    await confirm.getByRole('button', { name: 'Verify', exact: true }).click();
    await statusSays('The MFA policy of fay is enabled.');
    clock.nextStep();
    assert.equal(await confirm.count(), 0);
    assert.equal(await policySwitch().isChecked(), true);

    const inApi = await app.graphql(UserDocument, { token: admin.token, variables: { id: fayId } });
    assert.equal(inApi.data?.user?.mfaPolicyStatus, 'ENABLED', JSON.stringify(inApi));
    const login = await app.graphql(LoginDocument, {
      variables: { input: { username: 'fay', password: TEST_PASSWORD } },
    });
    assert.equal(login.data?.login.enrollmentRequired, true, JSON.stringify(login));

    // Fresh from the step-up, the next change applies at once.
    await policySwitch().click();
    await statusSays('The MFA policy of fay is disabled.');
    assert.equal(await policySwitch().isChecked(), false);
    const off = await app.graphql(UserDocument, { token: admin.token, variables: { id: fayId } });
    assert.equal(off.data?.user?.mfaPolicyStatus, 'DISABLED');

    // An admin's policy is always on: making fay one turns it on, and the switch shows it and cannot change it.
    await page.getByRole('button', { name: 'Make admin', exact: true }).click();
    await statusSays('fay is an admin now.');
    assert.equal(await policySwitch().isChecked(), true);
    assert.equal(await policySwitch().isDisabled(), true);
    const promoted = await app.graphql(UserDocument, { token: admin.token, variables: { id: fayId } });
    assert.deepEqual([promoted.data?.user?.role, promoted.data?.user?.mfaPolicyStatus], ['ADMIN', 'ENABLED']);
    await page.getByRole('button', { name: 'Make user', exact: true }).click();
    await statusSays('fay is a user now.');
    assert.equal(await policySwitch().isDisabled(), false);
    const demoted = await app.graphql(UserDocument, { token: admin.token, variables: { id: fayId } });
    assert.equal(demoted.data?.user?.role, 'USER');

    await openUser(ADMIN_ENV.ADMIN_USERNAME);
    assert.equal(await policySwitch().isChecked(), true);
    assert.equal(await policySwitch().isDisabled(), true);
    await page.getByText('Always enabled for admins').waitFor();
  });

  it('removes a factor, revokes an API key and signs a user out everywhere', async () => {
    const sam = await userWithTotp(app, clock, 'sam');
    const key = await app.graphql(CreateApiKeyDocument, {
      token: sam.token,
      variables: { input: { name: 'nightly backup' } },
    });
    const secret = key.data?.createApiKey.secret;
    assert.ok(secret, JSON.stringify(key));

    await openUser('sam');
    const keys = page.getByRole('region', { name: 'API keys', exact: true });
    const sessions = page.getByRole('region', { name: 'Sessions', exact: true });
    const mfa = page.getByRole('region', { name: 'Multifactor authentication', exact: true });
    await keys.getByRole('rowheader', { name: 'nightly backup', exact: true }).waitFor();
    assert.equal(await sessions.getByRole('row').count(), 2, 'a header and sam’s one session');
    await mfa.getByRole('rowheader', { name: 'Authentication app', exact: true }).waitFor();
    await assertAccessible(page, 'a user with a factor, a session and an API key');
    await screenshot(page, 'admin-user');

    await keys
      .getByRole('row', { name: /nightly backup/ })
      .getByRole('button', { name: 'Revoke', exact: true })
      .click();
    await statusSays('The API key “nightly backup” is revoked.');
    await keys.getByText('No API keys.').waitFor();
    assert.equal(errorCode(await app.graphql(MeDocument, { token: secret })), 'UNAUTHENTICATED');

    assert.equal((await app.graphql(MeDocument, { token: sam.token })).data?.me?.username, 'sam');
    await sessions.getByRole('button', { name: 'Sign out everywhere', exact: true }).click();
    await statusSays('Every session of sam ended.');
    await sessions.getByText('No live sessions.').waitFor();
    assert.equal(errorCode(await app.graphql(MeDocument, { token: sam.token })), 'UNAUTHENTICATED');

    await mfa.getByRole('button', { name: 'Remove', exact: true }).click();
    await statusSays('The Authentication app factor is removed.');
    await mfa.getByText('No factors.').waitFor();
    const factors = await app.graphql(AdminUserMfaDocument, { token: admin.token, variables: { id: sam.id } });
    assert.deepEqual(
      [factors.data?.user?.mfaEnabled, factors.data?.user?.factors.length],
      [false, 0],
      JSON.stringify(factors),
    );
  });

  it('deactivates and reactivates a user, then deletes them after the username is typed', async () => {
    await signUpAndLogIn(app, 'dee');
    const signIn = () =>
      app.graphql(LoginDocument, { variables: { input: { username: 'dee', password: TEST_PASSWORD } } });
    await openUser('dee');

    await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
    await page.getByRole('button', { name: 'Reactivate', exact: true }).waitFor();
    await page.getByText('Deactivated: cannot sign in').waitFor();
    assert.equal(errorCode(await signIn()), 'INVALID_CREDENTIALS', 'a deactivated account cannot sign in');
    await page.getByRole('button', { name: 'Reactivate', exact: true }).click();
    await page.getByRole('button', { name: 'Deactivate', exact: true }).waitFor();
    assert.ok((await signIn()).data?.login.accessToken, 'signs in again');

    await page.getByRole('button', { name: 'Require password reset', exact: true }).click();
    await statusSays('dee must choose a new password before signing in again');
    assert.equal(errorCode(await signIn()), 'PASSWORD_RESET_REQUIRED');

    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete dee', exact: true });
    await dialog.waitFor();
    await assertAccessible(page, 'the delete dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete', exact: true });
    assert.equal(await confirm.isDisabled(), true, 'not before the username is typed');
    await dialog.getByLabel('Type the username to confirm', { exact: true }).fill('dee');
    await confirm.click();
    await page.getByRole('heading', { name: 'Users', exact: true, level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/admin');
    const gone = await app.graphql(UserByNameDocument, { token: admin.token, variables: { username: 'dee' } });
    assert.deepEqual([gone.data?.user, gone.errors], [null, undefined]);
  });

  it('says when there is no such user, and shows the API’s refusal of a change to an admin', async () => {
    await page.goto(`${app.url}/admin/users/nobody-here`);
    await page.getByRole('heading', { name: 'User not found', exact: true }).waitFor();
    await page.getByText('There is no user named “nobody-here”.').waitFor();
    await assertAccessible(page, 'a user that does not exist');

    await openUser(ADMIN_ENV.ADMIN_USERNAME);
    await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
    // The API's reason, in the alert itself.
    await page.getByRole('alert').filter({ hasText: 'An admin account cannot be deactivated' }).waitFor();
    await assertAccessible(page, 'a refused change');
    const root = await app.graphql(UserByNameDocument, {
      token: admin.token,
      variables: { username: ADMIN_ENV.ADMIN_USERNAME },
    });
    assert.equal(root.data?.user?.active, true);
    assert.deepEqual(csp, [], 'no Content-Security-Policy refusals');
  });
});
