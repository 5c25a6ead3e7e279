import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'puppeteer';
import { launchBrowser } from '../src/browser';
import {
  repoRoot,
  SERVICES,
  startLocalStack,
  type LocalStack,
  type ServiceName,
} from '../src/stack';

// One page load, three real service processes: the trace id the visitor sees
// (footer and `traceresponse` header) finds that page's lines in all three logs.
// Tracing (OpenTelemetry) is off here: this is the always-on part.

type Line = Record<string, unknown>;

let stack: LocalStack;
let browser: Browser;
let logDir: string;

beforeAll(async () => {
  // Kept after the run (integration-tests/artifacts, like the other suites' logs) to read on a failure.
  logDir = join(repoRoot(), 'integration-tests', 'artifacts', 'trace-logs');
  rmSync(logDir, { recursive: true, force: true });
  stack = await startLocalStack({ env: { LOG_LEVEL: 'info' }, logDir });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

function linesOf(service: ServiceName): Line[] {
  return readFileSync(join(logDir, `${service}.log`), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

/**
 * The lines of one trace in each service's log. The services batch their log
 * writes (up to 100 ms), so this waits until each log has a `request` line
 * of that trace, or gives up after 5 s.
 */
async function linesOfTrace(traceId: string): Promise<Record<ServiceName, Line[]>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = Object.fromEntries(
      SERVICES.map((s) => [s, linesOf(s).filter((l) => l.trace_id === traceId)]),
    ) as Record<ServiceName, Line[]>;
    const complete = SERVICES.every((s) => found[s].some((l) => l.msg === 'request'));
    if (complete || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('one page, one trace id, three logs', () => {
  it('when a visitor loads a page, then the id in its footer and header is on its lines in awesome-app, greetings and maths', async () => {
    const page = await browser.newPage();
    try {
      const response = await page.goto(`${stack.urls['awesome-app']}/Bob/1/1`);
      expect(response?.status()).toBe(200);
      const shown = await page.$eval('#trace-id', (el) => el.textContent?.trim() ?? '');
      expect(shown).toMatch(/^[0-9a-f]{32}$/);
      const header = response?.headers().traceresponse ?? '';
      const [, traceId, pageSpan] = header.split('-');
      expect(traceId).toBe(shown);

      const lines = await linesOfTrace(shown);
      // awesome-app: the page's request line, under the span id of its header.
      expect(lines['awesome-app']).toContainEqual(
        expect.objectContaining({
          msg: 'request',
          url: '/Bob/1/1',
          status: 200,
          span_id: pageSpan,
        }),
      );
      // greetings: the request line and the decision, logged inside the handler.
      expect(lines.greetings).toContainEqual(
        expect.objectContaining({ msg: 'request', url: '/greeting/Bob', status: 200 }),
      );
      expect(lines.greetings.map((l) => l.msg)).toContain('greeting chosen');
      // maths: the batch the page asked for.
      expect(lines.maths).toContainEqual(expect.objectContaining({ msg: 'request', status: 200 }));
      // Each service logs under a span of its own.
      const spans = SERVICES.map((s) => lines[s][0]?.span_id);
      expect(new Set(spans).size).toBe(3);
      // Nothing else in the logs claims this trace: one page, one id.
      for (const s of SERVICES) {
        for (const line of lines[s]) expect(line.span_id).toBe(lines[s][0]?.span_id);
      }
    } finally {
      await page.close();
    }
  });

  it('when two pages are loaded, then each has its own trace id', async () => {
    const ids = [];
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${stack.urls['awesome-app']}/Ann/2/3`);
      ids.push(res.headers.get('traceresponse')?.split('-')[1]);
    }
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[1]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });
});
