import {
  experimentChartSvg,
  percent,
  thresholdPercent,
  type ChartVariant,
  type SafeHtml,
} from '@friendly-calculator/common';
import equal from 'fast-deep-equal';
import { pagePath, showNumber, type Calculation } from './input';
import type { Outcome } from './outcome';
import { readAsOther, roundedResult } from './rounding';

/**
 * Turns what greetings and maths answered into what the page shows. Pure:
 * every notice a visitor can see is decided here and tested without HTTP.
 * The shapes it takes are its own; the clients map the services' answers
 * onto them.
 */

/** The operations the page shows, in the order it shows them. */
export const PAGE_OPERATIONS = ['add', 'subtract', 'multiply', 'divide'] as const;
export type PageOperation = (typeof PAGE_OPERATIONS)[number];

export interface ExperimentData {
  phase: number;
  state: 'running' | 'paused' | 'shipped';
  policy: string;
  epsilon: number;
  shipped: string | null;
  best: string | null;
  minShownForBest: number;
  bestThreshold: number;
  /** What the chart draws of each variant. */
  variants: ChartVariant[];
}

export interface GreetingData {
  /** e.g. `Hello Bob`: text to show (escaped like everything else). */
  greeting: string;
  variant: string;
  /** `explore`, `exploit`, `paused`, `shipped`, or `fallback` when greetings cannot reach its store. */
  strategy: string;
  /** `exploit` only: several greetings shared the best like rate, and this one was picked at random among them. */
  tie?: boolean;
  /** The id a Like posts back; `null` when nothing can be liked. */
  impression: string | null;
  /** The experiment's current phase; absent on fallback. */
  experiment?: ExperimentData;
}

/** What greetings says became of a greeting shown earlier. */
export type LikeCheck =
  { status: 'pending' | 'liked'; phase: number; variant: string } | { status: 'unknown' };

export interface ResultRow {
  /** `result` is the sum (the contract's `#result`); the others sit beside it. */
  id: 'result' | 'difference' | 'product' | 'quotient';
  /** e.g. `1 + 1` */
  expression: string;
  /** e.g. `2`; absent when maths said no or did not answer. */
  value?: string;
  /** Why there is no value, e.g. maths' "Division by zero: …". */
  problem?: string;
  /** The value is not exact: maths rounded it to 15 significant digits. */
  rounded?: true;
}

export interface Notice {
  kind: 'thanks' | 'sorry';
  message: string;
  /** Set when trying again can work: the impression to post again. */
  retry?: string;
}

export interface PageView {
  name: string;
  path: string;
  x: string;
  y: string;
  greeting: { ok: true; value: GreetingData } | { ok: false; message: string };
  /** When every maths call failed: one notice instead of four. */
  mathsNotice?: string;
  /** When a typed number was read as another, or a result is rounded: says so, once. */
  roundingHint?: string;
  rows: ResultRow[];
  like?: Notice;
  experiment:
    | {
        ok: true;
        /** e.g. `Phase 2 · running`. */
        heading: string;
        /** How greetings chooses right now (policy and state). */
        explanation: string;
        /** Who is best, or "still learning", and why. */
        verdict: string;
        chartSvg: SafeHtml;
        /** Which greeting this visitor got, and why. */
        shown?: string;
      }
    | { ok: false; message: string };
}

const SYMBOL: Record<PageOperation, string> = {
  add: '+',
  subtract: '-',
  multiply: '×',
  divide: '÷',
};
const ROW_ID: Record<PageOperation, ResultRow['id']> = {
  add: 'result',
  subtract: 'difference',
  multiply: 'product',
  divide: 'quotient',
};

export interface Answers {
  greeting: Outcome<GreetingData>;
  results: Readonly<Record<PageOperation, Outcome<number>>>;
  /**
   * After a Like: the impression the visitor came back with, what greetings
   * says of it, and whether greetings hinted it had been liked before.
   */
  likeCheck?: {
    impression: string;
    outcome: Outcome<LikeCheck>;
    already?: boolean;
    /** greetings' hint that its per-client Like limit refused it (wording only). */
    limited?: boolean;
  };
}

/** What the page shows of the experiment that depends only on greetings' numbers. */
export interface ExperimentPanel {
  heading: string;
  explanation: string;
  verdict: string;
  chartSvg: SafeHtml;
}

export function experimentPanel(e: ExperimentData): ExperimentPanel {
  return {
    heading: `Phase ${e.phase} · ${e.state}`,
    explanation: explain(e),
    verdict: verdict(e),
    chartSvg: experimentChartSvg(e),
  };
}

