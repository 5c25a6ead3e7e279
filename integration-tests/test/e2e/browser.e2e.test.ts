import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser } from '../../src/browser';
import { startTarget, type Target } from '../../src/target';

// What a user sees, in real headless Chromium, against the real services.
const ARTIFACTS = join(__dirname, '..', '..', 'artifacts');

let target: Target;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  target = await startTarget();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await target?.close();
});
beforeEach(async () => {
  page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});
afterEach(async () => {
  await page.close();
});

const text = (selector: string) =>
  page.$eval(selector, (el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());
const shot = (name: string) =>
  page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

interface Stats {
  variants: { name: string; shown: number; liked: number }[];
}
async function stats(): Promise<Stats> {
  const res = await fetch(`${target.greetingsUrl}/stats`);
  expect(res.status).toBe(200);
  return (await res.json()) as Stats;
}
const likesOf = (s: Stats, variant: string) =>
  s.variants.find((v) => v.name === variant)?.liked ?? 0;
const totalLikes = (s: Stats) => s.variants.reduce((sum, v) => sum + v.liked, 0);
/** "Howdy Bob" → "howdy" (the default variants are the greeting's first word). */
const variantOf = (greeting: string) => greeting.split(/[\s,]/)[0]!.toLowerCase();

describe('the friendly calculator in a browser', () => {
  it("when Bob visits /Bob/1/1, then he is greeted and sees 1 + 1 = 2 (the seed's check)", async () => {
    const res = await page.goto(`${target.appUrl}/Bob/1/1`);
    expect(res?.status()).toBe(200);
    expect(await text('#greeting')).toContain('Bob');
    expect(await text('#result')).toBe('1 + 1 = 2');
    await shot('1-bob-1-1');
  });

  it('when the form on / is filled in and sent, then all four results are shown', async () => {
    await page.goto(`${target.appUrl}/`);
    await shot('2a-home');
    await page.type('#name', 'Ann');
    await page.type('#x', '7');
    await page.type('#y', '2');
    await Promise.all([page.waitForNavigation(), page.click('form.calc button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/Ann/7/2');
    expect(await text('#greeting')).toContain('Ann');
    expect(await text('#result')).toBe('7 + 2 = 9');
    expect(await text('#difference')).toBe('7 - 2 = 5');
    expect(await text('#product')).toBe('7 × 2 = 14');
    expect(await text('#quotient')).toBe('7 ÷ 2 = 3.5');
    await shot('2b-ann-7-2');
  });

  it('when Like is clicked, then the visitor is back on the page with a thank-you and exactly one like is counted; the same impression again is refused', async () => {
    await page.goto(`${target.appUrl}/Bob/1/1`);
    const variant = variantOf(await text('#greeting'));
    const impression = await page.$eval('form.like input[name=impression]', (el) => el.value);
    const before = await stats();

    await Promise.all([page.waitForNavigation(), page.click('form.like button[type=submit]')]);
    const url = new URL(page.url());
    expect(url.pathname).toBe('/Bob/1/1');
    expect(url.searchParams.get('like')).toBe(impression);
    expect(await text('#like-notice')).toMatch(/Thank you for the Like/);
    expect(await text('#result')).toBe('1 + 1 = 2');
    await shot('3-liked');

    const after = await stats();
    expect(likesOf(after, variant)).toBe(likesOf(before, variant) + 1);
    expect(totalLikes(after)).toBe(totalLikes(before) + 1);

    // Scenario 4: post the used impression again from the page, as a replayed form would.
    const replay = await Promise.all([
      page.waitForNavigation(),
      page.evaluate((old) => {
        const form = document.querySelector<HTMLFormElement>('form.like');
        if (!form) throw new Error('no Like form on the page');
        form.querySelector<HTMLInputElement>('input[name=impression]')!.value = old;
        form.submit();
      }, impression),
    ]);
    // Back on the page (never a bare text page on greetings' origin), which says so.
    expect(replay[0]?.status()).toBe(200);
    expect(new URL(page.url()).origin).toBe(new URL(target.appUrl).origin);
    expect(await text('#like-notice')).toMatch(/already liked/);
    await shot('4-replay-refused');
    expect(totalLikes(await stats())).toBe(totalLikes(after));

    // A link cannot fake the thank-you: the page asks greetings about the impression.
    await page.goto(`${target.appUrl}/Bob/1/1?liked=1`);
    expect(await page.$('#like-notice')).toBeNull();
    await page.goto(`${target.appUrl}/Bob/1/1?like=AAAAAAAAAAAAAAAAAAAAAA`);
    expect(await text('#like-notice')).toMatch(/unknown or has expired/);
    await shot('4b-unknown-impression');
  });

  it('when the name is markup, then it is shown literally and no script runs', async () => {
    const name = '<img src=x onerror=alert(1)>';
    const res = await page.goto(`${target.appUrl}/${encodeURIComponent(name)}/1/1`);
    expect(res?.status()).toBe(200);
    expect(await text('#greeting')).toContain(name);
    expect(await page.$$('#greeting img')).toHaveLength(0);
    expect(await page.$$('img[src=x]')).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(dialogs).toEqual([]);
    await shot('5-markup-name');
  });

  it('when a number is bad, then a friendly 400 page says what to fix', async () => {
    const res = await page.goto(`${target.appUrl}/Bob/abc/1`);
    expect(res?.status()).toBe(400);
    expect(await text('#problems')).toMatch(/abc/);
    expect(await page.$('form.calc')).not.toBeNull();
    await shot('7-bad-number');
  });

  it('when greetings is stopped, then the page still renders promptly with a notice and no Like button', async () => {
    await target.stopGreetings();
    try {
      const started = Date.now();
      const res = await page.goto(`${target.appUrl}/Bob/1/1`);
      const elapsed = Date.now() - started;
      expect(res?.status()).toBe(200);
      // Promptly: well under a few seconds (the upstream timeout is 1 s).
      expect(elapsed).toBeLessThan(5000);
      expect(await text('#greetings-unavailable')).toMatch(/greeting/i);
      expect(await page.$('form.like')).toBeNull();
      expect(await text('#result')).toBe('1 + 1 = 2');
      await shot('6-greetings-down');
    } finally {
      await target.startGreetings();
    }
    // And back to complete once greetings returns.
    const deadline = Date.now() + 20_000;
    for (;;) {
      await page.goto(`${target.appUrl}/Bob/1/1`);
      if ((await page.$('#greeting')) && (await page.$('form.like'))) break;
      if (Date.now() > deadline) throw new Error('greetings did not come back on the page');
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(await text('#greeting')).toContain('Bob');
  });
});
