import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser } from '../../src/browser';
import { startLocalStack, type LocalStack } from '../../src/stack';
import { leftEdge, sidewaysSpill } from './layout';

// The presenter's admin page on greetings and every refusal a visitor's Like
// can meet, in real headless Chromium against a local stack of its own
// (it needs ADMIN_TOKEN and control over Redis), with screenshots.
const ARTIFACTS = join(__dirname, '..', '..', 'artifacts');
const TOKEN = 'e2e-admin-token-0123456789';

let stack: LocalStack;
let browser: Browser;
let admin: Page;
let visitor: Page;
const cspErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Redis keeps its data across the restart below (append-only file), as in compose.
  const dir = mkdtempSync(join(tmpdir(), 'fc-admin-redis-'));
  stack = await startLocalStack({
    env: { ADMIN_TOKEN: TOKEN },
    redisArgs: ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir],
  });
  browser = await launchBrowser();
  [admin, visitor] = await Promise.all([browser.newPage(), browser.newPage()]);
  for (const page of [admin, visitor]) {
    await page.setViewport({ width: 1100, height: 900 });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
    });
  }
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const text = (page: Page, selector: string) =>
  page.$eval(selector, (el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());
const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const adminUrl = () => `${stack.urls.greetings}/admin`;

/**
 * Signed in (a session cookie), types a name into the admin page and presses
 * a button. Every form post answers 303 back to /admin (post/redirect/get):
 * returns the post's status, and the page it landed on says the outcome.
 */
async function act(button: string, page = admin) {
  // Two tabs: a background tab gets no input events.
  await page.bringToFront();
  await page.$eval('#actor', (el) => {
    (el as HTMLInputElement).value = '';
  });
  await page.type('#actor', 'Ada');
  const [response] = await Promise.all([page.waitForNavigation(), page.click(button)]);
  const posted = response?.request().redirectChain()[0]?.response()?.status();
  expect(new URL(page.url()).pathname).toBe('/admin');
  return posted ?? response?.status();
}

/** The audit log's actions, newest first, as the API says them. */
async function auditActions(): Promise<string[]> {
  const res = await fetch(`${stack.urls.greetings}/admin/audit?limit=100`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return ((await res.json()) as { entries: { action: string }[] }).entries.map((e) => e.action);
}

/** Types a token into the sign-in form and sends it. */
async function signIn(token: string) {
  await admin.bringToFront();
  await admin.type('#token', token);
  const [response] = await Promise.all([admin.waitForNavigation(), admin.click('#sign-in')]);
  return response?.status();
}

/** Loads the visitor's page and clicks Like on it later: returns the click. */
async function showPage(name: string) {
  await visitor.bringToFront();
  await visitor.goto(`${stack.urls['awesome-app']}/${name}/1/1`);
  return async () => {
    await visitor.bringToFront();
    await Promise.all([
      visitor.waitForNavigation(),
      visitor.click('form.like button[type=submit]'),
    ]);
    expect(new URL(visitor.url()).origin).toBe(new URL(stack.urls['awesome-app']).origin);
    return text(visitor, '#like-notice');
  };
}

describe('the admin page and the refused Likes, in a browser', () => {
  it('when the presenter opens /admin, then a sign-in form asks for the token once, refuses a wrong one, and the page never holds the token', async () => {
    const res = await admin.goto(adminUrl());
    expect(res?.status()).toBe(200);
    expect(new URL(admin.url()).pathname).toBe('/admin/sign-in');
    expect(await text(admin, '#sign-in-title')).toBe('Sign in');
    await shot(admin, 'admin-1-sign-in');

    expect(await signIn('not-the-token-at-all')).toBe(403);
    expect(await text(admin, '#admin-notice')).toBe(
      'That is not the admin token. Check it and try again.',
    );
    await shot(admin, 'admin-2-wrong-token');

    expect(await signIn(TOKEN)).toBe(200);
    expect(new URL(admin.url()).pathname).toBe('/admin');
    // The header lines up with the cards, and links back to the calculator page.
    expect(
      Math.abs((await leftEdge(admin, 'header.site .brand')) - (await leftEdge(admin, '.card'))),
    ).toBeLessThanOrEqual(2);
    expect(await admin.$eval('#back-to-page', (a) => (a as HTMLAnchorElement).href)).toBe(
      `${stack.urls['awesome-app']}/`,
    );
    expect(await text(admin, '#control-hint')).toMatch(/^Variant 1 is the control/);
    expect(await text(admin, '#current-title')).toMatch(/^Phase 1 running$/);
    expect(await admin.content()).not.toContain(TOKEN);
    const cookies = await browser.cookies();
    const session = cookies.find((c) => c.name === 'greetings_admin');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    expect(session?.value).not.toContain(TOKEN);
    expect(session?.expires).toBeGreaterThan(Date.now() / 1000);
    await shot(admin, 'admin-2b-signed-in');
  });

  it('when the experiment is paused, then a Like from before is refused on the page with a retry, which works once it runs again', async () => {
    const like = await showPage('Bob');
    expect(await act('#pause')).toBe(303);
    expect(admin.url()).toMatch(/\/admin\?notice=/);
    expect(await text(admin, '#admin-notice')).toMatch(/^Phase 1 paused/);
    expect(await text(admin, '#phase-state')).toBe('paused');
    await shot(admin, 'admin-3-paused');
    // Post/redirect/get: a refresh shows the outcome again and repeats nothing.
    const audit = await auditActions();
    await admin.reload();
    expect(await text(admin, '#admin-notice')).toMatch(/^Phase 1 paused/);
    expect(await auditActions()).toEqual(audit);
    await shot(admin, 'admin-3b-paused-after-refresh');

    expect(await like()).toMatch(/not counted: the experiment is paused/);
    // One Like button: the retry, not a second "Like this greeting" beside it.
    expect(await visitor.$$eval('button', (bs) => bs.map((b) => b.textContent?.trim()))).toEqual([
      'Try the Like again',
    ]);
    expect(await text(visitor, '#experiment-explanation')).toMatch(/^The experiment is paused/);
    await shot(visitor, 'notice-1-paused');

    // The name typed for the audit log is still there after the action (kept for the session).
    await admin.bringToFront();
    expect(await admin.$eval('#actor', (el) => (el as HTMLInputElement).value)).toBe('Ada');
    await admin.reload();
    expect(await admin.$eval('#actor', (el) => (el as HTMLInputElement).value)).toBe('Ada');

    expect(await act('#resume')).toBe(303);
    await visitor.bringToFront();
    await Promise.all([visitor.waitForNavigation(), visitor.click('#like-retry')]);
    expect(await text(visitor, '#like-notice')).toMatch(/^Thank you for the Like!/);
    await shot(visitor, 'notice-2-retry-counted');
  });

  it('when a new phase starts, then a Like from the old one is refused as ended, and the old phase keeps its numbers', async () => {
    const like = await showPage('Ann');
    await admin.$eval('input[name=name3]', (el) => {
      el.value = 'ahoy';
    });
    await admin.$eval('input[name=template3]', (el) => {
      el.value = 'Ahoy, {name} <3';
    });
    await admin.select('select[name=policy]', 'thompson');
    expect(await act('#start')).toBe(303);
    expect(await text(admin, '#admin-notice')).toMatch(/^Phase 2 started/);
    expect(await text(admin, '#current-title')).toMatch(/^Phase 2 running$/);
    expect(await text(admin, '#history-title')).toBe('Earlier phases (final numbers)');
    expect(await text(admin, '#history-title + h3')).toBe('Phase 1: ended when phase 2 started');
    expect((await admin.$$('#audit tbody tr')).length).toBe(4);
    await shot(admin, 'admin-4-new-phase');

    expect(await like()).toMatch(/from phase 1 of the experiment, which has ended/);
    expect(await text(visitor, '#experiment-phase')).toBe('Phase 2 · running');
    expect(await text(visitor, '#experiment-explanation')).toMatch(/Thompson sampling/);
    await shot(visitor, 'notice-3-phase-ended');
  });

  it('when a second tab acts on a phase that has ended meanwhile, then nothing happens and its page says the action was stale', async () => {
    const other = await browser.newPage();
    await other.setViewport({ width: 1100, height: 900 });
    try {
      await other.goto(adminUrl());
      expect(await text(other, '#current-title')).toMatch(/^Phase 2 running$/);
      // The first presenter starts phase 3 while the second still looks at phase 2.
      expect(await act('#start')).toBe(303);
      expect(await text(admin, '#current-title')).toMatch(/^Phase 3 running$/);
      const before = await auditActions();
      expect(await act('#pause', other)).toBe(303);
      expect(await text(other, '#admin-notice')).toMatch(
        /^This action was meant for phase 2, but phase 3 is current: nothing was changed/,
      );
      expect(await text(other, '#phase-state')).toBe('running');
      expect(await auditActions()).toEqual(before);
      await shot(other, 'admin-5-stale-action');
    } finally {
      await other.close();
    }
  });

  it('when the store is down, then the Like lands back on the page with a retry, which counts it once Redis is back', async () => {
    const like = await showPage('Eve');
    await stack.redis.kill();
    try {
      expect(await like()).toMatch(/could not check on your Like just now.*Trying again is safe/);
      expect((await visitor.$$('button.button-like')).length).toBe(1);
      await shot(visitor, 'notice-4-store-down');
    } finally {
      await stack.redis.restart();
    }
    // greetings reconnects by itself within a few seconds.
    const deadline = Date.now() + 20_000;
    for (;;) {
      await Promise.all([visitor.waitForNavigation(), visitor.click('#like-retry')]);
      const notice = await text(visitor, '#like-notice');
      if (/^Thank you for the Like!/.test(notice)) break;
      if (Date.now() > deadline) throw new Error(`the retry never counted: ${notice}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await shot(visitor, 'notice-5-retry-after-store-back');
  });

  it('when the presenter signs out, then the page asks to sign in again; the link npm start prints signs in and leaves the token out of the address bar', async () => {
    await admin.bringToFront();
    await admin.goto(adminUrl());
    await Promise.all([admin.waitForNavigation(), admin.click('#sign-out')]);
    expect(await text(admin, '#admin-notice')).toBe('Signed out.');
    await admin.goto(adminUrl());
    expect(new URL(admin.url()).pathname).toBe('/admin/sign-in');

    await admin.goto(`${adminUrl()}/sign-in?token=${TOKEN}`);
    expect(admin.url()).toBe(adminUrl());
    expect(await text(admin, '#current-title')).toMatch(/^Phase \d+ /);
    await shot(admin, 'admin-6-signed-in-by-link');
    expect(cspErrors.join('\n')).toBe('');
  });

  it('when a variant not named best is shipped, then it is refused unless “ship anyway” is ticked, and the audit log says forced', async () => {
    await admin.bringToFront();
    await admin.goto(adminUrl());
    await admin.select('#ship-variant', 'hello');
    expect(await act('#ship')).toBe(303);
    const refusal = await text(admin, '#admin-notice');
    expect(refusal).toMatch(
      /^The stopping rule has not named a best variant yet: shipping "hello" now would be a guess/,
    );
    // In the page's words, not the API's.
    expect(refusal).toMatch(/tick “ship anyway” and press “Ship it” again\.$/);
    expect(refusal).not.toMatch(/force/);
    expect(await text(admin, '#phase-state')).toBe('running');
    await shot(admin, 'admin-7-ship-guard');
    await admin.select('#ship-variant', 'hello');
    await admin.click('#force');
    expect(await act('#ship')).toBe(303);
    expect(await text(admin, '#admin-notice')).toMatch(/^Phase 3 shipped/);
    expect(await text(admin, '#phase-state')).toBe('shipped');
    expect(await text(admin, '#audit tbody tr:first-child')).toMatch(/ship \(forced\) Ada/);
    await shot(admin, 'admin-8-shipped-anyway');
    expect(cspErrors.join('\n')).toBe('');
  });

  it('when the admin pages are opened on a 360 px phone or a 1920 px screen, then nothing is wider than the screen and the header lines up with the cards', async () => {
    // After the tests above the page holds the most it shows: earlier phases, a long audit log.
    const signedOut = await browser.createBrowserContext();
    const guest = await signedOut.newPage();
    try {
      for (const viewport of [
        { width: 360, height: 740, isMobile: true, hasTouch: true },
        { width: 1920, height: 1080 },
      ]) {
        await admin.setViewport(viewport);
        await admin.goto(adminUrl());
        expect(await text(admin, '#history-title')).toBe('Earlier phases (final numbers)');
        expect(await sidewaysSpill(admin)).toBe(0);
        expect(
          Math.abs(
            (await leftEdge(admin, 'header.site .brand')) - (await leftEdge(admin, '.card')),
          ),
        ).toBeLessThanOrEqual(2);
        await shot(admin, `admin-9-${viewport.width}px`);
        await guest.setViewport(viewport);
        await guest.goto(adminUrl());
        expect(new URL(guest.url()).pathname).toBe('/admin/sign-in');
        expect(await sidewaysSpill(guest)).toBe(0);
        expect(
          Math.abs(
            (await leftEdge(guest, 'header.site .brand')) - (await leftEdge(guest, '.card')),
          ),
        ).toBeLessThanOrEqual(2);
      }
    } finally {
      await signedOut.close();
      await admin.setViewport({ width: 1100, height: 900 });
    }
  });
});
