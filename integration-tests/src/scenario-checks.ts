import type { AlertRule } from './alerts';
import { chartPanels, type Dashboard } from './dashboard';

/**
 * What the scenario tests ask of the real graphite-web, the way Grafana asks
 * it: an alert rule's condition (its Graphite query over its time range,
 * reduced and compared with its threshold), and the dashboard's annotations
 * (Graphite events by tag).
 */

export interface RuleEvaluation {
  /** Per series (Graphite's target name): the reduced value, or undefined (no data: OK). */
  values: Record<string, number | undefined>;
  firing: boolean;
}

type Reducer = 'mean' | 'max' | 'min' | 'last' | 'sum';

const REDUCE: Record<Reducer, (xs: number[]) => number> = {
  mean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
  max: (xs) => Math.max(...xs),
  min: (xs) => Math.min(...xs),
  last: (xs) => xs[xs.length - 1]!,
  sum: (xs) => xs.reduce((a, b) => a + b, 0),
};

/**
 * Evaluates `rule` now against graphite-web at `url`, as Grafana's
 * expressions do for the shape every provisioned rule has: one Graphite
 * query A, a reduce B (dropNN: nulls dropped), a threshold C (gt/lt).
 */
export async function evaluateRule(url: string, rule: AlertRule): Promise<RuleEvaluation> {
  const byRef = new Map((rule.data ?? []).map((q) => [q.refId, q]));
  const query = (rule.data ?? []).find((q) => q.model?.target);
  const reduce = (rule.data ?? []).find((q) => q.model?.type === 'reduce')?.model as
    { reducer?: Reducer } | undefined;
  const threshold = byRef.get(rule.condition)?.model as
    { conditions?: { evaluator?: { type?: string; params?: number[] } }[] } | undefined;
  const evaluator = threshold?.conditions?.[0]?.evaluator;
  if (!query?.model?.target || !reduce?.reducer || !evaluator?.params?.length)
    throw new Error(`rule ${rule.uid}: not the query, reduce, threshold shape`);
  const from = query.relativeTimeRange?.from ?? 600;
  const params = new URLSearchParams({
    target: query.model.target,
    from: `-${from}s`,
    until: 'now',
    format: 'json',
  });
  const res = await fetch(`${url}/render?${params.toString()}`);
  if (!res.ok) throw new Error(`/render answered ${res.status}: ${await res.text()}`);
  const series = (await res.json()) as { target: string; datapoints: [number | null, number][] }[];
  const values: Record<string, number | undefined> = {};
  let firing = false;
  for (const s of series) {
    const points = s.datapoints.map(([v]) => v).filter((v): v is number => v !== null);
    const value = points.length ? REDUCE[reduce.reducer](points) : undefined;
    values[s.target] = value;
    const limit = evaluator.params[0]!;
    if (value !== undefined && (evaluator.type === 'lt' ? value < limit : value > limit))
      firing = true;
  }
  return { values, firing };
}

export interface GraphiteAnnotation {
  name?: string;
  datasource?: { type?: string; uid?: string };
  enable?: boolean;
  target?: { fromAnnotations?: boolean; tags?: string[] };
  filter?: { exclude?: boolean; ids?: number[] };
}

export function graphiteAnnotations(dashboard: Dashboard): GraphiteAnnotation[] {
  const list = (dashboard as { annotations?: { list?: GraphiteAnnotation[] } }).annotations?.list;
  return (list ?? []).filter((a) => a.datasource?.type === 'graphite');
}

/** Problems, as sentences: an annotation with no tags, or drawn on a panel the dashboard lacks. */
export function annotationProblems(dashboard: Dashboard): string[] {
  const ids = new Set(chartPanels(dashboard).map((p) => p.id));
  return graphiteAnnotations(dashboard).flatMap((a) => {
    const out: string[] = [];
    if (a.datasource?.uid !== 'graphite' || !a.target?.fromAnnotations || !a.target.tags?.length)
      out.push(`annotation ${a.name}: asks the graphite data source for no event tags`);
    for (const id of a.filter?.ids ?? [])
      if (!ids.has(id)) out.push(`annotation ${a.name}: panel ${id} is no chart panel`);
    return out;
  });
}

export interface GraphiteEventRecord {
  what: string;
  tags: string[];
  when: number;
  data: string;
}

/** The events an annotation shows for the last `seconds`: what Grafana asks (/events/get_data). */
export async function annotationEvents(
  url: string,
  annotation: GraphiteAnnotation,
  seconds = 3600,
): Promise<GraphiteEventRecord[]> {
  const params = new URLSearchParams({
    from: `-${seconds}s`,
    until: 'now',
    tags: (annotation.target?.tags ?? []).join(' '),
  });
  const res = await fetch(`${url}/events/get_data?${params.toString()}`);
  if (!res.ok) throw new Error(`/events/get_data answered ${res.status}`);
  return (await res.json()) as GraphiteEventRecord[];
}
