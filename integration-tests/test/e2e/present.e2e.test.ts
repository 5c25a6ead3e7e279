import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@friendly-calculator/common/testing';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser } from '../../src/browser';
import { repoRoot, startLocalStack, waitForHealthy, type LocalStack } from '../../src/stack';
import { leftEdge, sidewaysSpill, widthInside } from './layout';

// Presenter mode in real Chromium: a projector on one awesome-app (whose
// greetings is replica 1) and two phones on another awesome-app (whose
// greetings is replica 2), both greetings on one Redis, as two replicas
// behind a load balancer. The Like goes phone → awesome-app B → greetings 2;
// the projector hears it through greetings 1's live stream (Redis pub/sub).
jest.setTimeout(120_000);
// Screenshots for a look at a failed run (docs/images come from `npm run screenshots`).
const IMAGES = join(__dirname, '..', '..', 'artifacts');

let stack: LocalStack;
let browser: Browser;
const extra: ChildProcess[] = [];
let phonesUrl: string;

/** One more service process, with the stack's environment and `env` on top. */
async function spawnService(name: string, env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const log = openSync(join(stack.logDir, `${name}-b.log`), 'a');
  const child = spawn(process.execPath, [join(repoRoot(), name, 'dist', 'server.js')], {
    env: { ...stack.env, ...env, PORT: String(port) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  extra.push(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealthy(url, 15_000, () => child.exitCode === null);
  return url;
}

beforeAll(async () => {
  stack = await startLocalStack({
    env: { TRUST_PROXY: 'loopback', EPSILON: '0.5' },
    envFor: (urls) => ({ PUBLIC_URL: urls['awesome-app'] }),
  });
  const greetings2 = await spawnService('greetings', {});
  phonesUrl = await spawnService('awesome-app', {
    GREETINGS_URL: greetings2,
    GREETINGS_PUBLIC_URL: greetings2,
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(
    extra.map(async (child) => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    }),
  );
  await stack?.stop();
});

const text = (page: Page, selector: string) =>
  page.$eval(selector, (el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());

async function projector(viewport = { width: 1920, height: 1080 }): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  await page.goto(`${stack.urls['awesome-app']}/present`);
  await page.waitForSelector('#live-variants tr');
  expect(problems).toEqual([]); // no CSP refusal, no script error
  return page;
}

/** Total Likes the projector shows now. */
const likedOnProjector = (page: Page) =>
  page.$$eval('#live-variants .present-liked', (cells) =>
    cells.reduce((n, c) => n + Number(c.textContent), 0),
  );

const PHONE = { width: 360, height: 740, isMobile: true, hasTouch: true };

async function phone(name: string): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport(PHONE);
  await page.goto(`${phonesUrl}/join`);
  await page.type('#name', name);
  await page.type('#x', '3');
  await page.type('#y', '4');
  await Promise.all([page.waitForNavigation(), page.click('form.calc button')]);
  await page.waitForSelector('#greeting');
  return page;
}

async function like(page: Page): Promise<void> {
  await page.bringToFront();
  await Promise.all([page.waitForNavigation(), page.click('form.like button')]);
  expect(await text(page, '#like-notice')).toMatch(/thank|counted|liked/i);
}

it('when a phone likes through one replica, then the projector on the other shows it within 2 s, without a reload', async () => {
  const screen = await projector();
  const [ann, bob] = [await phone('Ann'), await phone('Bob')];
  for (const [who, page] of [
    ['Ann', ann],
    ['Bob', bob],
  ] as const) {
    const before = await likedOnProjector(screen);
    const liked = Date.now();
    await like(page);
    await screen.bringToFront();
    await screen.waitForFunction(
      (n) =>
        [...document.querySelectorAll('#live-variants .present-liked')].reduce(
          (sum, c) => sum + Number(c.textContent),
          0,
        ) === n,
      { timeout: 2_000, polling: 50 },
      before + 1,
    );
    expect(Date.now() - liked).toBeLessThan(2_000);
    expect(await text(screen, '#live-decisions')).toContain(who);
  }
  expect(Number(await text(screen, '#live-count'))).toBeGreaterThanOrEqual(1);
  mkdirSync(IMAGES, { recursive: true });
  await screen.screenshot({ path: join(IMAGES, 'present.png') });
  await bob.screenshot({ path: join(IMAGES, 'phone.png') });
  for (const p of [screen, ann, bob]) await p.close();
});

it('when greetings restarts, then the projector says so and shows the current numbers again by itself', async () => {
  const screen = await projector();
  await stack.stopService('greetings');
  await screen.waitForFunction(
    () => /away/.test(document.getElementById('live-phase')?.textContent ?? ''),
    { timeout: 10_000, polling: 100 },
  );
  // Meanwhile a Like through the other replica: the projector must catch up on it.
  const before = await likedOnProjector(screen);
  await like(await phone('Cleo'));
  await stack.startService('greetings');
  await screen.bringToFront();
  await screen.waitForFunction(
    (n) =>
      !/away/.test(document.getElementById('live-phase')?.textContent ?? '') &&
      [...document.querySelectorAll('#live-variants .present-liked')].reduce(
        (sum, c) => sum + Number(c.textContent),
        0,
      ) === n,
    { timeout: 20_000, polling: 100 },
    before + 1,
  );
  await screen.close();
});

it('when a projector opens after every viewer has left, then it is never told greetings is away while greetings answers', async () => {
  // The first event of a fresh stream, read raw (no browser, no reconnects).
  const firstEvent = async (): Promise<{ greetings: string; live: number }> => {
    const controller = new AbortController();
    const res = await fetch(`${stack.urls['awesome-app']}/present/events`, {
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    const event = /^event: ?experiment\n(?:.*\n)*?data: ?(.*)\n/m;
    while (!event.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended before an event: ${text}`);
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    return JSON.parse(event.exec(text)![1]!) as { greetings: string; live: number };
  };
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) {
    seen.push((await firstEvent()).greetings);
    await new Promise((r) => setTimeout(r, 300)); // the stream's close reaches the relay
  }
  expect(seen).not.toContain('away');
});

it('when the QR code on the projector is read, then it is the join URL on PUBLIC_URL', async () => {
  const screen = await projector();
  const qr = await screen.$('#join-qr');
  const png = PNG.sync.read(Buffer.from(await qr!.screenshot()));
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  expect(code?.data).toBe(`${stack.urls['awesome-app']}/join`);
  expect(await text(screen, '#join-url')).toBe(`${stack.urls['awesome-app']}/join`);
  await screen.close();
});

/**
 * The contrast ratio (WCAG 2) of every piece of text inside `selector`
 * against the background it sits on, lowest first, with the text.
 */
function lowestContrast(page: Page, selector: string) {
  return page.$eval(selector, (root) => {
    const rgb = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const lin = (c: number) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
    };
    const background = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = rgb(getComputedStyle(el).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const found: { ratio: number; text: string }[] = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent ?? '').trim();
      const el = node.parentElement;
      if (!text || !el || el.getClientRects().length === 0) continue;
      const [a, b] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))];
      found.push({ ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), text });
    }
    return found.sort((x, y) => x.ratio - y.ratio)[0];
  });
}

/** The smallest font size, in px, of any text inside `selector`. */
const smallestFont = (page: Page, selector: string) =>
  page.$eval(selector, (root) => {
    let smallest = Infinity;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode())
      if ((node.textContent ?? '').trim() && node.parentElement)
        smallest = Math.min(smallest, parseFloat(getComputedStyle(node.parentElement).fontSize));
    return smallest;
  });

it.each([
  [1920, 1080],
  [1280, 720],
])(
  'when the projector is %i×%i, then its header lines up with the cards, all of both cards is on the screen, and the type is big and dark',
  async (width, height) => {
    const screen = await projector({ width, height });
    // The header's brand starts where the first card does.
    const cardLeft = await leftEdge(screen, '.present .card');
    expect(Math.abs((await leftEdge(screen, 'header.site .brand')) - cardLeft)).toBeLessThanOrEqual(
      2,
    );
    expect(await sidewaysSpill(screen)).toBe(0);
    // A projector does not scroll: the QR code, the URL, the count and the numbers are all in view.
    const bottoms = await screen.$$eval('.present .card', (cards) =>
      cards.map((c) => c.getBoundingClientRect().bottom),
    );
    expect(bottoms).toHaveLength(2);
    for (const bottom of bottoms) expect(bottom).toBeLessThanOrEqual(height);
    // Read from the back of the room: no text on the cards under 1/80 of the
    // screen's width (24 px at 1920), the numbers at 1/64 (30 px), and every
    // text at least 7:1 against its background (WCAG's AAA level).
    expect(await smallestFont(screen, '.present')).toBeGreaterThanOrEqual(width / 80);
    expect(await smallestFont(screen, '#live-variants')).toBeGreaterThanOrEqual(width / 64);
    const dimmest = await lowestContrast(screen, '.present');
    expect(dimmest?.ratio).toBeGreaterThanOrEqual(7);
    // The join URL on one line (it may break before its path, never inside the address).
    const lines = await screen.$eval('#join-url', (p) =>
      Math.round(p.getBoundingClientRect().height / parseFloat(getComputedStyle(p).lineHeight)),
    );
    expect(lines).toBe(1);
    await screen.screenshot({ path: join(IMAGES, `present-${width}x${height}.png`) });
    await screen.close();
  },
);

it('when a phone 360 px wide joins, then /join, the page and the home page fit its width and the Like button spans the card', async () => {
  const page = await browser.newPage();
  await page.setViewport(PHONE);
  await page.goto(`${phonesUrl}/join`);
  expect(await sidewaysSpill(page)).toBe(0);
  expect(
    Math.abs((await leftEdge(page, 'header.site .brand')) - (await leftEdge(page, '.card'))),
  ).toBeLessThanOrEqual(2);
  // A long name and long numbers: the page must still fit.
  await page.type('#name', 'Maximiliana-Konstantina');
  await page.type('#x', '9007199254740993');
  await page.type('#y', '3');
  await Promise.all([page.waitForNavigation(), page.click('form.calc button')]);
  await page.waitForSelector('form.like button');
  expect(await sidewaysSpill(page)).toBe(0);
  // Thumb-sized: the whole width of the greeting's card, and tall enough.
  const like = await widthInside(page, 'form.like button', '.card');
  expect(like.content).toBeGreaterThan(250);
  expect(Math.abs(like.width - like.content)).toBeLessThanOrEqual(2);
  expect(
    await page.$eval('form.like button', (b) => b.getBoundingClientRect().height),
  ).toBeGreaterThanOrEqual(48);
  await page.screenshot({ path: join(IMAGES, 'phone-page.png'), fullPage: true });
  await page.goto(`${phonesUrl}/`);
  expect(await sidewaysSpill(page)).toBe(0);
  await page.close();
});
