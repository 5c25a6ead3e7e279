import { join } from 'node:path';
import {
  experimentChartSvg,
  percent,
  stylesheet,
  thresholdPercent,
} from '@friendly-calculator/common';
import ejs from 'ejs';
import { POLICY_NAMES } from '../bandit/policy';
import type { NumberedAuditEntry } from '../experiment/store';
import type { PhaseView } from '../experiment/view';

export type Notice = { kind: 'thanks' | 'sorry'; message: string };

export interface AdminPageData {
  /** The project's one stylesheet (common's), served by greetings at `/style.css`. */
  styleHref: string;
  /** AWESOME_APP_URL: the link back to the calculator page. */
  pageUrl: string;
  /** The name given for the audit log earlier in this session ('' before any). */
  actor: string;
  /** The current phase; undefined when the store could not be read. */
  current: PhaseView | undefined;
  /** A few phases before it (or before `?before=`), newest first, and the link to older ones. */
  earlier: PhaseView[];
  earlierNext: string | null;
  /** The newest audit entries: shown only to a signed-in presenter. */
  audit: NumberedAuditEntry[] | undefined;
  auditNext: string | null;
  notice: Notice | undefined;
}

/**
 * The admin page's only policy: nothing runs (no script at all), styles only
 * from this origin's stylesheet, forms post only here.
 */
export const ADMIN_PAGE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Next to `src/` and `dist/`, so the sources (tests) and the build find them alike.
export const VIEWS = join(__dirname, '..', '..', 'views');

let href: string | undefined;
/** The shared stylesheet's address (`/style.css?v=<hash>`), worked out once. */
export const styleHref = (): string => (href ??= stylesheet().href);

const when = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '–');

function verdict(p: PhaseView): string {
  if (p.state === 'shipped')
    return `Shipped “${p.shipped}”: everyone sees it; the counts are frozen.`;
  if (p.best) return `Best: “${p.best}” (P(best) at least ${thresholdPercent(p.bestThreshold)}).`;
  return `Still learning: a variant is called best once every variant has been shown ${p.minShownForBest} times and the leader’s P(best) reaches ${thresholdPercent(p.bestThreshold)}.`;
}

/** What the views call: formatting stays in TypeScript, where it is typed and tested. */
const helpers = {
  when,
  verdict,
  percent,
  policyText: (p: PhaseView) =>
    p.policy === 'thompson' ? 'Thompson sampling' : `epsilon-greedy, ε = ${p.epsilon}`,
  chart: (p: PhaseView) => experimentChartSvg(p).value,
};

// As awesome-app compiles its views: once, includes from the views root, no
// `with` block (the variables the views use are declared here instead).
const OPTIONS = {
  root: VIEWS,
  cache: true,
  async: false,
  _with: false,
  destructuredLocals: [
    'styleHref',
    'pageUrl',
    'actor',
    'current',
    'earlier',
    'earlierNext',
    'audit',
    'auditNext',
    'notice',
    'blankRows',
    'policies',
    'f',
    'p',
  ],
} as const;

export function adminPage(data: AdminPageData): Promise<string> {
  const blankRows = data.current ? Math.max(3, data.current.variants.length + 1) : 3;
  return ejs.renderFile(
    join(VIEWS, 'admin.ejs'),
    { ...data, blankRows, policies: POLICY_NAMES, f: helpers },
    { ...OPTIONS, async: false, destructuredLocals: [...OPTIONS.destructuredLocals] },
  );
}
