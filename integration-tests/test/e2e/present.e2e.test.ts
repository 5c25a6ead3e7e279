import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@friendly-calculator/common/testing';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser } from '../../src/browser';
import { repoRoot, startLocalStack, waitForHealthy, type LocalStack } from '../../src/stack';

// Presenter mode in real Chromium: a projector on one awesome-app (whose
// greetings is replica 1) and two phones on another awesome-app (whose
// greetings is replica 2), both greetings on one Redis, as two replicas
// behind a load balancer. The Like goes phone → awesome-app B → greetings 2;
// the projector hears it through greetings 1's live stream (Redis pub/sub).
jest.setTimeout(120_000);
// The screenshots (docs/images/present.png and phone.png were taken from them, and looked at).
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

async function projector(): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1920, height: 1080 });
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

async function phone(name: string): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 360, height: 740, isMobile: true, hasTouch: true });
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

it('when the QR code on the projector is read, then it is the join URL on PUBLIC_URL', async () => {
  const screen = await projector();
  const qr = await screen.$('#join-qr');
  const png = PNG.sync.read(Buffer.from(await qr!.screenshot()));
  const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  expect(code?.data).toBe(`${stack.urls['awesome-app']}/join`);
  expect(await text(screen, '#join-url')).toBe(`${stack.urls['awesome-app']}/join`);
  await screen.close();
});
