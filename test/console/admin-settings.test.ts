import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FactorTypesDocument, FilteredAuditEventsDocument, LoginDocument } from '../generated/graphql.js';
import { TEST_PASSWORD, signUpAndLogIn } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa, type MfaAdmin } from '../support/admin.js';
import { assertAccessible, collectCspViolations, launchChromium, screenshot } from '../support/browser.js';
import { TestClock, totpCode } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../mail/mail-harness.js';

// The admin console's policy, audit log and mail queue pages, driven by an admin who signs in with a code: allowed
// methods hide a type from the enrollment wizard (with the step-up asked inline), the audit log narrows by event type
// and by user and pages, and the mail queue shows a failed mail's reason without its recipient.

const STEP_UP_WINDOW_MS = 5 * 60_000;

describe('web console: admin policy, audit log and mail queue in a browser', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  let admin: MfaAdmin;
  let browser: Browser;
  let adminContext: BrowserContext;
  let page: Page;
  let csp: string[];
  let omarId: string;

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ ...ADMIN_ENV, SMTP_URL: sink.url }, { clock: clock.now });
    admin = await adminWithMfa(app, clock);
    await signUpAndLogIn(app, 'nina');
    omarId = (await signUpAndLogIn(app, 'omar')).id;
    // More accounts, so the unfiltered audit log has more than one page.
    for (const name of ['pia', 'quinn', 'rosa', 'sam', 'tess']) await signUpAndLogIn(app, name);
    browser = await launchChromium();
    adminContext = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    page = await adminContext.newPage();
    csp = collectCspViolations(page);
    clock.nextStep(); // past the code the enrollment spent
    await signIn(page, ADMIN_ENV.ADMIN_USERNAME, ADMIN_ENV.ADMIN_PASSWORD);
    await page.getByLabel('Code', { exact: true }).fill(totpCode(admin.totp.secret, clock));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByRole('heading', { name: `Welcome, ${ADMIN_ENV.ADMIN_USERNAME}` }).waitFor();
    clock.nextStep(); // the code is spent: the step-up below needs the next one
  });

  after(async () => {
    assert.deepEqual(csp ?? [], [], 'no CSP violation on the admin pages');
    await browser?.close();
    await app?.stop();
    await sink?.stop();
  });

  async function signIn(target: Page, username: string, password: string): Promise<void> {
    await target.goto(app.url);
    await target.getByLabel('Username', { exact: true }).fill(username);
    await target.getByLabel('Password', { exact: true }).fill(password);
    await target.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function openAdminSection(name: string): Promise<void> {
    if (!new URL(page.url()).pathname.startsWith('/admin')) {
      await page.getByRole('button', { name: ADMIN_ENV.ADMIN_USERNAME, exact: true }).click();
      await page.getByRole('menuitem', { name: 'Admin', exact: true }).click();
    }
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
  }

  const allowedTypes = async () =>
    (await app.graphql(FactorTypesDocument, { token: admin.token }))
      .data!.factorTypes.filter((type) => type.allowed)
      .map((type) => type.type);

  async function wizardOptions(user: Page): Promise<string[]> {
    await user.getByRole('button', { name: 'nina', exact: true }).click();
    await user.getByRole('menuitem', { name: 'Enroll in multifactor authentication', exact: true }).click();
    await user.getByRole('radio').first().waitFor();
    // Each radio is inside its label, whose text is its accessible name.
    return (await user.locator('label:has(input[type="radio"])').allTextContents()).map((name) => name.trim());
  }

  it('"Allowed methods" hides a type from the enrollment wizard, after an inline step-up, and shows it again', async () => {
    await openAdminSection('Policy');
    const methods = page.getByRole('group', { name: 'Allowed methods', exact: true });
    const emailBox = methods.getByRole('checkbox', { name: 'One-time e-mail password', exact: true });
    assert.equal(await emailBox.isChecked(), true);
    assert.equal(await methods.getByRole('checkbox').count(), 3);
    assert.equal(await page.getByLabel('Trusted device days', { exact: true }).inputValue(), '0');
    await assertAccessible(page, 'the policy page');
    await screenshot(page, 'admin-policy');

    // The admin's second factor is more than 5 minutes old: saving asks for it again, inline, then saves.
    clock.advance(STEP_UP_WINDOW_MS + 60_000);
    await emailBox.uncheck();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.waitFor();
    await assertAccessible(page, 'the step-up dialog on the policy page');
    await stepUp.getByLabel('Code', { exact: true }).fill(totpCode(admin.totp.secret, clock));
    await stepUp.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'The policy is saved.' }).waitFor();
    assert.equal(await stepUp.count(), 0);
    assert.deepEqual((await allowedTypes()).sort(), ['totp', 'webauthn']);

    const userContext = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    try {
      const user = await userContext.newPage();
      await signIn(user, 'nina', TEST_PASSWORD);
      await user.getByRole('button', { name: 'nina', exact: true }).waitFor();
      assert.deepEqual(await wizardOptions(user), ['Authentication app', 'Passkey']);
      assert.equal(await user.getByRole('radio', { name: 'One-time e-mail password', exact: true }).count(), 0);

      // Checked again (the step-up is still fresh: no dialog), the wizard offers it again.
      await emailBox.check();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByRole('status').filter({ hasText: 'The policy is saved.' }).waitFor();
      assert.deepEqual((await allowedTypes()).sort(), ['email', 'totp', 'webauthn']);
      await user.goto(app.url);
      assert.deepEqual(await wizardOptions(user), ['Authentication app', 'One-time e-mail password', 'Passkey']);
    } finally {
      await userContext.close();
    }
  });

  it('shows why the API refuses a policy: no allowed method at all, a day count out of range', async () => {
    await openAdminSection('Policy');
    await page.reload();
    const methods = page.getByRole('group', { name: 'Allowed methods', exact: true });
    await methods.getByRole('checkbox').first().waitFor();
    for (const box of await methods.getByRole('checkbox').all()) await box.uncheck();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'Allow at least one factor type.' }).waitFor();
    assert.deepEqual((await allowedTypes()).sort(), ['email', 'totp', 'webauthn'], 'nothing changed');
    await assertAccessible(page, 'the policy page with an error');

    await page.reload();
    const days = page.getByLabel('Trusted device days', { exact: true });
    await days.waitFor();
    await days.fill('91');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await alert.filter({ hasText: 'Trusted device days must be a whole number from 0 to 90.' }).waitFor();
    assert.equal(await days.getAttribute('aria-invalid'), 'true');
  });

  it('filters the audit log by event type and by user, and pages through it', async () => {
    for (const username of ['nina', 'omar', 'omar'])
      await app.graphql(LoginDocument, { variables: { input: { username, password: 'not the password' } } });
    await openAdminSection('Audit log');
    const rows = page.locator('table tbody tr');
    await rows.first().waitFor();
    await assertAccessible(page, 'the audit log');
    const firstPage = await rows.allTextContents();
    assert.equal(firstPage.length, 20, 'a full first page');

    await page.getByRole('button', { name: 'Next page', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Page 2:/ })
      .waitFor();
    assert.match((await page.locator(':focus').textContent()) ?? '', /^Page 2:/, 'focus moves to the new page');
    const secondPage = await rows.allTextContents();
    assert.ok(secondPage.length > 0 && secondPage.every((row) => !firstPage.includes(row)));
    await page.getByRole('button', { name: 'Previous page', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Page 1:/ })
      .waitFor();
    assert.deepEqual(await rows.allTextContents(), firstPage);

    await page.getByLabel('Event type', { exact: true }).selectOption('sign_in.failed');
    await page.getByRole('button', { name: 'Apply filters', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Page 1: 3 events' }).waitFor();
    const failed = await rows.allTextContents();
    assert.ok(failed.every((row) => row.includes('sign_in.failed')));
    assert.deepEqual(
      failed.map((row) => (row.includes('omar') ? 'omar' : row.includes('nina') ? 'nina' : row)).sort(),
      ['nina', 'omar', 'omar'],
    );

    await page.getByLabel('Username', { exact: true }).fill('omar');
    await page.getByRole('button', { name: 'Apply filters', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Page 1: 2 events' }).waitFor();
    assert.ok((await rows.allTextContents()).every((row) => row.includes('omar') && row.includes('sign_in.failed')));
    await screenshot(page, 'admin-audit');

    // The same filters through the API agree.
    const api = await app.graphql(FilteredAuditEventsDocument, {
      token: admin.token,
      variables: { userId: omarId, types: ['sign_in.failed'] },
    });
    assert.equal(api.data!.auditEvents.edges.length, 2);

    await page.getByLabel('Username', { exact: true }).fill('nobody-here');
    await page.getByRole('button', { name: 'Apply filters', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'No user is named “nobody-here”.' }).waitFor();
    assert.equal(await page.getByLabel('Username', { exact: true }).getAttribute('aria-invalid'), 'true');
  });

  it("shows the mail queue's counts and a failed mail's reason, never its recipient or code", async () => {
    const to = 'nina.secret@example.org';
    const code = '604713';
    sink.rejectRcpt(550, 1);
    await app.mail.sender.send({ template: 'mfa-code', to, params: { code, minutes: 10 } });
    await waitFor('the failed mail', async () => (await app.mail.health()).failed === 1);

    await openAdminSection('Mail queue');
    const failedMails = page.getByRole('region', { name: 'Failed mails' });
    const row = failedMails.locator('tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    const text = (await row.textContent()) ?? '';
    assert.match(text, /mfa-code/);
    assert.match(text, /SMTP 550 after RCPT TO: (550 )?<address>: test rejection/);
    const jobs = page.getByRole('region', { name: 'Jobs' });
    assert.equal(await jobs.getByRole('definition').nth(3).textContent(), '1', 'Failed: 1');
    assert.match(
      (await jobs.textContent()) ?? '',
      /This server delivers the queued mails itself \(MAIL_WORKER=inline\), over SMTP\./,
    );
    const whole = await page.content();
    for (const secret of [to, 'nina.secret', code]) assert.ok(!whole.includes(secret), `${secret} is not on the page`);
    await assertAccessible(page, 'the mail queue');
    await screenshot(page, 'admin-mail');
  });
});
