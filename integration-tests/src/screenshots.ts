import { mkdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser } from './browser';
import { repoRoot, startLocalStack, type LocalStack } from './stack';

/**
 * `npm run screenshots`: remakes every image in docs/images/ (README and docs
 * show them) from the real system: a local stack as the browser suite starts
 * it, in presenter mode, real headless Chromium. A room of phones joins and
 * likes first, so the projector, the page and the admin page show a live
 * experiment with numbers. Each image is one function below; re-run after
 * changing a page, then look at the images before committing them.
 */
const IMAGES = join(repoRoot(), 'docs', 'images');
const TOKEN = 'screenshots-admin-token-0123456789';
/** The room: each joins on a phone; the one rule below decides who likes. */
const ROOM = [
  'Ada', 'Ben', 'Cleo', 'Dev', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Jo', 'Kai', 'Lea', 'Max',
  'Nia', 'Omar', 'Pia', 'Quinn', 'Raj', 'Sol', 'Tea', 'Uma', 'Vic', 'Wen', 'Xia', 'Yan', 'Zoe',
]; // prettier-ignore
/** Of every three shown a variant, how many like it: the room prefers howdy. */
const LIKES_OF_THREE: Readonly<Record<string, number>> = { hello: 1, howdy: 2 };
const PROJECTOR = { width: 1920, height: 1080 };
const PHONE = { width: 360, height: 740, isMobile: true, hasTouch: true };
const DESKTOP = { width: 1000, height: 800 };

/**
 * Where phones on this machine's network would reach awesome-app (it listens
 * on every interface): its first non-internal IPv4 address, as a presenter
 * sets PUBLIC_URL; 127.0.0.1 on a machine without one.
 */
