import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AuditEventsDocument, LoginDocument, MyMfaDocument, VerifyMfaDocument } from '../generated/graphql.js';
import { TEST_PASSWORD } from '../support/accounts.js';
import { userWithTotp, type MfaUser } from '../support/attacker.js';
import { assertAccessible, collectCspViolations, launchChromium, screenshot } from '../support/browser.js';
import { enrollEmail } from '../support/email.js';
import { mfaToken, TestClock, totpCode } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';

// The security page's second factors, recovery codes and recent events in Debian's Chromium against the whole
// service: disabling multifactor authentication (password + code), removing one factor with a recovery code,
// renaming, regenerating the recovery codes, and the events list. Users and their factors are set up through the
// API; what each test is about happens in the page, and the API confirms it.

describe('web console: second factors, recovery codes and events on the security page', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  let browser: Browser;

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ SMTP_URL: sink.url, MFA_ISSUER: 'Security Test' }, { clock: clock.now });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await sink?.stop();
  });

  /** A browser holding `token` as its mfa_session cookie, as the console's own sign-in would leave it. */
  async function signedInPage(token: string): Promise<{ context: BrowserContext; page: Page; csp: string[] }> {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
    await context.addCookies([{ name: 'mfa_session', value: token, url: app.url, httpOnly: true, sameSite: 'Strict' }]);
    const page = await context.newPage();
    return { context, page, csp: collectCspViolations(page) };
  }

  async function openSecurity(page: Page): Promise<void> {
    await page.goto(`${app.url}/security`);
    await page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
  }

  async function myMfa(token: string) {
    const result = await app.graphql(MyMfaDocument, { token });
    assert.ok(result.data?.me, JSON.stringify(result.errors));
    return result.data.me;
  }

  function factorsRegion(page: Page) {
    return page.getByRole('region', { name: 'Second factors', exact: true });
  }

  function rowOf(page: Page, method: string) {
    return factorsRegion(page)
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: method }) });
  }

  /** A recovery code through verifyMfa at sign-in: whether the API takes it. */
  async function recoveryCodeSignsIn(username: string, recoveryCode: string): Promise<{ ok: boolean; code?: string }> {
    const verified = await app.graphql(VerifyMfaDocument, {
      variables: { input: { mfaToken: await mfaToken(app, username), recoveryCode } },
    });
    return { ok: Boolean(verified.data?.verifyMfa.accessToken), code: errorCode(verified) };
  }

  it('disables multifactor authentication with password and code; a wrong password removes nothing', async () => {
    const sam: MfaUser = await userWithTotp(app, clock, 'sam');
    const { context, page, csp } = await signedInPage(sam.token);
    try {
      await openSecurity(page);
      await rowOf(page, 'Authentication app').waitFor();
      await page.getByText(`${sam.totp.scratchCodes.length} recovery codes are left.`, { exact: false }).waitFor();
      await assertAccessible(page, 'the security page');

      await page.getByRole('button', { name: 'Disable multifactor authentication', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Disable multifactor authentication', exact: true });
      await dialog.waitFor();
      await assertAccessible(page, 'the disable dialog');
      await screenshot(page, 'security-disable');

      // A wrong password: a clear message, focused, and every factor still there.
      await dialog.getByLabel('Password', { exact: true }).fill('not the password');
      await dialog.getByLabel('Code', { exact: true }).fill(totpCode(sam.totp.secret, clock));
      await dialog.getByRole('button', { name: 'Disable', exact: true }).click();
      const alert = dialog.getByRole('alert');
      await alert.waitFor();
      assert.equal((await alert.textContent())?.trim(), 'The password is wrong. Nothing was removed.');
      assert.equal(await page.evaluate('document.activeElement?.getAttribute("role")'), 'alert');
      let mfa = await myMfa(sam.token);
      assert.equal(mfa.mfaEnabled, true);
      assert.equal(mfa.factors.length, 1);

      clock.nextStep();
      await dialog.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      await dialog.getByLabel('Code', { exact: true }).fill(totpCode(sam.totp.secret, clock));
      await dialog.getByRole('button', { name: 'Disable', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      await factorsRegion(page)
        .getByRole('status')
        .filter({ hasText: 'Multifactor authentication is off: every second factor was removed.' })
        .waitFor();
      await factorsRegion(page).getByText('You have no second factor').waitFor();
      await page.getByText('Recovery codes come with a second factor').waitFor();
      // The removed row's button had the focus; it moves to what happened.
      await page.waitForFunction('document.activeElement?.getAttribute("role") === "status"');

      mfa = await myMfa(sam.token);
      assert.equal(mfa.mfaEnabled, false);
      assert.deepEqual(mfa.factors, []);
      assert.equal(mfa.recoveryCodesRemaining, 0);

      // The app's own view of the account followed: the home page says MFA is off.
      await page.getByRole('link', { name: 'MFA console' }).click();
      await page.getByText('Your account does not use multifactor authentication yet.', { exact: false }).waitFor();
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });

  it('renames a factor, and removes one of two factors with a recovery code', async () => {
    const tia = await userWithTotp(app, clock, 'tia');
    const email = await enrollEmail(app, sink, tia.token, 'tia@example.com');
    const { context, page, csp } = await signedInPage(tia.token);
    try {
      await openSecurity(page);
      await rowOf(page, 'One-time e-mail password').waitFor();
      assert.equal(await factorsRegion(page).getByRole('row').count(), 3, 'a header row and two factors');

      // Rename the app inline: "Name", "Save"; the table and the API show the new name.
      const appRow = rowOf(page, 'Authentication app');
      await appRow.getByRole('button', { name: 'Rename', exact: true }).click();
      const name = appRow.getByLabel('Name', { exact: true });
      assert.equal(await page.evaluate('document.activeElement?.getAttribute("id")'), await name.getAttribute('id'));
      await assertAccessible(page, 'renaming a factor');
      await name.fill('work phone');
      await appRow.getByRole('button', { name: 'Save', exact: true }).click();
      await appRow.getByRole('cell', { name: 'work phone', exact: true }).waitFor();
      assert.equal(await appRow.getByLabel('Name', { exact: true }).count(), 0, 'the form closed');
      const renamed = (await myMfa(tia.token)).factors.find((factor) => factor.id === tia.totp.factorId);
      assert.equal(renamed?.description, 'work phone');

      // Cancel leaves the name as it was.
      await appRow.getByRole('button', { name: 'Rename', exact: true }).click();
      await appRow.getByLabel('Name', { exact: true }).fill('something else');
      await appRow.getByRole('button', { name: 'Cancel', exact: true }).click();
      await appRow.getByRole('cell', { name: 'work phone', exact: true }).waitFor();
      assert.equal(
        (await myMfa(tia.token)).factors.find((factor) => factor.id === tia.totp.factorId)?.description,
        'work phone',
      );

      // The whole page, populated, for the README.
      await page.getByRole('region', { name: 'Recent security events' }).getByRole('row').nth(3).waitFor();
      const height = await page.evaluate('document.documentElement.scrollHeight');
      await page.setViewportSize({ width: 1000, height: Number(height) });
      await screenshot(page, 'security');
      await page.setViewportSize({ width: 1000, height: 800 });

      const before = (await myMfa(tia.token)).recoveryCodesRemaining;
      await rowOf(page, 'One-time e-mail password').getByRole('button', { name: 'Remove', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Remove One-time e-mail password', exact: true });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Use a recovery code', exact: true }).click();
      await dialog.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      await dialog.getByLabel('Recovery code', { exact: true }).fill(tia.totp.scratchCodes[0]);
      await assertAccessible(page, 'the remove dialog with a recovery code');
      await dialog.getByRole('button', { name: 'Disable', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      await factorsRegion(page).getByRole('status').filter({ hasText: 'was removed.' }).waitFor();
      assert.equal(await rowOf(page, 'One-time e-mail password').count(), 0);
      assert.equal(await rowOf(page, 'Authentication app').count(), 1);

      const mfa = await myMfa(tia.token);
      assert.equal(mfa.mfaEnabled, true);
      assert.deepEqual(
        mfa.factors.map((factor) => factor.id),
        [tia.totp.factorId],
      );
      assert.ok(!mfa.factors.some((factor) => factor.id === email.factorId));
      assert.equal(mfa.recoveryCodesRemaining, before - 1, 'the recovery code was spent');
      await page.getByText(`${before - 1} recovery codes are left.`, { exact: false }).waitFor();
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });

  it('regenerates the recovery codes: Finish only once saved, the old codes stop working, the count shows', async () => {
    const uma = await userWithTotp(app, clock, 'uma');
    const { context, page, csp } = await signedInPage(uma.token);
    try {
      await openSecurity(page);
      const region = page.getByRole('region', { name: 'Recovery codes', exact: true });
      const issued = uma.totp.scratchCodes.length;
      await region.getByText(`${issued} recovery codes are left.`, { exact: false }).waitFor();

      await region.getByRole('button', { name: 'Regenerate', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Regenerate recovery codes', exact: true });
      await dialog.waitFor();
      assert.equal(
        await dialog.getByRole('button', { name: 'Use a recovery code' }).count(),
        0,
        'a recovery code cannot vouch for new ones',
      );
      await assertAccessible(page, 'the regenerate dialog');
      await dialog.getByLabel('Code', { exact: true }).fill(totpCode(uma.totp.secret, clock));
      await dialog.getByRole('button', { name: 'Regenerate', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });

      const list = region.getByRole('list', { name: 'Recovery codes', exact: true });
      await list.waitFor();
      const codes = (await list.getByRole('listitem').allTextContents()).map((code) => code.trim());
      assert.equal(codes.length, issued);
      assert.equal(codes.filter((code) => uma.totp.scratchCodes.includes(code)).length, 0, 'all new');
      const finish = region.getByRole('button', { name: 'Finish', exact: true });
      assert.equal(await finish.isDisabled(), true, 'Finish disabled until the codes are saved');
      await assertAccessible(page, 'the new recovery codes');
      await screenshot(page, 'security-recovery-codes');

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        region.getByRole('button', { name: 'Download', exact: true }).click(),
      ]);
      assert.match(download.suggestedFilename(), /-recovery-codes\.txt$/);
      assert.equal(await readFile(await download.path(), 'utf8'), codes.join('\n') + '\n');
      assert.equal(await finish.isEnabled(), true, 'Finish enabled after Download');
      await region.getByRole('button', { name: 'Copy', exact: true }).click();
      await region.getByRole('status').filter({ hasText: 'copied' }).waitFor();
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), codes.join('\n') + '\n');
      await finish.click();
      await list.waitFor({ state: 'detached' });
      await region.getByText(`${issued} recovery codes are left.`, { exact: false }).waitFor();

      // The API agrees: an old code no longer signs in, a new one does, and the page counts it.
      assert.deepEqual(await recoveryCodeSignsIn('uma', uma.totp.scratchCodes[0]), { ok: false, code: 'INVALID_CODE' });
      assert.deepEqual(await recoveryCodeSignsIn('uma', codes[0]), { ok: true, code: undefined });
      assert.equal((await myMfa(uma.token)).recoveryCodesRemaining, issued - 1);
      await page.reload();
      await region.getByText(`${issued - 1} recovery codes are left.`, { exact: false }).waitFor();
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });

  it('lists the sign-ins among the recent security events, 20 at a time with "Show more"', async () => {
    const vic = await userWithTotp(app, clock, 'vic');
    // A refused password and many sign-ins that stop at the second factor: more events than one page holds.
    const refused = await app.graphql(LoginDocument, { variables: { input: { username: 'vic', password: 'wrong' } } });
    assert.equal(errorCode(refused), 'INVALID_CREDENTIALS');
    for (let index = 0; index < 22; index++) await mfaToken(app, 'vic');

    // The sign-in this test reads about: through the console, with the app's code.
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    try {
      const page = await context.newPage();
      clock.nextStep();
      await page.goto(app.url);
      await page.getByLabel('Username', { exact: true }).fill('vic');
      await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByLabel('Code', { exact: true }).fill(totpCode(vic.totp.secret, clock));
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      await page.getByRole('heading', { name: 'Welcome, vic' }).waitFor();
      await page.getByRole('button', { name: 'vic', exact: true }).click();
      await page.getByRole('menuitem', { name: 'Security', exact: true }).click();

      const events = page.getByRole('region', { name: 'Recent security events', exact: true });
      const rows = events.getByRole('row');
      await rows.nth(1).waitFor();
      assert.equal(await rows.count(), 21, 'a header row and the first 20 events');
      const newest = rows.nth(1).getByRole('cell');
      assert.equal(await newest.nth(1).textContent(), 'Signed in with Authentication app');
      assert.match((await newest.nth(2).textContent()) ?? '', /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
      assert.ok(await newest.nth(0).locator('time').getAttribute('datetime'));
      assert.equal(
        await rows.nth(2).getByRole('cell').nth(1).textContent(),
        'Second factor accepted: Authentication app',
      );
      await assertAccessible(page, 'the events list');

      // "Show more" until the last page: every event of vic's, in the API's order, none twice and no one else's.
      const showMore = events.getByRole('button', { name: 'Show more', exact: true });
      while ((await showMore.count()) > 0) {
        const shown = await rows.count();
        await showMore.click();
        await rows.nth(shown).waitFor();
      }
      const listed = await Promise.all(
        (await events.locator('tbody tr time').all()).map((time) => time.getAttribute('datetime')),
      );
      const api = await app.graphql(AuditEventsDocument, { token: vic.token, variables: { first: 100 } });
      const fromApi = api.data?.auditEvents.edges.map((edge) => edge.node) ?? [];
      assert.ok(fromApi.length > 20 && fromApi.length < 100, `${fromApi.length} events`);
      assert.ok(fromApi.every((event) => event.userId === vic.id));
      assert.deepEqual(
        listed,
        fromApi.map((event) => event.createdAt),
      );
      const whats = await events.locator('tbody tr td:nth-child(2)').allTextContents();
      assert.ok(whats.includes('Sign-in failed'), 'the refused password is listed');
      assert.ok(whats.includes('Password accepted, second factor asked'));
      assert.equal(whats.at(-1), 'Account created', 'back to the sign-up');
      // With "Show more" gone, the focus is on the line that says the list is complete.
      await page.waitForFunction(`document.activeElement?.textContent === 'All ${fromApi.length} events are shown.'`);
    } finally {
      await context.close();
    }
  });
});
