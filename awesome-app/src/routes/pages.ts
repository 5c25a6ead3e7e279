import { queryParam, type Logger } from '@friendly-calculator/common';
import type { Request, Response } from 'express';
import type { ExperimentStats, Greeting, GreetingsClient } from '../clients/greetings';
import type { MathsClient } from '../clients/maths';
import type { Outcome } from '../clients/upstream';
import { checkCalculation, pagePath, type Field, type Problem } from '../input';
import { buildPage, likeNotice } from '../page';

type Raw = Partial<Record<Field, unknown>>;

/** The form, pre-filled with what was typed, and what to fix (a 400) when anything is wrong. */
function renderForm(res: Response, raw: Raw, problems: Problem[], query: Request['query']): void {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  res.status(problems.length > 0 ? 400 : 200).render('home', {
    values: { name: text(raw.name), x: text(raw.x), y: text(raw.y) },
    problems,
    ...likeNotice(query),
  });
}

/** `GET /`: the calculator form. */
export function homeHandler(req: Request, res: Response): void {
  renderForm(res, {}, [], req.query);
}

/**
 * `GET /calculate?name=&x=&y=`: where the form lands (a plain GET form, no
 * script). Valid input is sent on to the page's own address, `/Bob/1/1`.
 */
export function calculateHandler(req: Request, res: Response): void {
  // A repeated field (`name=a&name=b`) is a 400, as everywhere (common's rule).
  const raw: Raw = {
    name: queryParam(req.query, 'name'),
    x: queryParam(req.query, 'x'),
    y: queryParam(req.query, 'y'),
  };
  const checked = checkCalculation(raw);
  if (checked.ok) res.redirect(303, pagePath(checked.value));
  else renderForm(res, raw, checked.problems, {});
}

/** The chart's numbers come with the greeting; a fallback greeting (store down) has none. */
function experimentOf(greeting: Outcome<Greeting>): Outcome<ExperimentStats> {
  if (!greeting.ok) return greeting;
  return greeting.value.experiment
    ? { ok: true, value: greeting.value.experiment }
    : { ok: false, kind: 'unavailable', message: 'greetings cannot reach its store' };
}

export interface PageDeps {
  greetings: GreetingsClient;
  maths: MathsClient;
  logger: Logger;
}

/** `GET /{name}/{x}/{y}`: the greeting, the four results and the experiment, all asked for at once. */
export function pageHandler({ greetings, maths, logger }: PageDeps) {
  return async (req: Request<Record<Field, string>>, res: Response): Promise<void> => {
    const checked = checkCalculation(req.params);
    if (!checked.ok) {
      renderForm(res, req.params, checked.problems, {});
      return;
    }
    const { name, x, y } = checked.value;
    // Two calls in parallel (the greeting brings the experiment's numbers,
    // maths answers all four operations at once); neither throws, each has
    // its own deadline.
    const [greeting, results] = await Promise.all([
      greetings.greet(name),
      maths.calculateAll(x, y),
    ]);
    const stats = experimentOf(greeting);
    const page = buildPage(checked.value, { greeting, stats, results }, req.query);
    const missing = [greeting, ...Object.values(results)].flatMap((o) =>
      !o.ok && o.kind === 'unavailable' ? [o.message] : [],
    );
    if (missing.length > 0)
      logger.warn({ missing: [...new Set(missing)] }, 'page rendered without some parts');
    // Every page view is a fresh impression: the back button must not replay an old one.
    res.set('Cache-Control', 'no-store').render('page', page);
  };
}
