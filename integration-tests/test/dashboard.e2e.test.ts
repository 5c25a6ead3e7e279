import { freePort } from '@friendly-calculator/common/testing';
import {
  chartPanels,
  checkDashboard,
  dashboardProblems,
  grafanaTime,
  interpolate,
  loadDashboard,
  panelTargets,
  parseTarget,
  type Dashboard,
} from '../src/dashboard';
import { alertPanels, loadAlerting } from '../src/alerts';
import { startGraphite, type Graphite } from '../src/graphite';
import { startLocalStack, type LocalStack } from '../src/stack';

// The like-rate query the dashboard had until it was checked against the real
// graphite-web: reduceSeries keeps the nodes before its reduce node only, so
// every variant collapsed into one series named `divideSeries`.
const OLD_LIKE_RATE =
  "aliasByNode(reduceSeries(mapSeries(integral(stats_counts.greetings.{likes,impressions}.*), 3), 'divideSeries', 2, 'likes', 'impressions'), 3)";

/** A copy of the dashboard whose panel `title` has the given targets instead of its own. */
function withTargets(dashboard: Dashboard, title: string, targets: string[]): Dashboard {
  const copy = structuredClone(dashboard);
  const panel = chartPanels(copy).find((p) => p.title === title);
  if (!panel) throw new Error(`no panel ${title}`);
  panel.targets = targets.map((target, i) => ({ refId: String.fromCharCode(65 + i), target }));
  return copy;
}

