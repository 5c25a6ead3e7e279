import { buildChart, percent, type Chart } from './chart';
import type { ExperimentStats, Greeting } from './clients/greetings';
import { PAGE_OPERATIONS, type PageOperation } from './clients/maths';
import type { Outcome } from './clients/upstream';
import { pagePath, showNumber, type Calculation } from './input';

/**
 * Turns what greetings and maths answered into what the page shows. Pure:
 * every notice a visitor can see is decided here and tested without HTTP.
 */

export interface ResultRow {
  /** `result` is the sum (the contract's `#result`); the others sit beside it. */
  id: 'result' | 'difference' | 'product' | 'quotient';
  /** e.g. `1 + 1` */
  expression: string;
  /** e.g. `2`; absent when maths said no or did not answer. */
  value?: string;
  /** Why there is no value, e.g. maths' "Division by zero: …". */
  problem?: string;
}

export type Notice = { kind: 'thanks' | 'sorry'; message: string };

export interface PageView {
  name: string;
  path: string;
  x: string;
  y: string;
  greeting: { ok: true; value: Greeting } | { ok: false; message: string };
  /** When every maths call failed: one notice instead of four. */
  mathsNotice?: string;
  rows: ResultRow[];
  like?: Notice;
  experiment:
    | {
        ok: true;
        chart: Chart;
        /** e.g. `0.1` and `90%`. */
        epsilon: string;
        exploit: string;
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
  greeting: Outcome<Greeting>;
  stats: Outcome<ExperimentStats>;
  results: Readonly<Record<PageOperation, Outcome<number>>>;
}

export function buildPage(
  input: Calculation,
  answers: Answers,
  query: Readonly<Record<string, unknown>> = {},
): PageView {
  const x = showNumber(input.x);
  const y = showNumber(input.y);
  // `5 - (-2)` reads better than `5 - -2`.
  const right = input.y < 0 ? `(${y})` : y;

  const rows = PAGE_OPERATIONS.map((op): ResultRow => {
    const outcome = answers.results[op];
    const row = { id: ROW_ID[op], expression: `${x} ${SYMBOL[op]} ${right}` };
    return outcome.ok
      ? { ...row, value: showNumber(outcome.value) }
      : { ...row, problem: outcome.message };
  });
  const failures = PAGE_OPERATIONS.map((op) => answers.results[op]).filter(
    (o) => !o.ok && o.kind === 'unavailable',
  );
  const first = failures[0];
  const mathsNotice =
    failures.length === PAGE_OPERATIONS.length && first && !first.ok
      ? `No results this time: ${first.message}. Please try again in a moment.`
      : undefined;

  const { greeting, stats } = answers;
  return {
    name: input.name,
    path: pagePath(input),
    x,
    y,
    greeting: greeting.ok
      ? greeting
      : {
          ok: false,
          message: `No greeting this time: ${greeting.message}.`,
        },
    ...(mathsNotice === undefined ? {} : { mathsNotice }),
    rows,
    ...likeNotice(query),
    experiment: stats.ok
      ? {
          ok: true,
          chart: buildChart(stats.value),
          epsilon: String(stats.value.epsilon),
          exploit: percent(1 - stats.value.epsilon),
          ...(greeting.ok ? { shown: shownBecause(greeting.value) } : {}),
        }
      : { ok: false, message: `The numbers are not available right now: ${stats.message}.` },
  };
}

/** e.g. `You were shown “howdy”: chosen for its like rate (exploiting).` */
export function shownBecause({ variant, strategy }: Greeting): string {
  const why: Record<string, string> = {
    // Not "the best": greetings decides on counts that may be a request old.
    exploit: 'chosen for its like rate (exploiting)',
    explore: 'picked at random, to keep learning (exploring)',
    fallback: 'the default, because greetings cannot reach its store right now',
  };
  return `You were shown “${variant}”: ${why[strategy] ?? strategy}.`;
}

/**
 * After a Like, greetings sends the visitor back here with `?liked=1`. (A
 * refused Like never comes back: greetings answers it with a 4xx that says
 * why.) Nothing from the query is echoed.
 */
export function likeNotice(query: Readonly<Record<string, unknown>>): { like?: Notice } {
  if (query.liked !== '1') return {};
  return {
    like: {
      kind: 'thanks',
      message: 'Thank you for the Like! The greetings experiment has counted it.',
    },
  };
}
