/**
 * `node integration-tests/dist/check-metrics.js [GRAPHITE_URL] [APP_URL] [SECONDS]`:
 * uses the running system a little (pages, a division by zero, a bad number)
 * and asks graphite-web every query of the Grafana dashboard, as Grafana
 * would, again every 5 s until each panel has one series with data per
 * legend entry (see dashboard.ts).
 * Exits 1 naming what is wrong after SECONDS (default 300: graphite-statsd
 * flushes StatsD every 10 s, and its carbon creates at most 50 new whisper
 * files a minute). Used by `npm run test:docker` and the GitHub workflow.
 */
import { checkDashboard, dashboardProblems, loadDashboard } from './dashboard';

/**
 * Pages, a division by zero and a bad number (the 4xx chart); each page also
 * greets (impressions, strategies). Sent again before every look: a fresh
 * graphite-statsd's carbon creates at most 50 whisper files a minute and
 * drops the points of a metric whose file it could not create yet.
 */
async function useTheSystem(app: string): Promise<void> {
  for (const [path, status] of [
    ['/Bob/1/1', 200],
    ['/Ann/7/0', 200],
    ['/Bob/abc/1', 400],
  ] as const) {
    const res = await fetch(`${app}${path}`);
    if (res.status !== status)
      throw new Error(`${app}${path} answered ${res.status}, not ${status}`);
  }
}

async function main(): Promise<void> {
  const graphite = (process.argv[2] ?? 'http://localhost:8080').replace(/\/+$/, '');
  const app = (process.argv[3] ?? 'http://localhost:5000').replace(/\/+$/, '');
  const seconds = Number(process.argv[4] ?? 300);
  const dashboard = loadDashboard();
  const started = Date.now();
  let problems: string[];
  for (;;) {
    await useTheSystem(app);
    try {
      const reports = await checkDashboard(graphite, dashboard);
      problems = dashboardProblems(reports);
      if (problems.length === 0) {
        for (const r of reports)
          console.log(`  ${r.title}: ${r.series.map((s) => `${s.name} (${s.points})`).join(', ')}`);
        break;
      }
    } catch (error) {
      problems = [`${graphite} did not answer: ${String(error)}`];
    }
    if (Date.now() - started > seconds * 1000) {
      console.error(
        `the dashboard's queries in ${graphite}, after ${seconds} s:\n  ${problems.join('\n  ')}`,
      );
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 5000));
  }
  console.log(
    `every dashboard query answers in ${graphite} (after ${Math.round((Date.now() - started) / 1000)} s)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