/**
 * `experimentPanel`, remembering the last one. greetings sends the same
 * snapshot of the experiment's numbers (worked out at most every 250 ms)
 * with every greeting in between, so most pages under load show the panel
 * of the page before: comparing the numbers (fast-deep-equal, well under a
 * microsecond here) is far cheaper than drawing the chart again.
 */
export function rememberLastPanel(): (e: ExperimentData) => ExperimentPanel {
  let last: { data: ExperimentData; panel: ExperimentPanel } | undefined;
  return (data) => {
    if (!last || !equal(last.data, data)) last = { data, panel: experimentPanel(data) };
    return last.panel;
  };
}

export function buildPage(
  input: Calculation,
  answers: Answers,
  panel: (e: ExperimentData) => ExperimentPanel = experimentPanel,
): PageView {
  const x = showNumber(input.x);
  const y = showNumber(input.y);
  // `5 - (-2)` reads better than `5 - -2`.
  const right = input.y < 0 ? `(${y})` : y;

  const rows = PAGE_OPERATIONS.map((op): ResultRow => {
    const outcome = answers.results[op];
    const row = { id: ROW_ID[op], expression: `${x} ${SYMBOL[op]} ${right}` };
    if (!outcome.ok) return { ...row, problem: outcome.message };
    const rounded = roundedResult(op, input.x, input.y, outcome.value);
    return { ...row, value: showNumber(outcome.value), ...(rounded ? { rounded } : {}) };
  });
  const roundingHint = roundingHintOf(input, rows);
  const failures = PAGE_OPERATIONS.map((op) => answers.results[op]).filter(
    (o) => !o.ok && o.kind === 'unavailable',
  );
  const first = failures[0];
  const mathsNotice =
    failures.length === PAGE_OPERATIONS.length && first && !first.ok
      ? `No results this time: ${first.message}. Please try again in a moment.`
      : undefined;

  const { greeting } = answers;
  const experiment = greeting.ok ? greeting.value.experiment : undefined;
  const like = answers.likeCheck ? likeNotice(answers.likeCheck, experiment) : undefined;
  return {
    name: input.name,
    path: pagePath(input),
    x,
    y,
    greeting: greeting.ok
      ? greeting
      : { ok: false, message: `No greeting this time: ${greeting.message}.` },
    ...(mathsNotice === undefined ? {} : { mathsNotice }),
    ...(roundingHint === undefined || mathsNotice !== undefined ? {} : { roundingHint }),
    rows,
    ...(like ? { like } : {}),
    experiment: experiment
      ? {
          ok: true,
          ...panel(experiment),
          ...(greeting.ok ? { shown: shownBecause(greeting.value) } : {}),
        }
      : {
          ok: false,
          message: `The numbers are not available right now: ${
            greeting.ok ? 'greetings cannot reach its store' : greeting.message
          }.`,
        },
  };
}

/**
 * e.g. `“9007199254740993” has more digits than a number here holds: it was
 * read as 9007199254740992. Results marked “rounded” are not exact: maths
 * rounds every result to 15 significant digits.`
 */
export function roundingHintOf(input: Calculation, rows: readonly ResultRow[]): string | undefined {
  const read = (['x', 'y'] as const)
    .filter((f) => input.typed && readAsOther(input.typed[f], input[f]))
    .map(
      (f) =>
        `“${input.typed![f]}” cannot be held exactly by a number here: it was read as ${showNumber(input[f])}.`,
    );
  const results = rows.some((r) => r.rounded)
    ? [
        'Results marked “rounded” are not exact: maths rounds every result to 15 significant digits.',
      ]
    : [];
  const said = [...read, ...results];
  return said.length > 0 ? said.join(' ') : undefined;
}

/** How greetings chooses, in words, for the policy and state that actually hold. */
export function explain(e: ExperimentData): string {
  if (e.state === 'paused')
    return `The experiment is paused: everyone sees “${e.variants[0]?.name ?? ''}” (the control), and nothing is counted until it runs again.`;
  if (e.state === 'shipped')
    return `The experiment is over: “${e.shipped ?? ''}” was shipped, everyone sees it, and the numbers below are final.`;
  if (e.policy === 'thompson')
    return 'greetings uses Thompson sampling: for each visitor it draws a plausible like rate for every greeting from what it has seen so far and shows the highest, so the better greetings are shown more often as the evidence grows.';
  return `greetings shows the greeting with the best like rate to ${percent(1 - e.epsilon)} of visitors and a random one to the rest (ε = ${e.epsilon}), so it keeps learning what people like. ${EPSILON_GREEDY_LOOKS_AT}`;
}