function lanAddress(): string {
  for (const addresses of Object.values(networkInterfaces()))
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/** One phone joins at /join (name, two numbers) and lands on the page: returns its greeting. */
async function joinOnPhone(phone: Page, appUrl: string, name: string, x: string, y: string) {
  await phone.bringToFront(); // a background tab gets no input events
  await phone.goto(`${appUrl}/join`);
  await phone.type('#name', name);
  await phone.type('#x', x);
  await phone.type('#y', y);
  await Promise.all([phone.waitForNavigation(), phone.click('form.calc button')]);
  // As strings: src/ is compiled without the DOM's types.
  return String(await phone.evaluate("document.getElementById('greeting')?.textContent ?? ''"));
}

/** The room joins and likes; returns how many Likes were counted. */
async function room(phone: Page, appUrl: string): Promise<number> {
  const seen: Record<string, number> = {};
  let likes = 0;
  for (const [i, name] of ROOM.entries()) {
    const greeting = await joinOnPhone(phone, appUrl, name, String(i + 1), '4');
    const variant = greeting.split(' ')[0]!.toLowerCase();
    const nth = (seen[variant] = (seen[variant] ?? 0) + 1);
    if ((nth - 1) % 3 < (LIKES_OF_THREE[variant] ?? 0) && (await phone.$('form.like')) !== null) {
      await Promise.all([phone.waitForNavigation(), phone.click('form.like button')]);
      likes += 1;
    }
  }
  return likes;
}

/** Total Likes the projector shows now. */
const likedOnProjector = async (projector: Page) =>
  Number(
    await projector.evaluate(
      "[...document.querySelectorAll('#live-variants .present-liked')].reduce((n, c) => n + Number(c.textContent), 0)",
    ),
  );

/** /present at 1920×1080, once it shows every Like of the room (it never reloads). */
async function presentImage(projector: Page, likes: number): Promise<void> {
  await projector.bringToFront();
  const deadline = Date.now() + 10_000;
  while ((await likedOnProjector(projector)) !== likes) {
    if (Date.now() > deadline)
      throw new Error(
        `the projector shows ${await likedOnProjector(projector)} Likes, not ${likes}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
  await projector.screenshot({ path: join(IMAGES, 'present.png') });
}

/** A phone just after joining: its greeting, the thumb-sized Like, its sums (360×740). */
async function phoneImage(phone: Page, appUrl: string): Promise<void> {
  await joinOnPhone(phone, appUrl, 'Bob', '3', '4');
  await phone.screenshot({ path: join(IMAGES, 'phone.png') });
}

/** The page after a Like: greeting, thank-you, results (2 ÷ 3's long number), the chart. */
async function pageImage(page: Page, appUrl: string): Promise<void> {
  await page.goto(`${appUrl}/Ada/2/3`);
  await Promise.all([page.waitForNavigation(), page.click('form.like button[type=submit]')]);
  await page.screenshot({ path: join(IMAGES, 'page.png'), fullPage: true });
}

/** greetings' sign-in form, then the admin page signed in by the link npm start prints. */
async function adminImages(page: Page, greetingsUrl: string): Promise<void> {
  await page.goto(`${greetingsUrl}/admin`);
  if (!new URL(page.url()).pathname.endsWith('/admin/sign-in'))
    throw new Error(`/admin without a session showed ${page.url()}, not the sign-in form`);
  await page.screenshot({ path: join(IMAGES, 'admin-sign-in.png') });
  // The page needs a session (issue 18): the link signs in, then 303s to /admin.
  await page.goto(`${greetingsUrl}/admin/sign-in?token=${TOKEN}`);
  if (!new URL(page.url()).pathname.endsWith('/admin'))
    throw new Error(`signing in left the browser on ${page.url()}, not /admin`);
  await page.screenshot({ path: join(IMAGES, 'admin.png'), fullPage: true });
}

/** maths' API reference in Swagger UI, one operation opened. */
async function swaggerImage(page: Page, mathsUrl: string): Promise<void> {
  await page.goto(`${mathsUrl}/docs/`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('.opblock-summary-control');
  const operations = await page.$$('.opblock-summary-control');
  await operations[1]?.click();
  await page.waitForSelector('.opblock-body');
  await page.screenshot({ path: join(IMAGES, 'swagger-ui.png') });
}

async function main(): Promise<void> {
  mkdirSync(IMAGES, { recursive: true });
  const host = lanAddress();
  console.log(
    `starting a local stack (Redis and the three built services), PUBLIC_URL on ${host}…`,
  );
  // As docker-compose sets them, so the page shows its links as it does there,
  // and in presenter mode as npm start runs it with PUBLIC_URL (docs/presenting.md).
  const stack: LocalStack = await startLocalStack({
    env: {
      ADMIN_TOKEN: TOKEN,
      GRAFANA_URL: 'http://localhost:3000',
      GRAPHITE_URL: 'http://localhost:8080',
      TRUST_PROXY: 'loopback',
    },
    envFor: (urls) => ({ PUBLIC_URL: `http://${host}:${new URL(urls['awesome-app']).port}` }),
  });
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const appUrl = stack.urls['awesome-app'];
    // The projector is open while the room joins, as in a talk: it shows them live.
    const projector = await browser.newPage();
    await projector.setViewport(PROJECTOR);
    await projector.goto(`${appUrl}/present`);
    await projector.waitForSelector('#live-variants tr');
    const phone = await browser.newPage();
    await phone.setViewport(PHONE);
    console.log(`${ROOM.length} phones join and like…`);
    const likes = await room(phone, appUrl);
    console.log(`${likes} Likes; the projector should show them all`);
    await presentImage(projector, likes);
    await phoneImage(phone, appUrl);
    const page = await browser.newPage();
    await page.setViewport(DESKTOP);
    await pageImage(page, appUrl);
    await adminImages(page, stack.urls.greetings);
    await swaggerImage(page, stack.urls.maths);
    console.log(
      `projector: ${await likedOnProjector(projector)} Likes shown. Wrote present.png, phone.png, page.png, admin-sign-in.png, admin.png and swagger-ui.png in ${IMAGES}: look at them`,
    );
  } finally {
    await browser?.close();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
