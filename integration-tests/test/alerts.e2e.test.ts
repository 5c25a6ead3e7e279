import {
  alertPanelLinkProblems,
  alertPanels,
  alertRules,
  alertingProblems,
  datasourceUids,
  durationSeconds,
  loadAlerting,
  type AlertingFile,
} from '../src/alerts';
import { loadDashboard } from '../src/dashboard';

// The alert rules' Graphite targets are asked of a real graphite-web, after
// real traffic, in dashboard.e2e.test.ts (one Graphite, one stack for both).

describe('the provisioned alert rules (grafana/provisioning/alerting)', () => {
  const files = loadAlerting();
  const uids = datasourceUids();

  it('parse, and every query reads the provisioned Graphite data source or an expression', () => {
    expect(uids).toContain('graphite');
    expect(files.size).toBeGreaterThanOrEqual(1);
    expect(alertingProblems(files, 'graphite', uids)).toEqual([]);
  });

  it('page on p95 latency, 5xx, fallbacks, store errors and a store reset, each with a window', () => {
    const rules = alertRules(files);
    expect(rules.map((r) => r.uid)).toContain('page-latency-p95');
    const targets = rules.flatMap((r) => (r.data ?? []).map((q) => q.model?.target ?? ''));
    expect(targets).toEqual(
      expect.arrayContaining([
        expect.stringContaining('stats.timers.awesome_app.http.latency.upper_95'),
        expect.stringContaining('.http.status.5xx'),
        expect.stringContaining('stats.greetings.strategy.fallback'),
        expect.stringContaining('stats.greetings.store.errors'),
        expect.stringContaining('stats_counts.greetings.store.reset'),
      ]),
    );
    for (const rule of rules) expect(durationSeconds(rule.for)).toBeGreaterThanOrEqual(60);
    const panels = alertPanels(files, 'graphite');
    expect(panels).toHaveLength(rules.length);
    for (const panel of panels) expect(panel.targets.length).toBeGreaterThan(0);
  });

  it('each link to the dashboard panel that shows what it watches (its state changes are drawn there)', () => {
    const dashboard = loadDashboard();
    expect(alertPanelLinkProblems(files, dashboard)).toEqual([]);
    const broken = structuredClone(files.values().next().value) as AlertingFile;
    const [first, second] = broken.groups![0]!.rules!;
    first!.annotations = { ...first!.annotations, __panelId__: '999' };
    second!.annotations = { ...second!.annotations, __dashboardUid__: 'another' };
    expect(alertPanelLinkProblems(new Map([['broken.yml', broken]]), dashboard)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('__panelId__ 999 is no chart panel of the dashboard'),
        expect.stringContaining("__dashboardUid__ another is not the dashboard's uid"),
      ]),
    );
  });

  it('catches a wrong data source uid, a dangling condition, a missing contact point, a too short for: and a live rule in deleteRules', () => {
    const broken = structuredClone(files.values().next().value) as AlertingFile;
    const rule = broken.groups![0]!.rules![0]!;
    rule.data![0]!.datasourceUid = 'graphite-typo';
    rule.condition = 'Z';
    rule.for = '10s';
    broken.policies![0]!.receiver = 'nobody';
    broken.deleteRules = [{ orgId: 1, uid: broken.groups![0]!.rules![1]!.uid }];
    const problems = alertingProblems(new Map([['broken.yml', broken]]), 'graphite', uids);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('asks data source "graphite-typo", which is not provisioned'),
        expect.stringContaining('its condition Z is none of its queries'),
        expect.stringContaining('for: 10s is shorter than one evaluation'),
        expect.stringContaining('a policy sends to "nobody", which no contact point is'),
        expect.stringMatching(/deleteRules deletes "[\w-]+", a rule the files provision/),
      ]),
    );
  });
});
