/**
 * `node integration-tests/dist/check-metrics.js [GRAPHITE_URL] [APP_URL]`:
 * uses the running system a little (a page, a division by zero), then waits
 * until Graphite (or the CI's StatsD stand-in, which answers the same
 * `/metrics/index.json`) knows a metric for every target of the Grafana
 * dashboard. Exits 1 naming what is missing after 90 s (graphite-statsd
 * flushes every 10 s). Used by `npm run test:docker`.
 */
import { loadDashboard, unmatchedPatterns } from './graphite';

async function main(): Promise<void> {
  const graphite = (process.argv[2] ?? 'http://localhost:8080').replace(/\/+$/, '');
  const app = (process.argv[3] ?? 'http://localhost:5000').replace(/\/+$/, '');
  for (const path of ['/Bob/1/1', '/Ann/7/0']) {
    const res = await fetch(`${app}${path}`);
    if (res.status !== 200) throw new Error(`${app}${path} answered ${res.status}`);
  }
  const dashboard = loadDashboard();
  const deadline = Date.now() + 90_000;
  let missing: string[];
  for (;;) {
    try {
      const res = await fetch(`${graphite}/metrics/index.json`, {
        signal: AbortSignal.timeout(5000),
      });
      missing = unmatchedPatterns(dashboard, (await res.json()) as string[]);
      if (missing.length === 0) break;
    } catch (error) {
      missing = [`(${graphite} did not answer: ${String(error)})`];
    }
    if (Date.now() > deadline) {
      console.error(`dashboard targets with no data in ${graphite}:\n  ${missing.join('\n  ')}`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  console.log(`every dashboard target has data in ${graphite}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
