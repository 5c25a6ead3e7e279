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

// greetings' reference the same way: every route (admin ones included) under
// the same CSP, and "Try it out" on GET /greeting/{name} answers from greetings.
describe("greetings' Swagger UI", () => {
  let greetings: ChildProcess;
  let greetingsUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    greetingsUrl = `http://127.0.0.1:${port}`;
    greetings = spawn(process.execPath, [join(repoRoot(), 'greetings', 'dist', 'server.js')], {
      // No REDIS_URL: the in-memory store, enough to render and try the document.
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        STATSD_PORT: String(await freePort()),
      },
      stdio: 'ignore',
    });
    await waitForHealthy(greetingsUrl, 15_000);
  });
  afterAll(() => greetings?.kill('SIGTERM'));

  it('when /docs/ is opened, then every greetings route shows, nothing is blocked, and Try it out greets', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const origins = new Set<string>();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('request', (r) => {
      if (!r.url().startsWith('data:')) origins.add(new URL(r.url()).origin);
    });
    await page.goto(`${greetingsUrl}/docs/`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.opblock-summary-path');
    const paths = await page.$$eval('.opblock-summary-path', (els) =>
      els.map((el) => el.getAttribute('data-path')),
    );
    const served = (await (await fetch(`${greetingsUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    // One block per operation: every method of every path the service serves.
    const operations = Object.entries(served.paths).flatMap(([path, item]) =>
      Object.keys(item).map(() => path),
    );
    expect(paths.sort()).toEqual(operations.sort());
    expect(paths).toEqual(
      expect.arrayContaining(['/greeting/{name}', '/like_greeting', '/admin/experiments']),
    );
    expect(problems).toEqual([]);
    expect([...origins]).toEqual([greetingsUrl]);

    const op = '#operations-greetings-get_greeting__name_';
    await page.click(`${op} .opblock-summary-control`);
    await page.waitForSelector(`${op} .try-out__btn`);
    await page.click(`${op} .try-out__btn`);
    await page.click(`${op} .execute`);
    const live = `${op} .live-responses-table tr.response`;
    await page.waitForSelector(live);
    const [status, body] = await page.$eval(live, (row) => [
      row.querySelector('.response-col_status')?.textContent?.trim(),
      row.querySelector('.response-col_description pre')?.textContent?.trim(),
    ]);
    expect(status).toBe('200');
    expect(body).toMatch(/Bob/);
    expect(problems).toEqual([]);
  });
});
