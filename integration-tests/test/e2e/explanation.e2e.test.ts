import type { Browser, Page } from 'puppeteer';
import { launchBrowser } from '../../src/browser';
import { startLocalStack, type LocalStack } from '../../src/stack';

// What the page says about why this greeting was shown, and its one Like
// button after a refused Like, in real Chromium,
// against a stack of its own whose greetings always exploits (EPSILON=0), so
// every choice is decided by the like rates alone.
let stack: LocalStack;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  // One counted Like a minute per client: the third test meets the limit.
  stack = await startLocalStack({ env: { EPSILON: '0', LIKES_PER_MINUTE_PER_CLIENT: '1' } });
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const text = (selector: string) =>
  page.$eval(selector, (el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());
/** "Howdy Bob" → "howdy" (the default variants are the greeting's first word). */
const variantOf = (greeting: string) => greeting.split(/[\s,]/)[0]!.toLowerCase();
/** The chart's count line of one variant, e.g. `3 shown · 1 liked · like rate …`. */
const countLine = (variant: string) =>
  page.$$eval(
    'svg.chart g.row',
    (rows, name) =>
      rows
        .find((row) => row.querySelector('text.variant')?.textContent === name)
        ?.querySelector('text.count')?.textContent ?? '',
    variant,
  );

describe('why this greeting, in a browser', () => {
  it('when no greeting has a Like yet, then each showing is called a tie, and the chart counts the greeting on screen', async () => {
    for (let i = 0; i < 8; i++) {
      await page.goto(`${stack.urls['awesome-app']}/Bob/1/1`);
      const variant = variantOf(await text('#greeting'));
      const explanation = await text('#experiment-explanation');
      expect(explanation).toContain(
        `You were shown “${variant}”: it tied with another greeting for the best like rate so far, so it was picked at random among them (exploiting).`,
      );
      expect(explanation).not.toContain('chosen for its like rate');
      expect(explanation).toContain(
        'It looks only at the like rate so far (likes ÷ shown); P(best) also weighs how often each was shown',
      );
      expect(await countLine(variant)).toMatch(/^[1-9]\d* shown · /);
      expect(await page.content()).not.toContain('not shown yet');
    }
  });

  it('when one greeting has a Like, then it is chosen for its like rate', async () => {
    await page.goto(`${stack.urls['awesome-app']}/Ann/1/1`);
    const liked = variantOf(await text('#greeting'));
    await Promise.all([page.waitForNavigation(), page.click('form.like button[type=submit]')]);
    expect(await text('#like-notice')).toMatch(/^Thank you for the Like!/);
    await page.goto(`${stack.urls['awesome-app']}/Ann/1/1`);
    expect(variantOf(await text('#greeting'))).toBe(liked);
    expect(await text('#experiment-explanation')).toContain(
      `You were shown “${liked}”: chosen for its like rate (exploiting).`,
    );
  });

  it('when a Like is refused and can be tried again, then the page has one Like button: the retry', async () => {
    await page.goto(`${stack.urls['awesome-app']}/Eve/1/1`);
    await Promise.all([page.waitForNavigation(), page.click('form.like button[type=submit]')]);
    expect(await text('#like-notice')).toMatch(/^Your Like was not counted: too many Likes/);
    // The page shows a new greeting that could be liked, but only one button is offered.
    expect(await page.$$eval('button', (bs) => bs.map((b) => b.textContent?.trim()))).toEqual([
      'Try the Like again',
    ]);
    expect(await page.$('form.like')).toBeNull();
  });
});
