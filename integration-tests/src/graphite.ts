import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './stack';

/**
 * How graphite-statsd stores what the services send, and which stored
 * metrics the Grafana dashboard reads: so a test can check that every chart
 * has data behind it.
 *
 * graphite-statsd runs StatsD with its default "legacy" namespace: a counter
 * `maths.requests.add` becomes `stats.maths.requests.add` (per second) and
 * `stats_counts.maths.requests.add` (per flush); a timer `maths.latency.add`
 * becomes `stats.timers.maths.latency.add.mean`, `.upper_90`, `.count`, ...;
 * a gauge `x` becomes `stats.gauges.x`.
 */
const TIMER_STATS = [
  'mean',
  'upper',
  'lower',
  'count',
  'count_ps',
  'sum',
  'median',
  'std',
  'upper_90',
  'mean_90',
  'sum_90',
];

export function storedNames(name: string, type: string): string[] {
  switch (type) {
    case 'c':
    case 'counter':
      return [`stats.${name}`, `stats_counts.${name}`];
    case 'ms':
    case 'timer':
      return TIMER_STATS.map((stat) => `stats.timers.${name}.${stat}`);
    case 'g':
    case 'gauge':
      return [`stats.gauges.${name}`];
    default:
      return [];
  }
}

/** `maths.requests.add:1|c` → `{ name: 'maths.requests.add', type: 'c' }`. */
export function parseStatsdLine(line: string): { name: string; type: string } | undefined {
  const match = /^([^:|]+):[^|]*\|([a-z]+)/.exec(line.trim());
  return match ? { name: match[1]!, type: match[2]! } : undefined;
}

/** Every metric path pattern in the dashboard's Graphite targets, e.g. `stats.maths.requests.*`. */
export function dashboardPatterns(dashboard: unknown): string[] {
  const patterns = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'target' && typeof value === 'string') {
          for (const m of value.matchAll(/\bstats(?:_counts)?\.(?:[\w.*-]|\{[\w,*-]*\})+/g))
            patterns.add(m[0]);
        } else visit(value);
      }
    }
  };
  visit(dashboard);
  return [...patterns];
}

/** Graphite's glob: `*` within one node, `{a,b}` alternatives. */
export function globToRegExp(pattern: string): RegExp {
  const source = pattern
    .split('.')
    .map((node) =>
      node
        .replace(/[.+?^$()[\]\\|]/g, '\\$&')
        .replace(/\*/g, '[^.]*')
        .replace(
          /\{([^}]*)\}/g,
          (_, alternatives: string) => `(?:${alternatives.split(',').join('|')})`,
        ),
    )
    .join('\\.');
  return new RegExp(`^${source}$`);
}

export function loadDashboard(): unknown {
  return JSON.parse(
    readFileSync(join(repoRoot(), 'grafana', 'dashboards', 'friendly-calculator.json'), 'utf8'),
  );
}

/** The dashboard's patterns that match none of `stored`. */
export function unmatchedPatterns(dashboard: unknown, stored: Iterable<string>): string[] {
  const names = [...stored];
  return dashboardPatterns(dashboard).filter((p) => !names.some((n) => globToRegExp(p).test(n)));
}
