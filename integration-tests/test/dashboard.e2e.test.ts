import { startStatsdReceiver, type StatsdReceiver } from '@friendly-calculator/common/testing';
import {
  dashboardPatterns,
  globToRegExp,
  loadDashboard,
  parseStatsdLine,
  storedNames,
  unmatchedPatterns,
} from '../src/graphite';
import { startLocalStack, type LocalStack } from '../src/stack';

describe('the Grafana dashboard', () => {
  const dashboard = loadDashboard() as {
    uid: string;
    panels: {
      type: string;
      title: string;
      datasource?: { uid: string };
      targets?: { target: string }[];
    }[];
  };

  it('is provisioned with an id, and every chart reads from the Graphite data source', () => {
    expect(dashboard.uid).toBe('friendly-calculator');
    const charts = dashboard.panels.filter((p) => p.type !== 'row');
    expect(charts.length).toBeGreaterThanOrEqual(9);
    for (const chart of charts) {
      expect(chart.datasource?.uid).toBe('graphite');
      expect(chart.targets?.length).toBeGreaterThan(0);
    }
  });

  it('reads Graphite globs the way Graphite does', () => {
    expect(globToRegExp('stats.maths.requests.*').test('stats.maths.requests.add')).toBe(true);
    expect(globToRegExp('stats.maths.requests.*').test('stats.maths.requests.add.x')).toBe(false);
    expect(
      globToRegExp('stats_counts.greetings.{likes,impressions}.*').test(
        'stats_counts.greetings.likes.hello',
      ),
    ).toBe(true);
    expect(
      globToRegExp('stats_counts.greetings.{likes,impressions}.*').test(
        'stats_counts.greetings.strategy.explore',
      ),
    ).toBe(false);
  });

  describe('against the metrics the real services send', () => {
    let receiver: StatsdReceiver;
    let stack: LocalStack;

    beforeAll(async () => {
      receiver = await startStatsdReceiver();
      stack = await startLocalStack({ statsdPort: receiver.port });
    });
    afterAll(async () => {
      await stack?.stop();
      await receiver?.close();
    });

    it('when the system is used (and maths and Redis fail once), then every dashboard target has data', async () => {
      const app = stack.urls['awesome-app'];
      for (const path of ['/Bob/1/1', '/Ann/7/0', '/Bob/abc/1']) await fetch(`${app}${path}`);
      const shown = (await (
        await fetch(`${stack.urls.greetings}/greeting/Bob`, {
          headers: { accept: 'application/json' },
        })
      ).json()) as { impression: string };
      await fetch(`${stack.urls.greetings}/like_greeting`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ impression: shown.impression }),
      });
      await fetch(`${stack.urls.maths}/power?x=2&y=3`);
      // Failures feed the error charts: maths down for the page, Redis down for greetings.
      await stack.stopService('maths');
      await fetch(`${app}/Bob/1/1`);
      await stack.startService('maths');
      await stack.redis.kill();
      await fetch(`${app}/Bob/1/1`);
      await stack.redis.restart();

      const stored = () =>
        receiver.lines.flatMap((line) => {
          const parsed = parseStatsdLine(line);
          return parsed ? storedNames(parsed.name, parsed.type) : [];
        });
      // Services flush their metrics every 250 ms.
      await receiver
        .waitFor(() => unmatchedPatterns(dashboard, stored()).length === 0, 5000)
        .catch(() => undefined);
      expect(dashboardPatterns(dashboard).length).toBeGreaterThanOrEqual(12);
      expect(unmatchedPatterns(dashboard, stored())).toEqual([]);
    });
  });
});
