import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './stack';

/**
 * The Grafana dashboard, checked against a real graphite-web: every panel's
 * targets are sent to `/render` the way Grafana's Graphite data source sends
 * them, and the answer must hold, for each target, one series per thing its
 * legend names, each with data. Generic over the dashboard JSON: a new panel
 * or target is checked without touching this file, as long as its legend
 * comes from `alias`, `aliasByNode`, `aliasByMetric` or `aliasSub` (the
 * check refuses targets whose legend would be a raw Graphite expression).
 */

export interface DashboardTarget {
  refId?: string;
  target?: string;
  targetFull?: string;
  hide?: boolean;
}

export interface DashboardPanel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string } | string | null;
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
  maxDataPoints?: number;
}

export interface DashboardVariable {
  name: string;
  type?: string;
  current?: { value?: string | string[]; text?: string | string[] };
  options?: { value: string }[];
  allValue?: string | null;
  query?: string;
}

export interface Dashboard {
  uid?: string;
  panels: DashboardPanel[];
  time?: { from: string; to: string };
  templating?: { list?: DashboardVariable[] };
}

export function loadDashboard(): Dashboard {
  return JSON.parse(
    readFileSync(join(repoRoot(), 'grafana', 'dashboards', 'friendly-calculator.json'), 'utf8'),
  ) as Dashboard;
}

/** Every panel that is not a row, including those inside collapsed rows. */
export function chartPanels(dashboard: Dashboard): DashboardPanel[] {
  return dashboard.panels.flatMap((panel) =>
    panel.type === 'row' ? (panel.panels ?? []) : [panel],
  );
}

/** Grafana's Graphite data source turns `now-30m` into `-30min` (and `M` into `mon`). */
export function grafanaTime(time: string): string {
  if (time.includes('now-') && !time.includes('/'))
    return time.substring(3).replace('m', 'min').replace('M', 'mon');
  return time;
}

/** Template variables in Graphite's glob format, as Grafana interpolates them. */
export function interpolate(text: string, variables: readonly DashboardVariable[] = []): string {
  const value = (name: string): string | undefined => {
    const variable = variables.find((v) => v.name === name);
    if (!variable) return undefined;
    let current = variable.current?.value ?? variable.query ?? '';
    if (current === '$__all' || (Array.isArray(current) && current.includes('$__all'))) {
      if (variable.allValue) return variable.allValue;
      current = (variable.options ?? []).map((o) => o.value).filter((v) => v !== '$__all');
    }
    if (Array.isArray(current)) return current.length === 1 ? current[0] : `{${current.join(',')}}`;
    return current;
  };
  return text.replace(
    /\$(\w+)|\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]/g,
    (whole, a?: string, b?: string, c?: string) => value((a ?? b ?? c)!) ?? whole,
  );
}

/** A panel's targets as Grafana sends them: hidden ones left out, `#A` references expanded. */
export function panelTargets(
  panel: DashboardPanel,
  variables: readonly DashboardVariable[] = [],
): string[] {
  const targets = panel.targets ?? [];
  const byRef = new Map(targets.map((t) => [t.refId, t.targetFull ?? t.target ?? '']));
  const expand = (text: string, depth = 0): string =>
    depth > 10
      ? text
      : text.replace(/#([A-Z]+)\b/g, (whole, ref: string) =>
          byRef.has(ref) ? expand(byRef.get(ref)!, depth + 1) : whole,
        );
  return targets
    .filter((t) => !t.hide && (t.targetFull ?? t.target ?? '').trim() !== '')
    .map((t) => interpolate(expand(t.targetFull ?? t.target!), variables));
}

/** The form body of Grafana's POST /render for one panel. */
export function renderBody(panel: DashboardPanel, dashboard: Dashboard): URLSearchParams {
  const body = new URLSearchParams();
  for (const target of panelTargets(panel, dashboard.templating?.list))
    body.append('target', target);
  body.set('from', grafanaTime(dashboard.time?.from ?? 'now-6h'));
  body.set('until', grafanaTime(dashboard.time?.to ?? 'now'));
  body.set('format', 'json');
  body.set('maxDataPoints', String(panel.maxDataPoints ?? 1000));
  return body;
}

// --- Graphite target expressions: just enough of a parser to find the legend.

