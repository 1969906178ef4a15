import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { LogoutDocument, SignUpDocument } from '../generated/graphql.js';
import { TEST_PASSWORD } from '../support/accounts.js';
import { assertAccessible, collectCspViolations, launchChromium, screenshot } from '../support/browser.js';
import { userWithTotp } from '../support/attacker.js';
import { otherCode, TestClock, totpCode } from '../support/mfa.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// The web console in Debian's Chromium against the whole service (which serves web/dist from `npm run build`):
// sign-in, enrollment of an authenticator app, the recovery codes page, and signing in again with a code and with a
// recovery code, all found by the accessible names issue 14 fixes.

const ISSUER = 'Console Test';

/** Waits for the alert to show a text other than `before` (a new error, or the countdown's next second). */
async function alertChangedFrom(page: Page, before: string | undefined): Promise<void> {
  const alert = page.getByRole('alert');
  await (before ? alert.filter({ hasNotText: before }) : alert).waitFor();
}

describe('web console: self-service MFA in a browser', () => {
  const clock = new TestClock();
  let app: TestApp;
  let browser: Browser;

  before(async () => {
    app = await startTestApp({ MFA_ISSUER: ISSUER }, { clock: clock.now });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.stop();
  });

  async function signUp(username: string): Promise<void> {
    const result = await app.graphql(SignUpDocument, {
      variables: { input: { username, password: TEST_PASSWORD, email: `${username}@example.com` } },
    });
    assert.ok(result.data, JSON.stringify(result.errors));
  }

  async function newPage(): Promise<{ context: BrowserContext; page: Page; csp: string[] }> {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1000, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
    const page = await context.newPage();
    return { context, page, csp: collectCspViolations(page) };
  }

  async function signInWithPassword(page: Page, username: string): Promise<void> {
    await page.goto(app.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function openMenuItem(page: Page, username: string, item: string): Promise<void> {
    await page.getByRole('button', { name: username, exact: true }).click();
    await page.getByRole('menu').getByRole('menuitem', { name: item, exact: true }).click();
  }

  /** Enrolls the authenticator app from the user menu; returns the secret read from the page and the recovery codes. */
  async function enrollApp(page: Page, username: string, shoot = false): Promise<{ secret: string; codes: string[] }> {
    await openMenuItem(page, username, 'Enroll in multifactor authentication');
    await page.getByRole('heading', { name: 'Enroll in multifactor authentication' }).waitFor();
    if (shoot) {
      await assertAccessible(page, 'the enrollment choice');
      await screenshot(page, 'enroll-choose');
    }
    await page.getByRole('radio', { name: 'Authentication app', exact: true }).check();
    await page.getByRole('button', { name: 'Next', exact: true }).click();

    const qr = page.getByRole('img', { name: 'QR code', exact: true });
    await qr.waitFor();
    const box = await qr.boundingBox();
    assert.ok(box && box.width >= 200 && box.height >= 200, `QR code is ${box?.width}×${box?.height}`);
    assert.match((await qr.getAttribute('src')) ?? '', /^data:image\/svg\+xml/);
    const grouped = (await page.locator('code.secret').textContent()) ?? '';
    assert.match(grouped, /^([A-Z2-7]{4} )*[A-Z2-7]{1,4}$/, 'the secret in groups of four');
    const secret = grouped.replace(/ /g, '');
    if (shoot) {
      await assertAccessible(page, 'the authenticator app step');
      await screenshot(page, 'enroll-app');
    }

    await page.getByLabel('Code', { exact: true }).fill(totpCode(secret, clock));
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    const list = page.getByRole('list', { name: 'Recovery codes', exact: true });
    await list.waitFor();
    const codes = (await list.getByRole('listitem').allTextContents()).map((code) => code.trim());
    assert.ok(codes.length >= 5, `${codes.length} recovery codes`);
    assert.equal(await page.getByRole('button', { name: 'Finish', exact: true }).isDisabled(), true);
    return { secret, codes };
  }

  async function signOut(page: Page, username: string): Promise<void> {
    await openMenuItem(page, username, 'Sign out');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }

  it('signs in, enrolls an app, saves the codes by Copy, then signs in with a code and with a recovery code', async () => {
    await signUp('ada');
    const { context, page, csp } = await newPage();
    try {
      await page.goto(app.url);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await assertAccessible(page, 'the sign-in page');
      await screenshot(page, 'sign-in');

      // A wrong password: a clear message, focused, and no session.
      await page.getByLabel('Username', { exact: true }).fill('ada');
      await page.getByLabel('Password', { exact: true }).fill('not the password');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      const alert = page.getByRole('alert');
      assert.equal((await alert.textContent())?.trim(), 'The username or password is wrong.');
      assert.equal(await page.evaluate('document.activeElement?.getAttribute("role")'), 'alert');

      await signInWithPassword(page, 'ada');
      await page.getByRole('heading', { name: 'Welcome, ada' }).waitFor();
      // The session is the HttpOnly cookie, nothing a script can read or that the page stored.
      const cookies = await context.cookies(app.url);
      const session = cookies.find((cookie) => cookie.name === 'mfa_session');
      assert.ok(session?.httpOnly, 'an HttpOnly mfa_session cookie');
      assert.equal(await page.evaluate('document.cookie'), '');
      assert.equal(await page.evaluate('localStorage.length + sessionStorage.length'), 0);

      await page.getByRole('button', { name: 'ada', exact: true }).click();
      const menu = page.getByRole('menu');
      assert.deepEqual(await menu.getByRole('menuitem').allTextContents(), [
        'Enroll in multifactor authentication',
        'Security',
        'Sign out',
      ]);
      // Keyboard: the first item has focus, ArrowDown moves, Escape closes back onto the button.
      await page.keyboard.press('ArrowDown');
      assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Security');
      await assertAccessible(page, 'the open user menu');
      await screenshot(page, 'user-menu');
      await page.keyboard.press('Escape');
      assert.equal(await menu.count(), 0);
      assert.equal(await page.evaluate('document.activeElement?.textContent'), 'ada');

      const { secret, codes } = await enrollApp(page, 'ada', true);
      await assertAccessible(page, 'the recovery codes page');
      await screenshot(page, 'recovery-codes');
      await page.getByRole('button', { name: 'Copy', exact: true }).click();
      await page.getByText('Saved. You can finish now.').waitFor();
      const finish = page.getByRole('button', { name: 'Finish', exact: true });
      assert.equal(await finish.isEnabled(), true, 'Finish enabled after Copy');
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), codes.join('\n') + '\n');
      await finish.click();
      await page.getByText('Your account uses multifactor authentication.').waitFor();

      await signOut(page, 'ada');
      assert.equal(
        (await context.cookies(app.url)).some((cookie) => cookie.name === 'mfa_session'),
        false,
      );

      // Second step with the app: a wrong code says how many attempts are left, then the right one signs in.
      clock.nextStep();
      await signInWithPassword(page, 'ada');
      await page.getByRole('heading', { name: 'Verify it is you' }).waitFor();
      await assertAccessible(page, 'the second step');
      await screenshot(page, 'second-step');
      const right = totpCode(secret, clock);
      await page.getByLabel('Code', { exact: true }).fill(right === '000000' ? '111111' : '000000');
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      assert.match(
        (await page.getByRole('alert').textContent()) ?? '',
        /^That code is not right\. \d+ attempts? left\.$/,
      );
      assert.equal(await page.evaluate('document.activeElement?.getAttribute("role")'), 'alert');
      await page.getByLabel('Code', { exact: true }).fill(right);
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      await page.getByRole('heading', { name: 'Welcome, ada' }).waitFor();

      await signOut(page, 'ada');
      await signInWithPassword(page, 'ada');
      await page.getByRole('button', { name: 'Use a recovery code', exact: true }).click();
      await page.getByLabel('Recovery code', { exact: true }).fill(codes[0]);
      await page.getByRole('button', { name: 'Verify', exact: true }).click();
      await page.getByRole('heading', { name: 'Welcome, ada' }).waitFor();

      assert.deepEqual(csp, [], 'no Content-Security-Policy refusal');
    } finally {
      await context.close();
    }
  });

  it('enables Finish after Download, whose file holds the codes one a line, named after the issuer', async () => {
    await signUp('bea');
    const { context, page, csp } = await newPage();
    try {
      // Keyboard only: Tab reaches the fields in order, Enter submits.
      await page.goto(app.url);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.keyboard.press('Tab');
      await page.keyboard.type('bea');
      await page.keyboard.press('Tab');
      await page.keyboard.type(TEST_PASSWORD);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Welcome, bea' }).waitFor();
      const { codes } = await enrollApp(page, 'bea');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download', exact: true }).click(),
      ]);
      assert.equal(download.suggestedFilename(), 'Console-Test-recovery-codes.txt');
      assert.equal(await readFile(await download.path(), 'utf8'), codes.join('\n') + '\n');
      await page.getByText('Saved. You can finish now.').waitFor();
      const finish = page.getByRole('button', { name: 'Finish', exact: true });
      assert.equal(await finish.isEnabled(), true, 'Finish enabled after Download');

      // Before Finish, leaving the page asks first (the beforeunload handler cancels the unload); after it, not.
      const leavingAsks =
        "(() => { const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e); return e.defaultPrevented; })()";
      assert.equal(await page.evaluate(leavingAsks), true);

      await finish.click();
      await page.getByText('Your account uses multifactor authentication.').waitFor();
      assert.equal(await page.evaluate(leavingAsks), false);

      // The session ends elsewhere (here: logout with the cookie's token, as another client could): the next
      // request brings the console back to the sign-in, saying why.
      const session = (await context.cookies(app.url)).find((cookie) => cookie.name === 'mfa_session');
      assert.ok(session);
      const loggedOut = await app.graphql(LogoutDocument, { token: session.value });
      assert.equal(loggedOut.data?.logout, true, JSON.stringify(loggedOut.errors));
      await openMenuItem(page, 'bea', 'Enroll in multifactor authentication');
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.equal(((await page.getByRole('status').textContent()) ?? '').trim(), 'Your session ended. Sign in again.');
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });

  it('counts attempts down on wrong codes, then shows the lockout counting down, focused', async () => {
    const dan = await userWithTotp(app, clock, 'dan');
    const { context, page } = await newPage();
    try {
      clock.nextStep();
      await signInWithPassword(page, 'dan');
      await page.getByRole('heading', { name: 'Verify it is you' }).waitFor();
      const alert = page.getByRole('alert');
      const messages: string[] = [];
      for (let attempt = 0; attempt < 6; attempt++) {
        await page.getByLabel('Code', { exact: true }).fill(otherCode(totpCode(dan.totp.secret, clock)));
        const previous = messages.at(-1);
        await page.getByRole('button', { name: 'Verify', exact: true }).click();
        await alertChangedFrom(page, previous);
        messages.push(((await alert.textContent()) ?? '').trim());
      }
      assert.deepEqual(messages.slice(0, 5), [
        'That code is not right. 4 attempts left.',
        'That code is not right. 3 attempts left.',
        'That code is not right. 2 attempts left.',
        'That code is not right. 1 attempt left.',
        'That code is not right, and no attempts are left for now.',
      ]);
      const locked =
        /^Too many attempts\. Try again in (\d+) seconds?\.$|^Too many attempts\. Try again in 1 minute\.$/;
      assert.match(messages[5], locked);
      assert.equal(await page.evaluate('document.activeElement?.getAttribute("role")'), 'alert');
      // The countdown moves on its own.
      await alertChangedFrom(page, messages[5]);
      assert.match(((await alert.textContent()) ?? '').trim(), /^Too many attempts\. Try again in \d+ seconds?\.$/);
      await assertAccessible(page, 'the lockout message');
      await screenshot(page, 'lockout');
    } finally {
      await context.close();
    }
  });
});
