import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@friendly-calculator/common/testing';
import type { Browser } from 'puppeteer';
import { launchBrowser } from '../../src/browser';
import { repoRoot, waitForHealthy } from '../../src/stack';

// maths' API reference in real Chromium: Swagger UI renders every route from
// /openapi.json under its strict CSP (nothing blocked, nothing from another
// origin), and "Try it out" reaches the service that served the page.
let maths: ChildProcess;
let url: string;
let browser: Browser;

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  maths = spawn(process.execPath, [join(repoRoot(), 'maths', 'dist', 'server.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      STATSD_PORT: String(await freePort()),
    },
    stdio: 'ignore',
  });
  await waitForHealthy(url, 15_000);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  maths?.kill('SIGTERM');
});

it('when /docs/ is opened, then Swagger UI shows every route, nothing is blocked and no other origin is asked', async () => {
  const page = await browser.newPage();
  const problems: string[] = [];
  const origins = new Set<string>();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('request', (r) => {
    // data: URLs (Swagger UI's icons) have no origin; every other request must stay here.
    if (!r.url().startsWith('data:')) origins.add(new URL(r.url()).origin);
  });
  await page.goto(`${url}/docs/`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('.opblock-summary-path');
  const paths = await page.$$eval('.opblock-summary-path', (els) =>
    els.map((el) => el.getAttribute('data-path')),
  );
  expect(paths.sort()).toEqual(
    [
      '/',
      '/calculate',
      '/docs/',
      '/health/dependencies',
      '/healthz',
      '/openapi.json',
      '/readyz',
      '/{op}',
    ].sort(),
  );
  expect(problems).toEqual([]);
  expect([...origins]).toEqual([url]);

  // Try it out: GET /{op} with op=add, x=7 (the examples), y=7 → 14 from this service.
  await page.click('#operations-arithmetic-get__op_ .opblock-summary-control');
  await page.waitForSelector('#operations-arithmetic-get__op_ .try-out__btn');
  await page.click('#operations-arithmetic-get__op_ .try-out__btn');
  await page.click('#operations-arithmetic-get__op_ .execute');
  // The live answer's row (the table's first row is its header: Code, Details).
  const live = '#operations-arithmetic-get__op_ .live-responses-table tr.response';
  await page.waitForSelector(live);
  const [status, body] = await page.$eval(live, (row) => [
    row.querySelector('.response-col_status')?.textContent?.trim(),
    row.querySelector('.response-col_description pre')?.textContent?.trim(),
  ]);
  expect(status).toBe('200');
  expect(body).toBe('14');
  expect(problems).toEqual([]);
});