export type Expression =
  | { kind: 'call'; name: string; args: Expression[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'path'; value: string };

export function parseTarget(text: string): Expression {
  let i = 0;
  const skip = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const expression = (): Expression => {
    skip();
    const quote = text[i];
    if (quote === "'" || quote === '"') {
      const end = text.indexOf(quote, i + 1);
      if (end < 0) throw new Error(`unterminated string in ${text}`);
      const value = text.slice(i + 1, end);
      i = end + 1;
      return { kind: 'string', value };
    }
    // A path or a function name: up to a comma or parenthesis outside braces.
    const start = i;
    let braces = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '{') braces++;
      else if (c === '}') braces--;
      else if (braces === 0 && (c === ',' || c === '(' || c === ')')) break;
      i++;
    }
    const word = text.slice(start, i).trim();
    if (text[i] === '(') {
      i++;
      const args: Expression[] = [];
      skip();
      if (text[i] === ')') i++;
      else
        for (;;) {
          args.push(expression());
          skip();
          if (text[i] === ',') i++;
          else if (text[i] === ')') {
            i++;
            break;
          } else throw new Error(`expected , or ) at ${i} in ${text}`);
        }
      return { kind: 'call', name: word, args };
    }
    if (/^-?\d+(\.\d+)?$/.test(word)) return { kind: 'number', value: Number(word) };
    if (word === '') throw new Error(`empty argument at ${i} in ${text}`);
    return { kind: 'path', value: word };
  };
  const result = expression();
  skip();
  if (i !== text.length) throw new Error(`trailing text at ${i} in ${text}`);
  return result;
}

/** Python's `\1` in a re.sub replacement is JavaScript's `$1`. */
function pythonReplacement(replacement: string): string {
  return replacement.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
}

const ALIASES = ['alias', 'aliasByNode', 'aliasByMetric', 'aliasSub'];

/**
 * The names a target's series should have, given how graphite-web expands a
 * path glob (`leaves`), or why the check cannot know them. A small model of
 * graphite's naming, not of its values:
 * - a path gives one series per metric it matches;
 * - `alias`, `aliasByNode`, `aliasByMetric`, `aliasSub` rename each series
 *   (`aliasByNode` by nodes of the metric it comes from);
 * - `groupByNode(s)` gives one series per distinct value of its nodes, named
 *   by it; `asPercent(series, total, nodes...)` one per distinct value in
 *   either list, named after the matching series (or MISSING);
 * - `group(a, b, ...)` joins lists;
 * - any other function keeps its first argument's series and their names
 *   (integral, scale, divideSeries, asPercent without nodes, ...).
 * The outermost function must be one of the aliases: a target whose legend
 * would be a raw Graphite expression is reported.
 */
export async function legendNames(
  expression: Expression,
  leaves: (pattern: string) => Promise<string[]>,
): Promise<string[] | { unknown: string }> {
  if (expression.kind !== 'call' || !ALIASES.includes(expression.name))
    return {
      unknown: `the legend would show a raw Graphite expression: wrap the target in ${ALIASES.join(', ')}`,
    };
  return seriesNames(expression, leaves);
}

async function seriesNames(
  expression: Expression,
  leaves: (pattern: string) => Promise<string[]>,
): Promise<string[]> {
  if (expression.kind === 'path') return leaves(expression.value);
  if (expression.kind !== 'call') return [];
  const args = expression.args;
  const lists = args.filter((a) => a.kind === 'path' || a.kind === 'call');
  const numbers = args.filter((a) => a.kind === 'number').map((a) => a.value);
  const strings = args.filter((a) => a.kind === 'string').map((a) => a.value);
  const first = lists[0] ? await seriesNames(lists[0], leaves) : [];
  const pick = (name: string, nodes: number[]) => {
    const parts = name.split('.');
    return nodes.map((n) => parts[n < 0 ? parts.length + n : n]).join('.');
  };
  const distinct = (names: string[]) => [...new Set(names)];
  switch (expression.name) {
    case 'alias':
      return first.map(() => strings[0] ?? '');
    case 'aliasByNode':
      return first.map((name) => pick(name, numbers));
    case 'aliasByMetric':
      return first.map((name) => pick(name, [-1]));
    case 'aliasSub': {
      const [search = '', replace = ''] = strings;
      return first.map((n) => n.replace(new RegExp(search), pythonReplacement(replace)));
    }
    case 'groupByNode':
      return distinct(first.map((name) => pick(name, numbers)));
    case 'groupByNodes':
      return distinct(first.map((name) => pick(name, numbers)));
    case 'group':
      return (await Promise.all(lists.map((l) => seriesNames(l, leaves)))).flat();
    case 'asPercent': {
      if (numbers.length === 0 || lists.length < 2) return first;
      // One series per key; named asPercent(series,total), or asPercent(MISSING,total)
      // when only the total has that key: aliasByNode then reads the first of them.
      const total = await seriesNames(lists[1]!, leaves);
      const keys = distinct([...first, ...total].map((name) => pick(name, numbers)));
      return keys.map((key) => first.find((name) => pick(name, numbers) === key) ?? 'MISSING');
    }
    default:
      return first;
  }
}

