import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartPanels, type Dashboard } from './dashboard';
import { repoRoot } from './stack';

/**
 * Grafana's alerting provisioning files (grafana/provisioning/alerting/*.yml),
 * read and checked the way Grafana would need them: every rule's queries come
 * from a provisioned data source or Grafana's expressions, its condition names
 * one of its own queries, every policy sends to a contact point that exists.
 * `alertPanels` turns each rule's Graphite queries into a dashboard panel, so
 * the dashboard check can ask a real graphite-web for them too.
 */

export interface AlertQuery {
  refId?: string;
  datasourceUid?: string;
  relativeTimeRange?: { from?: number; to?: number };
  model?: { refId?: string; target?: string; type?: string; expression?: string };
}

export interface AlertRule {
  uid?: string;
  title?: string;
  condition?: string;
  for?: string;
  noDataState?: string;
  execErrState?: string;
  annotations?: Record<string, string>;
  data?: AlertQuery[];
}

export interface AlertingFile {
  apiVersion?: number;
  contactPoints?: { name?: string; receivers?: { uid?: string; type?: string }[] }[];
  policies?: { receiver?: string; routes?: { receiver?: string }[] }[];
  groups?: { name?: string; folder?: string; interval?: string; rules?: AlertRule[] }[];
  /** Rules Grafana deletes after provisioning the groups (old uids). */
  deleteRules?: { orgId?: number; uid?: string }[];
}

export function alertingDir(root = repoRoot()): string {
  return join(root, 'grafana', 'provisioning', 'alerting');
}

/** Every alerting provisioning file, parsed, by file name. */
export function loadAlerting(dir = alertingDir()): Map<string, AlertingFile> {
  const files = new Map<string, AlertingFile>();
  for (const name of readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(name)) continue;
    files.set(name, parse(readFileSync(join(dir, name), 'utf8')) as AlertingFile);
  }
  return files;
}

/** The uids of the provisioned data sources (grafana/provisioning/datasources). */
export function datasourceUids(root = repoRoot()): string[] {
  const dir = join(root, 'grafana', 'provisioning', 'datasources');
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .flatMap((name) => {
      const file = parse(readFileSync(join(dir, name), 'utf8')) as {
        datasources?: { uid?: string }[];
      };
      return (file.datasources ?? []).map((d) => d.uid ?? '');
    });
}

export function alertRules(files: Map<string, AlertingFile>): AlertRule[] {
  return [...files.values()].flatMap((f) => (f.groups ?? []).flatMap((g) => g.rules ?? []));
}

/** Grafana's duration syntax for `for:` and `interval:` (e.g. `30s`, `5m`, `1h`), in seconds. */
export function durationSeconds(text: string | undefined): number | undefined {
  const match = /^(\d+)(s|m|h)$/.exec(text ?? '');
  if (!match) return undefined;
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
}

const EXPRESSIONS = '__expr__';

/** What is wrong with the alerting files, as sentences; empty when nothing is. */
export function alertingProblems(
  files: Map<string, AlertingFile>,
  graphiteUid: string,
  knownUids: readonly string[],
): string[] {
  const problems: string[] = [];
  const contactPoints = new Set(
    [...files.values()].flatMap((f) => (f.contactPoints ?? []).map((c) => c.name)),
  );
  const uids = new Set<string>();
  for (const [name, file] of files) {
    if (file.apiVersion !== 1) problems.push(`${name}: apiVersion must be 1`);
    for (const policy of file.policies ?? []) {
      for (const receiver of [policy.receiver, ...(policy.routes ?? []).map((r) => r.receiver)]) {
        if (!receiver || !contactPoints.has(receiver))
          problems.push(`${name}: a policy sends to "${receiver}", which no contact point is`);
      }
    }
    for (const group of file.groups ?? []) {
      const interval = durationSeconds(group.interval);
      if (!interval) problems.push(`${name}: group ${group.name} has no interval like 1m`);
      for (const rule of group.rules ?? []) {
        const label = `${name}: rule ${rule.uid ?? rule.title}`;
        if (!rule.uid || uids.has(rule.uid)) problems.push(`${label}: needs a unique uid`);
        uids.add(rule.uid ?? '');
        const wait = durationSeconds(rule.for);
        if (wait === undefined || (interval !== undefined && wait < interval))
          problems.push(
            `${label}: for: ${rule.for} is shorter than one evaluation (${group.interval})`,
          );
        const refIds = new Set((rule.data ?? []).map((q) => q.refId));
        if (!rule.condition || !refIds.has(rule.condition))
          problems.push(`${label}: its condition ${rule.condition} is none of its queries`);
        let graphiteQueries = 0;
        for (const query of rule.data ?? []) {
          if (query.datasourceUid === EXPRESSIONS) {
            if (query.model?.expression && !refIds.has(query.model.expression))
              problems.push(
                `${label}: ${query.refId} reads ${query.model.expression}, no such query`,
              );
            continue;
          }
          if (!query.datasourceUid || !knownUids.includes(query.datasourceUid))
            problems.push(
              `${label}: ${query.refId} asks data source "${query.datasourceUid}", which is not provisioned`,
            );
          if (query.datasourceUid === graphiteUid) {
            graphiteQueries++;
            if (!query.model?.target)
              problems.push(`${label}: ${query.refId} has no Graphite target`);
            if (!query.relativeTimeRange?.from)
              problems.push(`${label}: ${query.refId} has no relativeTimeRange`);
          }
        }
        if (graphiteQueries === 0) problems.push(`${label}: asks Graphite nothing`);
      }
    }
  }
  // Grafana deletes these after creating the groups' rules: a live uid here would vanish.
  for (const [name, file] of files)
    for (const rule of file.deleteRules ?? [])
      if (!rule.uid || uids.has(rule.uid))
        problems.push(`${name}: deleteRules deletes "${rule.uid}", a rule the files provision`);
  return problems;
}

/**
 * Every rule names the dashboard panel that shows what it watches
 * (`__dashboardUid__`, `__panelId__`): Grafana links the alert to it and draws
 * the rule's state changes on that panel as annotations. Problems, as
 * sentences, when a rule names no panel or one the dashboard does not have.
 */
export function alertPanelLinkProblems(
  files: Map<string, AlertingFile>,
  dashboard: Dashboard,
): string[] {
  const ids = new Set(chartPanels(dashboard).map((p) => String(p.id)));
  return alertRules(files).flatMap((rule) => {
    const label = `rule ${rule.uid ?? rule.title}`;
    const { __dashboardUid__: uid, __panelId__: panel } = rule.annotations ?? {};
    if (uid !== dashboard.uid)
      return [`${label}: __dashboardUid__ ${uid} is not the dashboard's uid (${dashboard.uid})`];
    if (!panel || !ids.has(panel))
      return [`${label}: __panelId__ ${panel} is no chart panel of the dashboard`];
    return [];
  });
}

/** Each rule's Graphite queries as a dashboard-like panel (title = rule title). */
export function alertPanels(
  files: Map<string, AlertingFile>,
  graphiteUid: string,
): {
  type: string;
  title: string;
  datasource: { uid: string };
  targets: { refId: string; target: string }[];
}[] {
  return alertRules(files).map((rule) => ({
    type: 'timeseries',
    title: `alert: ${rule.title ?? rule.uid}`,
    datasource: { uid: graphiteUid },
    targets: (rule.data ?? [])
      .filter((q) => q.datasourceUid === graphiteUid && q.model?.target)
      .map((q) => ({ refId: q.refId ?? 'A', target: q.model!.target! })),
  }));
}
