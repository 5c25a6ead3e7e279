import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@friendly-calculator/common/testing';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser } from '../../src/browser';
import { repoRoot, waitForHealthy } from '../../src/stack';

// Each service's API reference in real Chromium: Swagger UI renders every
// route from /openapi.json under its strict CSP (nothing blocked, nothing
// from another origin), and "Try it out" reaches the service that served it.
let browser: Browser;
const services: ChildProcess[] = [];

/** A built service on a free port (greetings without REDIS_URL: the in-memory store). */
async function startService(name: 'maths' | 'greetings'): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  services.push(
    spawn(process.execPath, [join(repoRoot(), name, 'dist', 'server.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        STATSD_PORT: String(await freePort()),
      },
      stdio: 'ignore',
    }),
  );
  await waitForHealthy(url, 15_000);
  return url;
}

/** Opens `url`/docs/ and returns the page, the path of each operation block, and what went wrong. */
async function openDocs(url: string) {
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
  return { page, paths, problems, origins };
}

/** "Try it out" on one operation with its examples: the live answer's status and body. */
async function tryItOut(page: Page, op: string): Promise<(string | undefined)[]> {
  await page.click(`${op} .opblock-summary-control`);
  await page.waitForSelector(`${op} .try-out__btn`);
  await page.click(`${op} .try-out__btn`);
  await page.click(`${op} .execute`);
  // The live answer's row (the table's first row is its header: Code, Details).
  const live = `${op} .live-responses-table tr.response`;
  await page.waitForSelector(live);
  return page.$eval(live, (row) => [
    row.querySelector('.response-col_status')?.textContent?.trim(),
    row.querySelector('.response-col_description pre')?.textContent?.trim(),
  ]);
}

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  for (const service of services) service.kill('SIGTERM');
});

it("when maths' /docs/ is opened, then Swagger UI shows every route, nothing is blocked and no other origin is asked", async () => {
  const url = await startService('maths');
  const { page, paths, problems, origins } = await openDocs(url);
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
  // GET /{op} with op=add, x=7 (the examples), y=7 → 14 from this service.
  expect(await tryItOut(page, '#operations-arithmetic-get__op_')).toEqual(['200', '14']);
  expect(problems).toEqual([]);
});

it("when greetings' /docs/ is opened, then every greetings route shows (admin ones included), nothing is blocked, and Try it out greets", async () => {
  const url = await startService('greetings');
  const { page, paths, problems, origins } = await openDocs(url);
  const served = (await (await fetch(`${url}/openapi.json`)).json()) as {
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
  expect([...origins]).toEqual([url]);
  const [status, body] = await tryItOut(page, '#operations-greetings-get_greeting__name_');
  expect(status).toBe('200');
  expect(body).toMatch(/Bob/);
  expect(problems).toEqual([]);
});
