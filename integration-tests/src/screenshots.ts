import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser } from './browser';
import { repoRoot, startLocalStack, type LocalStack } from './stack';

/**
 * `npm run screenshots`: remakes the images in docs/images/ (README and docs
 * show them) from the real system: a local stack as the browser suite starts
 * it, real headless Chromium. Each image is one function below; re-run after
 * changing a page, then look at the images before committing them.
 */
const IMAGES = join(repoRoot(), 'docs', 'images');
const TOKEN = 'screenshots-admin-token-0123456789';
// Some visits and Likes first, so the chart has something to show.
const VISITS = 24;
const LIKE_EVERY = 3;

async function visitAndLike(page: Page, appUrl: string): Promise<void> {
  for (let i = 0; i < VISITS; i += 1) {
    await page.goto(`${appUrl}/Ada/${i}/3`);
    if (i % LIKE_EVERY === 0 && (await page.$('form.like button')) !== null) {
      await Promise.all([page.waitForNavigation(), page.click('form.like button[type=submit]')]);
    }
  }
}

/** The page after a Like: greeting, thank-you, results (2 ÷ 3's long number), the chart. */
async function pageImage(page: Page, appUrl: string): Promise<void> {
  await page.goto(`${appUrl}/Ada/2/3`);
  await Promise.all([page.waitForNavigation(), page.click('form.like button[type=submit]')]);
  await page.screenshot({ path: join(IMAGES, 'page.png'), fullPage: true });
}

/** greetings' admin page as the presenter sees it, signed in by the link npm start prints. */
async function adminImage(page: Page, greetingsUrl: string): Promise<void> {
  // The page needs a session now (issue 18): the link signs in, then 303s to /admin.
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
  console.log('starting a local stack (Redis and the three built services)…');
  // As docker-compose sets them, so the page shows its links as it does there.
  const stack: LocalStack = await startLocalStack({
    env: {
      ADMIN_TOKEN: TOKEN,
      GRAFANA_URL: 'http://localhost:3000',
      GRAPHITE_URL: 'http://localhost:8080',
    },
  });
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.setViewport({ width: 1000, height: 800 });
    console.log(`${VISITS} visits, a Like every ${LIKE_EVERY}…`);
    await visitAndLike(page, stack.urls['awesome-app']);
    await pageImage(page, stack.urls['awesome-app']);
    await adminImage(page, stack.urls.greetings);
    await swaggerImage(page, stack.urls.maths);
    console.log(`wrote page.png, admin.png and swagger-ui.png in ${IMAGES}: look at them`);
  } finally {
    await browser?.close();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
