import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@friendly-calculator/common/testing';
import type { Browser } from 'puppeteer';
import { launchBrowser } from '../../src/browser';
import { repoRoot, waitForHealthy } from '../../src/stack';

// A long result (2 ÷ 3 = 0.666666666666667) in real Chromium, at the widths
// where its box is narrow: the number moves to a line of its own whole, never
// leaving its last digit alone on the next line (seen with overflow-wrap: anywhere).
const children: ChildProcess[] = [];
let appUrl: string;
let browser: Browser;

async function start(service: string, env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(repoRoot(), service, 'dist', 'server.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      STATSD_PORT: String(await freePort()),
      ...env,
    },
    stdio: 'ignore',
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealthy(url, 15_000);
  return url;
}

beforeAll(async () => {
  // greetings is not needed for the sums: the page says it is missing and goes on.
  const maths = await start('maths', {});
  appUrl = await start('awesome-app', { MATHS_URL: maths, GREETINGS_URL: 'http://127.0.0.1:9' });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  for (const child of children) child.kill('SIGTERM');
});

it.each([360, 480, 600, 700, 1000])(
  'when the page is %i px wide, then 0.666666666666667 is on one line',
  async (width) => {
    const page = await browser.newPage();
    await page.setViewport({ width, height: 800 });
    await page.goto(`${appUrl}/Ada/2/3`);
    const lines = await page.$eval('#quotient', (el) => {
      const text = el.firstChild!;
      const at = (i: number) => {
        const range = document.createRange();
        range.setStart(text, i);
        range.setEnd(text, i + 1);
        return Math.round(range.getBoundingClientRect().top);
      };
      const value = text.textContent!;
      const first = value.indexOf('0.6');
      return { text: value.trim(), first: at(first), last: at(value.trimEnd().length - 1) };
    });
    expect(lines.text).toBe('2 ÷ 3 = 0.666666666666667');
    expect(lines.last).toBe(lines.first);
    await page.close();
  },
);

it('when a typed number cannot be held exactly or a result is rounded, then the page says so; exact sums are not marked', async () => {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 800 });
  const text = (selector: string) =>
    page.$eval(selector, (el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());
  await page.goto(`${appUrl}/Bob/9007199254740993/1`);
  expect(await text('#product')).toBe('9007199254740992 × 1 = 9007199254740990');
  expect(await text('#rounding-hint')).toBe(
    '“9007199254740993” cannot be held exactly by a number here: it was read as 9007199254740992. Results marked “rounded” are not exact: maths rounds every result to 15 significant digits.',
  );
  expect(await page.$$eval('.sum .rounded', (els) => els.length)).toBe(4);
  // 1 ÷ 3 is rounded; 1 + 3 is not.
  await page.goto(`${appUrl}/Bob/1/3`);
  expect(await page.$$eval('.sum .rounded', (els) => els.length)).toBe(1);
  expect(await page.$eval('#quotient + .rounded', (el) => el.textContent)).toBe('rounded');
  expect(await text('#rounding-hint')).toMatch(/^Results marked “rounded” are not exact/);
  // 0.1 + 0.2 = 0.3 is exact in decimals: no hint.
  await page.goto(`${appUrl}/Bob/0.1/0.2`);
  expect(await text('#result')).toBe('0.1 + 0.2 = 0.3');
  expect(await page.$('#rounding-hint')).toBeNull();
  expect(await page.$('.rounded')).toBeNull();
  await page.close();
});
