import { html, type SafeHtml } from './html';

/**
 * The experiment's chart, drawn the same on the page (awesome-app) and on
 * greetings' admin page: for each variant its like rate (a dot), its 95 %
 * credible interval (a bar), how often it was shown and liked, and P(best).
 * Inline SVG, no script; colours come from the page's stylesheet classes.
 */
export interface ChartVariant {
  name: string;
  shown: number;
  liked: number;
  likeRate: number;
  interval: [number, number];
  pBest: number;
}

export interface ChartInput {
  variants: readonly ChartVariant[];
  best: string | null;
}

const WIDTH = 360;
const LABEL = 88;
const AXIS = 200;
const TOP = 46;
const ROW = 46;

/**
 * `0.2` → `20%`, `0.123` → `12.3%`. Never rounds a probability to a certainty:
 * `0.9996` is `> 99.9%` and `0.0004` is `< 0.1%`; only 1 and 0 are `100%` and `0%`.
 */
export function percent(rate: number): string {
  const clamped = Math.min(Math.max(rate, 0), 1);
  if (clamped > 0.9995 && clamped < 1) return '> 99.9%';
  if (clamped > 0 && clamped < 0.0005) return '< 0.1%';
  return `${String(Math.round(clamped * 1000) / 10)}%`;
}

/**
 * A threshold, exactly as the rule uses it (up to three decimals):
 * `0.9975` → `99.75%`, where `percent` would say `99.8%`, a bar higher than
 * the real one.
 */
export function thresholdPercent(rate: number): string {
  return `${String(Math.round(rate * 100_000) / 1000)}%`;
}

/** `1 time`, `2 times`: the summary is read aloud. */
const times = (n: number) => `${n} ${n === 1 ? 'time' : 'times'}`;

/** One sentence with every number, for screen readers and tests. */
export function chartSummary({ variants, best }: ChartInput): string {
  if (variants.length === 0) return 'No greeting variants yet.';
  const rows = variants.map(
    (v) =>
      `${v.name}${v.name === best ? ' (best)' : ''}: shown ${times(v.shown)}, liked ${times(v.liked)}, like rate ${v.shown === 0 ? 'not known yet' : percent(v.likeRate)}, 95% credible interval ${percent(v.interval[0])} to ${percent(v.interval[1])}, probability of being best ${percent(v.pBest)}`,
  );
  return `${rows.join('; ')}.`;
}

/** Tick steps a reader can count in: 1, 2, 5, 10 or 25 percentage points. */
const STEPS = [0.01, 0.02, 0.05, 0.1, 0.25];
const MAX_INTERVALS = 4;

/**
 * The like-rate axis: ticks at round values from 0 to just past `top`, at
 * most four intervals: 0 / 25 / 50 / 75 / 100 %, or zoomed in on small
 * rates, 0 / 5 / 10 / 15 %. (Halving the top rounded to 5 % gave 0 / 47.5 / 95 %.)
 */
export function axisTicks(top: number): number[] {
  const wanted = Math.min(Math.max(top, 0.01), 1);
  const step = STEPS.find((s) => Math.ceil(wanted / s - 1e-9) <= MAX_INTERVALS) ?? 0.25;
  const intervals = Math.ceil(wanted / step - 1e-9);
  // Whole tenths of a percent: 3 × 0.1 is 0.30000000000000004 in binary.
  return Array.from({ length: intervals + 1 }, (_, i) => Math.round(i * step * 1000) / 1000);
}

export function experimentChartSvg(input: ChartInput): SafeHtml {
  const { variants, best } = input;
  // One like-rate scale for every row, wide enough for every interval.
  const ticks = axisTicks(Math.max(0.05, ...variants.map((v) => v.interval[1])));
  const max = ticks[ticks.length - 1]!;
  const x = (rate: number) => Math.round((LABEL + (Math.min(rate, max) / max) * AXIS) * 10) / 10;
  const height = TOP + variants.length * ROW + 6;
  return html`<svg
    class="chart"
    viewBox="0 0 ${WIDTH} ${height}"
    role="img"
    aria-labelledby="chart-title chart-desc"
  >
    <title id="chart-title">
      Like rate per greeting, with 95% credible intervals and the probability of being best
    </title>
    <desc id="chart-desc">${chartSummary(input)}</desc>
    <text x="0" y="11" class="legend">like rate (bar: 95% credible interval)</text>
    <text x="${WIDTH}" y="11" text-anchor="end" class="legend">P(best)</text>
    ${ticks.map(
      (t) =>
        html`<line x1="${x(t)}" x2="${x(t)}" y1="${TOP - 10}" y2="${height - 4}" class="grid" />
          <text x="${x(t)}" y="${TOP - 14}" text-anchor="middle" class="tick">${percent(t)}</text>`,
    )}
    ${variants.map((v, i) => {
      const y = TOP + i * ROW;
      // Not "not shown yet": a paused phase shows its control without counting it.
      const rate =
        v.shown === 0
          ? 'no like rate yet'
          : `like rate ${percent(v.likeRate)} (${percent(v.interval[0])}–${percent(v.interval[1])})`;
      return html`<g class="row${v.name === best ? ' row-best' : ''}" transform="translate(0 ${y})">
        <text x="0" y="15" class="variant">${v.name}</text>
        <rect
          x="${x(v.interval[0])}"
          y="6"
          width="${Math.max(1, x(v.interval[1]) - x(v.interval[0]))}"
          height="10"
          rx="5"
          class="interval"
        />
        ${
          // Never shown, nothing measured: the bar is the prior, and a dot at 0 % would look like data.
          v.shown === 0 ? '' : html`<circle cx="${x(v.likeRate)}" cy="11" r="5" class="estimate" />`
        }
        <text x="${WIDTH}" y="15" text-anchor="end" class="pbest">${percent(v.pBest)}</text>
        <text x="0" y="33" class="count">${v.shown} shown · ${v.liked} liked · ${rate}</text>
        ${v.name === best ? html`<text x="${WIDTH}" y="33" text-anchor="end" class="best">★ best</text>` : ''}
      </g>`;
    })}
  </svg>`;
}
