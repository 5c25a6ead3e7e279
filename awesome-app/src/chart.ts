import type { ExperimentStats } from './clients/greetings';

/**
 * The geometry of the "How the experiment is going" chart, computed here so
 * the template only places shapes. Units are SVG user units; the SVG scales
 * to the width of the page.
 */
export const CHART = {
  width: 360,
  labelWidth: 80,
  barMaxWidth: 170,
  barHeight: 14,
  rowHeight: 48,
  top: 30,
} as const;

export interface ChartRow {
  variant: string;
  best: boolean;
  y: number;
  impressions: number;
  likes: number;
  impressionsWidth: number;
  likesWidth: number;
  /** e.g. `20%`; `–` before anyone has seen the variant. */
  likeRate: string;
}

export interface Chart {
  width: number;
  /** Where the bars start (left of it: the variant's name). */
  barX: number;
  height: number;
  rows: ChartRow[];
  /** One sentence with every number, for screen readers (`<desc>`). */
  summary: string;
}

export function buildChart(stats: ExperimentStats): Chart {
  // Impressions and likes share one scale, so the likes bar shows the fraction liked.
  const max = Math.max(1, ...stats.variants.map((v) => v.impressions));
  const scale = (n: number) => round((n / max) * CHART.barMaxWidth);
  const rows = stats.variants.map((v, i) => ({
    variant: v.variant,
    // A variant nobody has seen yet is nobody's favourite, whatever the tie-break says.
    best: v.variant === stats.best && v.impressions > 0,
    y: CHART.top + i * CHART.rowHeight,
    impressions: v.impressions,
    likes: v.likes,
    impressionsWidth: scale(v.impressions),
    likesWidth: scale(v.likes),
    likeRate: v.impressions === 0 ? '–' : percent(v.likeRate),
  }));
  const summary = rows
    .map(
      (r) =>
        `${r.variant}${r.best ? ' (best so far)' : ''}: shown ${r.impressions} times, liked ${r.likes} times, like rate ${r.likeRate === '–' ? 'not known yet' : r.likeRate}`,
    )
    .join('; ');
  return {
    width: CHART.width,
    barX: CHART.labelWidth,
    height: CHART.top + rows.length * CHART.rowHeight,
    rows,
    summary: summary === '' ? 'No greeting variants yet.' : `${summary}.`,
  };
}

/** `0.2` → `20%`, `0.123` → `12.3%`. */
export function percent(rate: number): string {
  return `${String(round(Math.min(Math.max(rate, 0), 1) * 100, 1))}%`;
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
