import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@friendly-calculator/common/testing';
import type { Browser } from 'puppeteer';
import { alertRules, loadAlerting, type AlertRule } from '../src/alerts';
import { launchBrowser } from '../src/browser';
import { loadDashboard } from '../src/dashboard';
import { startGraphite, type Graphite } from '../src/graphite';
import { startOtlpReceiver, type OtlpReceiver } from '../src/otlp-receiver';
import {
  annotationEvents,
  annotationProblems,
  evaluateRule,
  graphiteAnnotations,
} from '../src/scenario-checks';
import { repoRoot, startLocalStack, waitForHealthy, type LocalStack } from '../src/stack';

// The fault scenarios end to end (docs/scenarios.md): the real command edits
// a copy of flags/scenarios.flagd.json; two replicas each of maths and
// greetings read it through OpenFeature's flagd provider; pages are loaded
// all along; the real graphite-web gets the events and the metrics, and the
// provisioned alert rules' conditions are evaluated against it as Grafana
// would; the traces carry the scenario. Takes about four minutes: the rules
// look at the last minute, so each must see a minute of the scenario and a
// minute after it.

const ROOT = repoRoot();
const TOKEN = 'scenarios-e2e-admin-token-0123456789';
const SECONDS = 1000;

let dir: string;
let flagFile: string;
let graphite: Graphite;
let stack: LocalStack;
let receiver: OtlpReceiver;
let browser: Browser;
const replicas: { name: string; url: string; child: ChildProcess }[] = [];
let env: Record<string, string>;
let loading = true;
let loader: Promise<void>;

const rules = new Map(alertRules(loadAlerting()).map((r) => [r.uid, r]));
const rule = (uid: string): AlertRule => {
  const found = rules.get(uid);
  if (!found) throw new Error(`no rule ${uid}`);
  return found;
};