export interface PanelReport {
  title: string;
  targets: string[];
  /** Series names graphite-web returned, and how many data points each has. */
  series: { name: string; points: number }[];
  expected: string[];
  problems: string[];
}

/** Asks graphite-web (at `graphiteUrl`) every panel's targets; one report per panel. */
export async function checkDashboard(
  graphiteUrl: string,
  dashboard: Dashboard,
): Promise<PanelReport[]> {
  const base = graphiteUrl.replace(/\/+$/, '');
  const leaves = async (pattern: string): Promise<string[]> => {
    const res = await fetch(
      `${base}/metrics/expand?leavesOnly=1&query=${encodeURIComponent(pattern)}`,
      {
        signal: AbortSignal.timeout(10_000),
      },
    );
    if (!res.ok) throw new Error(`/metrics/expand?query=${pattern} answered ${res.status}`);
    return ((await res.json()) as { results: string[] }).results;
  };
  const reports: PanelReport[] = [];
  for (const panel of chartPanels(dashboard)) {
    const targets = panelTargets(panel, dashboard.templating?.list);
    if (targets.length === 0) continue;
    const report: PanelReport = {
      title: panel.title ?? `panel ${panel.id}`,
      targets,
      series: [],
      expected: [],
      problems: [],
    };
    reports.push(report);
    /** Targets that match no metric: in a panel with others, graphite-web just leaves them out. */
    const empty: string[] = [];
    for (const target of targets) {
      try {
        const names = await legendNames(parseTarget(target), leaves);
        if (Array.isArray(names)) {
          report.expected.push(...names);
          if (names.length === 0) empty.push(target);
        } else report.problems.push(`${target}: ${names.unknown}`);
      } catch (error) {
        report.problems.push(`${target}: ${String(error)}`);
      }
    }
    const res = await fetch(`${base}/render`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: renderBody(panel, dashboard),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    if (!res.ok) {
      report.problems.push(
        `/render answered ${res.status}: ${text
          .replace(/<[^>]*>/g, ' ')
          .replace(/\s+/g, ' ')
          .slice(0, 300)}`,
      );
      continue;
    }
    const series = JSON.parse(text) as { target: string; datapoints: [number | null, number][] }[];
    report.series = series.map((s) => ({
      name: s.target,
      points: s.datapoints.filter(([value]) => value !== null).length,
    }));
    if (report.problems.length > 0) continue; // the legend is unknown: nothing to compare
    const got = report.series.map((s) => s.name).sort();
    const want = [...report.expected].sort();
    if (report.expected.length === 0) report.problems.push('no metric matches the targets yet');
    else for (const target of empty) report.problems.push(`${target}: no metric matches it yet`);
    if (JSON.stringify(got) !== JSON.stringify(want))
      report.problems.push(
        `series ${JSON.stringify(got)}, but the legend should read ${JSON.stringify(want)}`,
      );
    const twice = got.filter((name, i) => got.indexOf(name) !== i);
    for (const name of new Set(twice))
      report.problems.push(
        `more than one series named ${JSON.stringify(name)}: the legend cannot tell them apart`,
      );
    for (const s of report.series)
      if (s.points === 0) report.problems.push(`series ${JSON.stringify(s.name)} has no data`);
  }
  return reports;
}

/** One line per problem, `panel title: problem`. */
export function dashboardProblems(reports: readonly PanelReport[]): string[] {
  return reports.flatMap((r) => r.problems.map((p) => `${r.title}: ${p}`));
}