/**
 * Why the choice and the chart's P(best) can disagree: ε-greedy compares the
 * like rates alone, P(best) also weighs how sure each rate is.
 */
export const EPSILON_GREEDY_LOOKS_AT =
  'It looks only at the like rate so far (likes ÷ shown); P(best) also weighs how often each was shown, so while the numbers are small the two can disagree.';

/** Who is best, or honestly "still learning", with the rule that decides it. */
export function verdict(e: ExperimentData): string {
  if (e.state === 'shipped') return `Shipped: “${e.shipped ?? ''}”.`;
  if (e.best)
    return `Best so far: “${e.best}” (at least ${thresholdPercent(e.bestThreshold)} likely to be the best).`;
  return `Still learning: a greeting is called best once every greeting has been shown ${e.minShownForBest} times and one is at least ${thresholdPercent(e.bestThreshold)} likely to be the best.`;
}

/** e.g. `You were shown “howdy”: chosen for its like rate (exploiting).` */
export function shownBecause({ variant, strategy, tie, experiment }: GreetingData): string {
  // Thompson sampling draws; it never picks at random the way ε-greedy explores.
  const thompson = experiment?.policy === 'thompson';
  const exploit = tie
    ? // A tie (at the start every greeting is at 0): nothing was chosen for its like rate.
      thompson
      ? 'drawn by Thompson sampling; it shares the best like rate so far with another greeting (exploiting)'
      : 'it tied with another greeting for the best like rate so far, so it was picked at random among them (exploiting)'
    : thompson
      ? 'drawn by Thompson sampling, and it has the best like rate so far (exploiting)'
      : 'chosen for its like rate (exploiting)';
  const why: Record<string, string> = {
    // Not "the best": greetings decides on counts that may be a request old.
    exploit,
    explore: thompson
      ? 'drawn by Thompson sampling although another greeting has a better like rate so far, to keep learning (exploring)'
      : 'picked at random, to keep learning (exploring)',
    paused: 'the control, while the experiment is paused',
    shipped: 'the greeting the experiment shipped',
    fallback: 'the default, because greetings cannot reach its store right now',
  };
  return `You were shown “${variant}”: ${why[strategy] ?? strategy}.`;
}

/**
 * After a Like, greetings sends the visitor back with `?like=<impression>`,
 * whatever happened; the page then asks greetings what became of that
 * impression. So the notice says what is true, and a link cannot fake it:
 * a thank-you needs an impression that really was liked.
 */
export function likeNotice(
  { impression, outcome, already = false, limited = false }: NonNullable<Answers['likeCheck']>,
  experiment: ExperimentData | undefined,
): Notice {
  if (!outcome.ok)
    return {
      kind: 'sorry',
      message: `We could not check on your Like just now (${outcome.message}): it may not have been counted. Trying again is safe (a Like never counts twice).`,
      retry: impression,
    };
  const check = outcome.value;
  // "Already" only changes the wording: either way greetings says it is counted, once.
  if (check.status === 'liked' && already)
    return {
      kind: 'sorry',
      message:
        'This greeting was already liked: a Like counts once per greeting shown, and yours is counted.',
    };
  if (check.status === 'liked')
    return {
      kind: 'thanks',
      message:
        'Thank you for the Like! The greetings experiment has counted it (once: one Like per greeting shown).',
    };
  if (check.status === 'unknown')
    return {
      kind: 'sorry',
      message:
        'That greeting can no longer be liked: it is unknown or has expired. Like this one instead?',
    };
  if (limited && check.status === 'pending')
    return {
      kind: 'sorry',
      message:
        'Your Like was not counted: too many Likes came from your network in the last minute. Nothing was used up: try again in a minute.',
      retry: impression,
    };
  if (experiment && check.phase < experiment.phase)
    return {
      kind: 'sorry',
      message: `Your Like was not counted: that greeting was from phase ${check.phase} of the experiment, which has ended. Like this one instead?`,
    };
  if (experiment?.state === 'paused')
    return {
      kind: 'sorry',
      message:
        'Your Like was not counted: the experiment is paused. Nothing was used up: try again once it runs.',
      retry: impression,
    };
  if (experiment?.state === 'shipped')
    return {
      kind: 'sorry',
      message:
        'Your Like was not counted: the experiment is over, and Likes are no longer counted.',
    };
  return {
    kind: 'sorry',
    message:
      'Your Like was not counted: greetings could not store it just then. Trying again is safe (a Like never counts twice).',
    retry: impression,
  };
}