/** `npm run scenario -- ...`, as the presenter runs it (the built command, in its own process). */
function scenario(...args: string[]): { status: number | null; out: string } {
  const run = spawnSync(process.execPath, [join(ROOT, 'common/dist/bin/scenario.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / SECONDS} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const urlsOf = (name: 'maths' | 'greetings') => [
  stack.urls[name],
  ...replicas.filter((r) => r.name === name).map((r) => r.url),
];

/** How long one maths call takes on `url`, and its status. */
async function mathsCall(url: string): Promise<{ ms: number; status: number }> {
  const start = Date.now();
  const res = await fetch(`${url}/add?x=1&y=1`);
  await res.text();
  return { ms: Date.now() - start, status: res.status };
}

async function strategy(url: string): Promise<string> {
  const res = await fetch(`${url}/greeting/Bob`, { headers: { accept: 'application/json' } });
  return ((await res.json()) as { strategy: string }).strategy;
}

/** Every replica of `name` passes `check`, within `ms`. */
async function everyReplica(
  name: 'maths' | 'greetings',
  what: string,
  check: (url: string) => Promise<boolean>,
  ms = 10 * SECONDS,
): Promise<void> {
  await Promise.all(
    urlsOf(name).map((url) =>
      eventually(`${what} on ${url}`, async () => ((await check(url)) ? true : undefined), ms),
    ),
  );
}

async function startReplica(name: 'maths' | 'greetings'): Promise<void> {
  const port = await freePort();
  const log = openSync(join(stack.logDir, `${name}-2.log`), 'a');
  const child = spawn(process.execPath, [join(ROOT, name, 'dist', 'server.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      STATSD_HOST: '127.0.0.1',
      STATSD_PORT: String(graphite.statsdPort),
      REDIS_URL: stack.redis.url,
      AWESOME_APP_URL: stack.urls['awesome-app'],
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  replicas.push({ name, url, child });
  await waitForHealthy(url, 15 * SECONDS, () => child.exitCode === null);
}

/** Visitors all along: two at a time, pages one after another. */
async function visitors(): Promise<void> {
  const visit = async () => {
    while (loading) {
      await fetch(`${stack.urls['awesome-app']}/Bob/1/2`)
        .then((r) => r.text())
        .catch(() => undefined);
      await new Promise((r) => setTimeout(r, 150));
    }
  };
  await Promise.all([visit(), visit()]);
}

async function pageText(selector: string): Promise<string | undefined> {
  const page = await browser.newPage();
  try {
    await page.goto(`${stack.urls['awesome-app']}/Bob/1/2`);
    return (
      await page.$eval(selector, (el) => el.textContent ?? '').catch(() => undefined)
    )?.trim();
  } finally {
    await page.close();
  }
}

const scenarioEvents = async () =>
  (await annotationEvents(graphite.url, graphiteAnnotations(loadDashboard())[0]!)).map(
    (e) => e.what,
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scenarios-'));
  flagFile = join(dir, 'scenarios.flagd.json');
  copyFileSync(join(ROOT, 'flags', 'scenarios.flagd.json'), flagFile);
  [graphite, receiver] = await Promise.all([startGraphite(), startOtlpReceiver()]);
  env = {
    FLAGD_RESOLVER: 'in-process',
    FLAGD_OFFLINE_FLAG_SOURCE_PATH: flagFile,
    GRAPHITE_URL: graphite.url,
    ADMIN_TOKEN: TOKEN,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
  stack = await startLocalStack({
    statsdPort: graphite.statsdPort,
    env,
    logDir: join(ROOT, 'integration-tests', 'artifacts', 'scenario-logs'),
  });
  await Promise.all([startReplica('maths'), startReplica('greetings')]);
  browser = await launchBrowser();
  loader = visitors();
}, 120 * SECONDS);

afterAll(async () => {
  loading = false;
  await loader;
  await browser?.close();
  await Promise.all(
    replicas.map(
      (r) =>
        new Promise<void>((resolve) => {
          if (r.child.exitCode !== null) return resolve();
          r.child.once('exit', () => resolve());
          r.child.kill('SIGTERM');
        }),
    ),
  );
  await stack?.stop();
  await receiver?.close();
  await graphite?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60 * SECONDS);

describe('fault scenarios, switched by the command, seen everywhere', () => {
  it('the dashboard draws scenario and experiment events as annotations on panels it has', () => {
    const dashboard = loadDashboard();
    expect(annotationProblems(dashboard)).toEqual([]);
    expect(graphiteAnnotations(dashboard).map((a) => a.target?.tags)).toEqual([
      ['scenario'],
      ['experiment'],
    ]);
  });

  it(
    'before any scenario: nothing slow, nothing failing, no alert',
    async () => {
      for (const url of urlsOf('maths')) expect((await mathsCall(url)).ms).toBeLessThan(500);
      for (const url of urlsOf('greetings')) expect(await strategy(url)).not.toBe('fallback');
      // A few flushes of page traffic reach Graphite first.
      await new Promise((r) => setTimeout(r, 6 * SECONDS));
      for (const uid of ['page-latency-p95', 'http-5xx-rate', 'greetings-fallback-rate'])
        expect(await evaluateRule(graphite.url, rule(uid))).toMatchObject({ firing: false });
    },
    30 * SECONDS,
  );

  it(
    'mathsSlow 1s and greetingsStoreSlow 2s: every replica within seconds, the page notices, events, alerts, traces; both end by themselves',
    async () => {
      const on = Date.now();
      const slow = scenario('on', 'mathsSlow', '1s', '--for', '100s');
      expect(slow).toMatchObject({
        status: 0,
        out: expect.stringMatching(/^mathsSlow 1s on, until /),
      });
      expect(scenario('on', 'greetingsStoreSlow', '2s', '--for', '100s').status).toBe(0);
      expect(scenario('list').out).toMatch(/mathsSlow +ON 1s until/);

      // Every replica, within seconds (the file is polled every second; a slow call takes 1 s to tell).
      await Promise.all([
        everyReplica(
          'maths',
          'a maths call takes 1 s',
          async (u) => (await mathsCall(u)).ms >= 1000,
        ),
        everyReplica(
          'greetings',
          'a greeting falls back',
          async (u) => (await strategy(u)) === 'fallback',
        ),
      ]);
      expect(Date.now() - on).toBeLessThan(7 * SECONDS);

      // The page: maths' notice in place of the results, Likes paused by the store.
      expect(await pageText('#maths-unavailable')).toBeTruthy();
      expect(await pageText('#likes-paused')).toMatch(/cannot reach its store/);

      // The events the dashboard draws, in the real graphite-web.
      expect(await scenarioEvents()).toEqual(
        expect.arrayContaining(['mathsSlow 1s on', 'greetingsStoreSlow 2s on']),
      );

      // The traces: the spans that carry the delay name the scenario.
      await receiver.waitFor(
        (spans) =>
          spans.some(
            (s) => s.service === 'maths' && s.attributes['scenario.name'] === 'mathsSlow',
          ) &&
          spans.some(
            (s) =>
              s.service === 'greetings' &&
              s.attributes['scenario.name'] === 'greetingsStoreSlow' &&
              s.attributes['scenario.variant'] === '2s',
          ),
        10 * SECONDS,
      );
      // The logs say it too.
      expect(readFileSync(join(stack.logDir, 'maths.log'), 'utf8')).toContain(
        'scenario mathsSlow 1s on',
      );

      // The alerts: page latency and fallbacks, once their minute is all scenario.
      const latency = await eventually(
        'page latency rule fires',
        async () => {
          const result = await evaluateRule(graphite.url, rule('page-latency-p95'));
          return result.firing ? result : undefined;
        },
        90 * SECONDS,
      );
      expect(latency.values['page p95']).toBeGreaterThan(1000);
      expect(await evaluateRule(graphite.url, rule('greetings-fallback-rate'))).toMatchObject({
        firing: true,
      });
      // Each rule catches its own scenario: neither slows anything into a 5xx.
      expect(await evaluateRule(graphite.url, rule('http-5xx-rate'))).toMatchObject({
        firing: false,
      });

      // No command: both end by themselves when their time is up.
      const until = on + 100 * SECONDS;
      await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())));
      await Promise.all([
        everyReplica('maths', 'maths fast again', async (u) => (await mathsCall(u)).ms < 500),
        everyReplica(
          'greetings',
          'greetings from the store again',
          async (u) => (await strategy(u)) !== 'fallback',
        ),
      ]);
      expect(scenario('list').out).toMatch(/mathsSlow +off/);
    },
    220 * SECONDS,
  );

  it(
    'mathsErrors 50%: some calls of every replica fail, the page notices, the 5xx rule fires; the slow scenarios\u2019 alerts clear; off by command, and the 5xx alert clears',
    async () => {
      expect(scenario('on', 'mathsErrors', '50%').out).toMatch(/mathsErrors 50% on, until /);
      await everyReplica('maths', 'a maths call fails', async (u) => {
        const calls = await Promise.all(Array.from({ length: 10 }, () => mathsCall(u)));
        return calls.some((c) => c.status === 500);
      });
      expect(
        await eventually(
          'a page shows the maths notice',
          () => pageText('#maths-unavailable'),
          20 * SECONDS,
        ),
      ).toBeTruthy();
      await receiver.waitFor(
        (spans) =>
          spans.some(
            (s) =>
              s.service === 'maths' &&
              s.attributes['scenario.name'] === 'mathsErrors' &&
              s.status === 2,
          ),
        10 * SECONDS,
      );

      const errors = await eventually(
        '5xx rule fires',
        async () => {
          const result = await evaluateRule(graphite.url, rule('http-5xx-rate'));
          return result.firing ? result : undefined;
        },
        90 * SECONDS,
      );
      expect(errors.values.maths).toBeGreaterThan(0.1);
      // Within the minute after the slow scenarios ended, their alerts clear
      // (while the 5xx one fires: each rule follows its own scenario).
      for (const uid of ['page-latency-p95', 'greetings-fallback-rate'])
        await eventually(
          `${uid} clears`,
          async () => ((await evaluateRule(graphite.url, rule(uid))).firing ? undefined : true),
          90 * SECONDS,
        );
      expect(await evaluateRule(graphite.url, rule('http-5xx-rate'))).toMatchObject({
        firing: true,
      });

      expect(scenario('off', 'mathsErrors')).toMatchObject({ status: 0, out: 'mathsErrors off\n' });
      await everyReplica('maths', 'maths answers again', async (u) => {
        const calls = await Promise.all(Array.from({ length: 10 }, () => mathsCall(u)));
        return calls.every((c) => c.status === 200);
      });
      await eventually(
        '5xx rule clears',
        async () =>
          (await evaluateRule(graphite.url, rule('http-5xx-rate'))).firing ? undefined : true,
        90 * SECONDS,
      );
      expect(await scenarioEvents()).toEqual(
        expect.arrayContaining(['mathsErrors 50% on', 'mathsErrors off']),
      );
    },
    240 * SECONDS,
  );

  it(
    'greetingsLikeErrors 100%: every replica refuses Likes with 503 and counts nothing, greetings go on; off by command',
    async () => {
      expect(scenario('on', 'greetingsLikeErrors', '100%', '--for', '1m').status).toBe(0);
      const like = async (url: string) => {
        const shown = await fetch(`${url}/greeting/Ann`, {
          headers: { accept: 'application/json' },
        });
        const { impression } = (await shown.json()) as { impression: string | null };
        if (!impression) return undefined;
        const res = await fetch(`${url}/like_greeting`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ impression }),
        });
        return res.status;
      };
      await everyReplica('greetings', 'a Like is refused', async (u) => (await like(u)) === 503);
      expect(scenario('off', 'greetingsLikeErrors').status).toBe(0);
      await everyReplica('greetings', 'a Like counts again', async (u) => (await like(u)) === 200);
      await receiver.waitFor(
        (spans) => spans.some((s) => s.attributes['scenario.name'] === 'greetingsLikeErrors'),
        10 * SECONDS,
      );
    },
    60 * SECONDS,
  );

  it(
    'a phase action is an experiment event in graphite-web; a refused switch changes nothing',
    async () => {
      // Each action names the phase it is meant for (ifPhase, required).
      const admin = async (path: string) => {
        const current = await fetch(`${stack.urls.greetings}/experiments/current`);
        const { phase } = (await current.json()) as { phase: number };
        return fetch(`${stack.urls.greetings}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ifPhase: phase }),
        });
      };
      expect((await admin('/admin/experiments/current/pause')).status).toBe(200);
      expect((await admin('/admin/experiments/current/resume')).status).toBe(200);
      const experiment = graphiteAnnotations(loadDashboard())[1]!;
      const events = await eventually(
        'experiment events',
        async () => {
          const found = await annotationEvents(graphite.url, experiment);
          return found.length >= 2 ? found : undefined;
        },
        10 * SECONDS,
      );
      expect(events.map((e) => e.what)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^phase \d+ paused$/),
          expect.stringMatching(/^phase \d+ resumed$/),
        ]),
      );
      expect(events.every((e) => e.tags.includes('experiment'))).toBe(true);

      const before = readFileSync(flagFile, 'utf8');
      expect(scenario('on', 'mathsSlow', '10s')).toMatchObject({
        status: 1,
        out: expect.stringContaining('Unknown variant "10s" of mathsSlow'),
      });
      expect(readFileSync(flagFile, 'utf8')).toBe(before);
    },
    30 * SECONDS,
  );
});
