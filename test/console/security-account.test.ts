import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { ApiKeysDocument, LoginDocument, MeDocument, MyEmailDocument, SessionsDocument } from '../generated/graphql.js';
import { TEST_PASSWORD } from '../support/accounts.js';
import { ADMIN_ENV, adminWithMfa } from '../support/admin.js';
import { userWithTotp, type MfaUser } from '../support/attacker.js';
import { assertAccessible, collectCspViolations, launchChromium, screenshot } from '../support/browser.js';
import { nextMail, VERIFICATION_SUBJECT } from '../support/email.js';
import { signInWithTotp, TestClock, totpCode } from '../support/mfa.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { errorCode, startTestApp, type TestApp } from '../support/test-app.js';
import { loginWithDevice, rememberedSignIn, setPolicy } from '../support/trusted-devices.js';

// The security page's account sections in Debian's Chromium against the whole service: sessions, remembered
// devices, API keys, password and e-mail address. What the page did is checked through the API too: a session
// signed out, a key revoked, a password changed really are so.

/** Longer than the 5 minutes a second-factor proof lasts for sensitive changes (step-up). */
const PAST_STEP_UP_MS = 6 * 60_000;

describe('web console: sessions, devices, API keys, password and e-mail on the security page', () => {
  const clock = new TestClock();
  let sink: SmtpSink;
  let app: TestApp;
  let browser: Browser;

  before(async () => {
    sink = await startSmtpSink();
    app = await startTestApp({ SMTP_URL: sink.url, ...ADMIN_ENV }, { clock: clock.now });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
    await sink?.stop();
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page; csp: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
    const page = await context.newPage();
    return { context, page, csp: collectCspViolations(page) };
  }

  /** Password and a code from the user's app in the browser, then the security page from the user menu. */
  async function signInToSecurity(page: Page, user: Pick<MfaUser, 'username' | 'totp'>): Promise<void> {
    clock.nextStep();
    await page.goto(app.url);
    await page.getByLabel('Username', { exact: true }).fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Verify it is you' }).waitFor();
    await page.getByLabel('Code', { exact: true }).fill(totpCode(user.totp.secret, clock));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByRole('heading', { name: `Welcome, ${user.username}` }).waitFor();
    clock.nextStep();
    await page.getByRole('button', { name: user.username, exact: true }).click();
    await page.getByRole('menu').getByRole('menuitem', { name: 'Security', exact: true }).click();
    await page.getByRole('heading', { name: 'Security', level: 1 }).waitFor();
  }

  function section(page: Page, title: string): Locator {
    return page.getByRole('region', { name: title, exact: true });
  }

  /** The browser's session token, from its HttpOnly cookie (the test may read it; the page cannot). */
  async function browserToken(context: BrowserContext): Promise<string> {
    const cookie = (await context.cookies(app.url)).find((candidate) => candidate.name === 'mfa_session');
    assert.ok(cookie, 'an mfa_session cookie');
    return cookie.value;
  }

  async function assertRefused(token: string, what: string): Promise<void> {
    const answer = await app.graphql(MeDocument, { token });
    assert.equal(errorCode(answer), 'UNAUTHENTICATED', `${what}: ${JSON.stringify(answer)}`);
  }

  async function assertAccepted(token: string, username: string, what: string): Promise<void> {
    const answer = await app.graphql(MeDocument, { token });
    assert.equal(answer.data?.me?.username, username, `${what}: ${JSON.stringify(answer)}`);
  }

  async function statusSays(scope: Locator, text: string | RegExp): Promise<void> {
    await scope.getByRole('status').filter({ hasText: text }).waitFor();
  }

  it('lists the sessions, signs one out, then every other, then this one', async () => {
    const sam = await userWithTotp(app, clock, 'sam');
    const { context, page, csp } = await newPage();
    try {
      await signInToSecurity(page, sam);
      const sessions = section(page, 'Sessions');
      const rows = sessions.locator('tbody tr');
      await rows.nth(1).waitFor();
      assert.equal(await rows.count(), 2, 'the API session and this browser');
      const current = rows.filter({ hasText: 'This device' });
      assert.equal(await current.count(), 1);
      // The browser's row names it briefly (Chromium on Linux), not as the raw User-Agent header.
      assert.match((await current.getByRole('rowheader').textContent()) ?? '', /^Chrome on Linux\s*This device$/);
      assert.match((await current.locator('td').nth(1).textContent()) ?? '', /^Authentication app$/);
      await section(page, 'Remembered devices').getByText('No remembered devices.').waitFor();
      await assertAccessible(page, 'the security page');
      // The sessions table at the top of the picture (the test's TypeScript has no DOM types, so the function is text).
      await page.evaluate(
        "[...document.querySelectorAll('section h2')].find((h) => h.textContent === 'Sessions').scrollIntoView()",
      );
      await screenshot(page, 'security-sessions');

      // The other row's "Sign out": its token is refused from then on, this browser stays signed in.
      await assertAccepted(sam.token, 'sam', 'the API session before');
      await rows.filter({ hasNotText: 'This device' }).getByRole('button', { name: 'Sign out', exact: true }).click();
      await statusSays(sessions, 'That session was signed out.');
      assert.equal(await rows.count(), 1);
      await assertRefused(sam.token, 'the session signed out from the table');

      // "Sign out everywhere else": how many ended, each of their tokens refused, this one kept.
      const others = [
        await signInWithTotp(app, 'sam', sam.totp, clock),
        await signInWithTotp(app, 'sam', sam.totp, clock),
      ];
      await page.reload();
      await rows.nth(2).waitFor();
      await sessions.getByRole('button', { name: 'Sign out everywhere else', exact: true }).click();
      await statusSays(sessions, 'Signed out 2 other sessions.');
      assert.equal(await rows.count(), 1);
      for (const token of others) await assertRefused(token, 'a session ended by "Sign out everywhere else"');
      const mine = await browserToken(context);
      await assertAccepted(mine, 'sam', 'this browser after "Sign out everywhere else"');
      await page.getByRole('button', { name: 'sam', exact: true }).waitFor();

      // "Sign out" on this device's own row signs this browser out.
      await rows.filter({ hasText: 'This device' }).getByRole('button', { name: 'Sign out', exact: true }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await assertRefused(mine, 'the browser session signed out from its own row');
      assert.deepEqual(csp, [], 'no Content-Security-Policy refusal');
    } finally {
      await context.close();
    }
  });

  it('creates an API key whose secret, shown once, works as a Bearer token until it is revoked', async () => {
    const kim = await userWithTotp(app, clock, 'kim');
    const { context, page, csp } = await newPage();
    try {
      await signInToSecurity(page, kim);
      const keys = section(page, 'API keys');
      await keys.getByText('No API keys.').waitFor();
      await keys.getByRole('button', { name: 'Create API key', exact: true }).click();
      const create = page.getByRole('dialog', { name: 'Create API key', exact: true });
      await create.waitFor();
      await assertAccessible(page, 'the "Create API key" dialog');
      // A name is needed: said in the dialog, nothing created.
      await create.getByRole('button', { name: 'Create', exact: true }).click();
      await create.getByRole('alert').filter({ hasText: 'Give the key a name' }).waitFor();
      // A key outlives the session and skips MFA: past 5 minutes, minting one asks for the second factor, on top.
      clock.advance(PAST_STEP_UP_MS);
      await create.getByLabel('Name', { exact: true }).fill('nightly backup');
      await create.getByRole('button', { name: 'Create', exact: true }).click();
      const confirm = page.getByRole('dialog', { name: 'Confirm it is you', exact: true });
      await confirm.waitFor();
      await confirm.getByLabel('Code', { exact: true }).fill(totpCode(kim.totp.secret, clock));
      await confirm.getByRole('button', { name: 'Verify', exact: true }).click();

      const shown = page.getByRole('dialog', { name: 'Your new API key', exact: true });
      await shown.waitFor();
      await shown.getByText('it will not be shown again').waitFor();
      const secret = await shown.getByLabel('API key', { exact: true }).inputValue();
      assert.match(secret, /^mfa_ak_/);
      await assertAccessible(page, 'the new API key dialog');
      await shown.getByRole('button', { name: 'Copy', exact: true }).click();
      await statusSays(shown, 'Copied to the clipboard.');
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret);
      await assertAccepted(secret, 'kim', 'the new API key as a Bearer token');
      await shown.getByRole('button', { name: 'Done', exact: true }).click();
      assert.equal(await page.getByRole('dialog').count(), 0);

      // The list shows the key by name and its first characters, never the whole secret.
      const row = keys.locator('tbody tr').filter({ hasText: 'nightly backup' });
      await row.waitFor();
      const listed = (await row.textContent()) ?? '';
      assert.ok(listed.includes(secret.slice(0, 11)), listed);
      assert.ok(!listed.includes(secret), 'the secret is not listed');
      await page.reload();
      await keys.locator('tbody tr').first().waitFor();
      assert.ok(!(await page.content()).includes(secret), 'the secret is gone after a reload');

      await row.getByRole('button', { name: 'Revoke', exact: true }).click();
      await statusSays(keys, 'The key "nightly backup" was revoked.');
      await keys.getByText('No API keys.').waitFor();
      await assertRefused(secret, 'the revoked API key');
      const left = await app.graphql(ApiKeysDocument, { token: await browserToken(context) });
      assert.deepEqual(left.data?.apiKeys, [], JSON.stringify(left));
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });

  it('changes the password after an inline "Confirm it is you", and changes nothing when it is cancelled', async () => {
    const pat = await userWithTotp(app, clock, 'pat');
    const newPassword = 'a brand new passphrase 2';
    const { context, page, csp } = await newPage();
    try {
      await signInToSecurity(page, pat);
      const password = section(page, 'Password');
      const fill = async (current: string, next: string, confirm = next) => {
        await password.getByLabel('Current password', { exact: true }).fill(current);
        await password.getByLabel('New password', { exact: true }).fill(next);
        await password.getByLabel('Confirm new password', { exact: true }).fill(confirm);
        await password.getByRole('button', { name: 'Change password', exact: true }).click();
      };
      const alert = password.getByRole('alert');
      const loginAnswer = async (candidate: string) => {
        const login = await app.graphql(LoginDocument, {
          variables: { input: { username: 'pat', password: candidate } },
        });
        return login.data?.login.mfaRequired ? 'signs in' : errorCode(login);
      };

      // The confirmation must match; said before anything is sent.
      await fill(TEST_PASSWORD, newPassword, `${newPassword}x`);
      await alert.filter({ hasText: 'The new password and its confirmation differ.' }).waitFor();
      assert.equal(
        await password.getByLabel('Confirm new password', { exact: true }).getAttribute('aria-invalid'),
        'true',
      );

      // The sign-in's proof is older than 5 minutes now: the API asks for a fresh one, the dialog opens in place.
      clock.advance(PAST_STEP_UP_MS);
      await fill(TEST_PASSWORD, newPassword);
      const confirm = page.getByRole('dialog', { name: 'Confirm it is you', exact: true });
      await confirm.waitFor();
      await assertAccessible(page, 'the "Confirm it is you" dialog');
      await screenshot(page, 'security-password-step-up');

      // Cancelled: a clear message, and the password is what it was.
      await confirm.getByRole('button', { name: 'Cancel', exact: true }).click();
      await alert.filter({ hasText: 'Nothing was changed: the second factor was not confirmed.' }).waitFor();
      assert.equal(await confirm.count(), 0);
      assert.equal(await loginAnswer(TEST_PASSWORD), 'signs in', 'the old password still signs in');
      assert.equal(await loginAnswer(newPassword), 'INVALID_CREDENTIALS', 'the new one does not');

      // Again, with the code: the dialog closes, the change runs once more and is done.
      const other = await signInWithTotp(app, 'pat', pat.totp, clock);
      await password.getByRole('button', { name: 'Change password', exact: true }).click();
      await confirm.waitFor();
      await confirm.getByLabel('Code', { exact: true }).fill(totpCode(pat.totp.secret, clock));
      await confirm.getByRole('button', { name: 'Verify', exact: true }).click();
      await statusSays(password, 'Your password was changed. Your other sessions were signed out');
      assert.equal(await confirm.count(), 0);
      assert.equal(await alert.count(), 0);
      clock.nextStep();
      assert.equal(await loginAnswer(newPassword), 'signs in', 'the new password signs in');
      assert.equal(await loginAnswer(TEST_PASSWORD), 'INVALID_CREDENTIALS', 'the old one no longer');
      await assertRefused(other, 'another session after the change');
      await assertAccepted(await browserToken(context), 'pat', 'this browser after the change');
      // The sessions table, loaded again, has only this browser left.
      const sessionRows = section(page, 'Sessions').locator('tbody tr');
      await sessionRows.filter({ hasNotText: 'This device' }).first().waitFor({ state: 'detached' });
      assert.equal(await sessionRows.count(), 1);

      // A new password the API refuses: its own message, on the "New password" field (the proof is fresh now).
      await fill(newPassword, 'password');
      await alert.waitFor();
      const refusal = (await alert.textContent()) ?? '';
      assert.match(refusal, /^The password must be at least \d+ characters long\./);
      assert.equal(await password.getByLabel('New password', { exact: true }).getAttribute('aria-invalid'), 'true');
      assert.equal(await page.evaluate('document.activeElement?.getAttribute("role")'), 'alert');

      // A wrong current password says so, not sign-in's "username or password".
      await fill('not my password at all', 'another long passphrase 3');
      await alert.filter({ hasText: 'The current password is wrong.' }).waitFor();
      assert.equal(await loginAnswer(newPassword), 'signs in', 'the password is unchanged');
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });

  it('sends a verification e-mail, and changes the address (after step-up) by a link mailed to the new one', async () => {
    const eva = await userWithTotp(app, clock, 'eva');
    const { context, page, csp } = await newPage();
    try {
      await signInToSecurity(page, eva);
      const email = section(page, 'E-mail address');
      await email.getByText('eva@example.com').waitFor();
      await email.getByText('Not verified').waitFor();

      let seen = sink.mails.length;
      await email.getByRole('button', { name: 'Send verification e-mail', exact: true }).click();
      await statusSays(email, 'We sent a verification link to eva@example.com.');
      await nextMail(sink, 'eva@example.com', VERIFICATION_SUBJECT, seen);

      clock.advance(PAST_STEP_UP_MS);
      seen = sink.mails.length;
      await email.getByLabel('New e-mail address', { exact: true }).fill('eva.new@example.org');
      await email.getByRole('button', { name: 'Change e-mail', exact: true }).click();
      const confirm = page.getByRole('dialog', { name: 'Confirm it is you', exact: true });
      await confirm.waitFor();
      await confirm.getByLabel('Code', { exact: true }).fill(totpCode(eva.totp.secret, clock));
      await confirm.getByRole('button', { name: 'Verify', exact: true }).click();
      await statusSays(email, 'We sent a link to eva.new@example.org.');
      const mail = await nextMail(sink, 'eva.new@example.org', VERIFICATION_SUBJECT, seen);
      assert.ok(mail.envelopeTo.includes('eva.new@example.org'));
      // Until the link is opened the address stays the old one.
      const me = await app.graphql(MyEmailDocument, { token: await browserToken(context) });
      assert.equal(me.data?.me?.email, 'eva@example.com');
      await assertAccessible(page, 'the e-mail section after a change');
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });

  it('signs a remembered device out: it needs the second factor again and the session it opened ends', async () => {
    const admin = await adminWithMfa(app, clock);
    await setPolicy(app, admin, { trustedDeviceDays: 30 });
    const tom = await userWithTotp(app, clock, 'tom');
    const { deviceToken } = await rememberedSignIn(app, tom, clock);
    assert.ok(deviceToken, 'a device token');
    const remembered = await loginWithDevice(app, 'tom', deviceToken);
    assert.equal(remembered.data?.login.mfaRequired, false, JSON.stringify(remembered));
    const deviceSession = remembered.data.login.accessToken!;
    await assertAccepted(deviceSession, 'tom', 'the session the device opened');

    const { context, page, csp } = await newPage();
    try {
      await signInToSecurity(page, tom);
      const devices = section(page, 'Remembered devices');
      const rows = devices.locator('tbody tr');
      await rows.first().waitFor();
      assert.equal(await rows.count(), 1);
      await assertAccessible(page, 'the security page with a remembered device');
      await rows.first().getByRole('button', { name: 'Sign out', exact: true }).click();
      await statusSays(devices, 'That device was signed out.');
      await devices.getByText('No remembered devices.').waitFor();

      const again = await loginWithDevice(app, 'tom', deviceToken);
      assert.equal(again.data?.login.mfaRequired, true, 'the device no longer skips the second factor');
      await assertRefused(deviceSession, 'the session the forgotten device opened');
      const listed = await app.graphql(SessionsDocument, { token: await browserToken(context) });
      assert.equal(
        listed.data?.sessions.some((session) => session.current),
        true,
        'this browser stays signed in',
      );
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });
});