describe('the Grafana dashboard', () => {
  const dashboard = loadDashboard();

  it('is provisioned with an id, and every chart reads from the Graphite data source', () => {
    expect(dashboard.uid).toBe('friendly-calculator');
    const charts = chartPanels(dashboard);
    expect(charts.length).toBeGreaterThanOrEqual(9);
    for (const chart of charts) {
      expect(chart.datasource).toMatchObject({ uid: 'graphite' });
      expect(chart.targets?.length).toBeGreaterThan(0);
    }
  });

  it('is sent to Graphite the way Grafana sends it: times, template variables, #refs, hidden targets', () => {
    expect(grafanaTime('now-30m')).toBe('-30min');
    expect(grafanaTime('now-2M')).toBe('-2mon');
    expect(grafanaTime('now')).toBe('now');
    const variables = [
      { name: 'variant', current: { value: ['hello', 'howdy'] } },
      { name: 'op', current: { value: 'add' } },
    ];
    expect(interpolate('stats.greetings.likes.$variant', variables)).toBe(
      'stats.greetings.likes.{hello,howdy}',
    );
    expect(interpolate('stats.maths.requests.${op}.[[op]]', variables)).toBe(
      'stats.maths.requests.add.add',
    );
    expect(
      panelTargets({
        type: 'timeseries',
        targets: [
          { refId: 'A', target: 'stats.a.*', hide: true },
          { refId: 'B', target: 'alias(sumSeries(#A), "all")' },
        ],
      }),
    ).toEqual(['alias(sumSeries(stats.a.*), "all")']);
    expect(parseTarget("alias(stats.{a,b}.*, 'x, y')")).toEqual({
      kind: 'call',
      name: 'alias',
      args: [
        { kind: 'path', value: 'stats.{a,b}.*' },
        { kind: 'string', value: 'x, y' },
      ],
    });
  });

  describe('asked of the real graphite-web, after the real services were used', () => {
    let graphite: Graphite;
    let stack: LocalStack;
    /** The variants greetings showed at least once (read before Redis is killed). */
    let greeted: string[];

    beforeAll(async () => {
      // Graphite and the services start side by side (StatsD's port chosen first).
      // Explore often, so both strategies show and most variants are greeted.
      const statsdPort = await freePort();
      [graphite, stack] = await Promise.all([
        startGraphite({ statsdPort }),
        // One Like per client a minute: the second Like below is refused (rate_limited).
        startLocalStack({ statsdPort, env: { EPSILON: '0.5', LIKES_PER_MINUTE_PER_CLIENT: '1' } }),
      ]);

      const app = stack.urls['awesome-app'];
      for (const path of ['/Bob/1/1', '/Ann/7/0', '/Bob/abc/1']) await fetch(`${app}${path}`);
      await fetch(`${stack.urls.maths}/power?x=2&y=3`);
      // Greetings, and one Like: the other variants are shown but never liked.
      let shown: { impression: string } | undefined;
      for (let i = 0; i < 20; i++) {
        shown = (await (
          await fetch(`${stack.urls.greetings}/greeting/Bob`, {
            headers: { accept: 'application/json' },
          })
        ).json()) as { impression: string };
      }
      await fetch(`${stack.urls.greetings}/like_greeting`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ impression: shown!.impression }),
      });
      const limited = await fetch(`${stack.urls.greetings}/like_greeting`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ impression: shown!.impression }),
      });
      expect(limited.status).toBe(429);
      const stats = (await (await fetch(`${stack.urls.greetings}/stats`)).json()) as {
        variants: { name: string; shown: number }[];
      };
      greeted = stats.variants.filter((v) => v.shown > 0).map((v) => v.name);
      // Failures feed the error charts: maths down for the page, Redis down for greetings.
      await stack.stopService('maths');
      await fetch(`${app}/Bob/1/1`);
      await stack.startService('maths');
      await stack.redis.kill();
      await fetch(`${app}/Bob/1/1`);
      // A Like while Redis is down is a 503: the 5xx panel and alert have data.
      await fetch(`${stack.urls.greetings}/like_greeting`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ impression: shown!.impression }),
      });
      await stack.redis.restart();
    }, 90_000);

    afterAll(async () => {
      await stack?.stop();
      await graphite?.stop();
    });

    it('every panel gets one series with data for each thing its legend names', async () => {
      // StatsD flushes every 2 s here; carbon writes what it gets at once.
      const deadline = Date.now() + 30_000;
      let problems: string[];
      for (;;) {
        problems = dashboardProblems(await checkDashboard(graphite.url, dashboard));
        if (problems.length === 0 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, graphite.flushIntervalMs));
      }
      expect(problems).toEqual([]);

      const reports = await checkDashboard(graphite.url, dashboard);
      expect(reports.length).toBe(chartPanels(dashboard).length);
      const likeRate = reports.find((r) => r.title.startsWith('Like rate'));
      expect(greeted.length).toBeGreaterThanOrEqual(2);
      expect(likeRate?.series.map((s) => s.name).sort()).toEqual(greeted.sort());
    });

    it("every alert rule's Graphite target gets one named series with data, too", async () => {
      // The rules' queries as panels of a dashboard, checked by the same code.
      const rules: Dashboard = { ...dashboard, panels: alertPanels(loadAlerting(), 'graphite') };
      expect(rules.panels.length).toBeGreaterThanOrEqual(4);
      const deadline = Date.now() + 30_000;
      let problems: string[];
      for (;;) {
        problems = dashboardProblems(await checkDashboard(graphite.url, rules));
        if (problems.length === 0 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, graphite.flushIntervalMs));
      }
      expect(problems).toEqual([]);
      // And it fails on an alert whose target names a metric nobody sends.
      const typo: Dashboard = {
        ...dashboard,
        panels: [
          {
            ...rules.panels[0]!,
            targets: [{ refId: 'A', target: "alias(stats.greetings.store.errorz, 'x')" }],
          },
        ],
      };
      expect(dashboardProblems(await checkDashboard(graphite.url, typo))).toEqual([
        expect.stringContaining('no metric matches the targets yet'),
      ]);
    });

    it('catches the old like-rate query: one series named divideSeries, not one per variant', async () => {
      const broken = withTargets(dashboard, 'Like rate per variant (over the time range)', [
        OLD_LIKE_RATE,
      ]);
      const problems = dashboardProblems(await checkDashboard(graphite.url, broken));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /series \["divideSeries"\], but the legend should read \[".+",".+"/,
      );
    });

    it('catches a legend that would be a raw expression, a path with no metrics and a query graphite refuses', async () => {
      const title = chartPanels(dashboard)[0]!.title!;
      const problems = async (targets: string[]) =>
        dashboardProblems(
          await checkDashboard(graphite.url, withTargets(dashboard, title, targets)),
        );
      expect(await problems(['stats.maths.requests.*'])).toEqual([
        expect.stringContaining('the legend would show a raw Graphite expression'),
      ]);
      expect(await problems(['aliasByNode(stats.maths.requestz.*, 3)'])).toEqual([
        expect.stringContaining('no metric matches the targets yet'),
      ]);
      // One target of several with no metric (a percentile StatsD does not compute).
      expect(
        await problems([
          "alias(stats.timers.maths.http.latency.median, 'p50')",
          "alias(stats.timers.maths.http.latency.upper_75, 'p75')",
        ]),
      ).toEqual([
        expect.stringMatching(
          /^[^:]+: alias\(stats\.timers\.maths\.http\.latency\.upper_75, 'p75'\): no metric matches it yet$/,
        ),
      ]);
      expect(await problems(['aliasByNode(noSuchFunction(stats.maths.requests.*), 3)'])).toEqual([
        expect.stringMatching(/\/render answered (400|500)/),
      ]);
      expect(await problems(["alias(stats.maths.requests.*, 'all')"])).toEqual([
        expect.stringContaining('more than one series named "all"'),
      ]);
    });
  });
});
