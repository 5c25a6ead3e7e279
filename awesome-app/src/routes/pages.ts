import { queryParam, type Logger } from '@friendly-calculator/common';
import type { Request, Response } from 'express';
import type { GreetingsClient } from '../clients/greetings';
import type { MathsClient } from '../clients/maths';
import { checkCalculation, pagePath, type Field, type Problem } from '../input';
import { buildPage, likeNotice, rememberLastPanel, type Answers, type Notice } from '../page';

type Raw = Partial<Record<Field, unknown>>;

/** The shape of greetings' impression ids: anything else in `?like=` is ignored. */
const IMPRESSION = /^[A-Za-z0-9_-]{22}$/;

/** Browsers say so when they load a page ahead of time: nobody sees that greeting now. */
const isPrefetch = (req: Request) =>
  /prefetch|prerender/i.test(req.get('sec-purpose') ?? req.get('purpose') ?? '');

/** `?like=<impression>`, when greetings sent the visitor back after a Like. */
function likedImpression(query: Request['query']): string | undefined {
  const { like } = query;
  return typeof like === 'string' && IMPRESSION.test(like) ? like : undefined;
}

/** The form, pre-filled with what was typed, and what to fix (a 400) when anything is wrong. */
function renderForm(res: Response, raw: Raw, problems: Problem[], like?: Notice): void {
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  res.status(problems.length > 0 ? 400 : 200).render('home', {
    values: { name: text(raw.name), x: text(raw.x), y: text(raw.y) },
    problems,
    ...(like ? { like, path: '/' } : {}),
  });
}

/** `GET /`: the calculator form (and, after a Like that came back here, what became of it). */
export function homeHandler(greetings: GreetingsClient) {
  return async (req: Request, res: Response): Promise<void> => {
    const impression = likedImpression(req.query);
    const like = impression
      ? likeNotice(
          {
            impression,
            outcome: await greetings.checkImpression(impression),
            already: req.query.already === '1',
            limited: req.query.limited === '1',
          },
          undefined,
        )
      : undefined;
    renderForm(res, {}, [], like);
  };
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
  else renderForm(res, raw, checked.problems);
}

export interface PageDeps {
  greetings: GreetingsClient;
  maths: MathsClient;
  logger: Logger;
  /** views/page.ejs, compiled (app.ts): called with the same locals `res.render` would pass. */
  template: (locals: Record<string, unknown>) => string;
}

/** `GET /{name}/{x}/{y}`: the greeting, the four results and the experiment, all asked for at once. */
export function pageHandler({ greetings, maths, logger, template }: PageDeps) {
  const panel = rememberLastPanel();
  return async (req: Request<Record<Field, string>>, res: Response): Promise<void> => {
    const checked = checkCalculation(req.params);
    if (!checked.ok) {
      renderForm(res, req.params, checked.problems);
      return;
    }
    const { name, x, y } = checked.value;
    const impression = likedImpression(req.query);
    // Two calls in parallel (the greeting brings the experiment's numbers,
    // maths answers all four operations at once), a third only after a Like;
    // none throws, each has its own deadline. A HEAD or a prefetch is not a
    // showing: greetings records no impression for it.
    const [greeting, results, check] = await Promise.all([
      greetings.greet(name, { record: req.method === 'GET' && !isPrefetch(req) }),
      maths.calculateAll(x, y),
      impression ? greetings.checkImpression(impression) : undefined,
    ]);
    const answers: Answers = {
      greeting,
      results,
      ...(impression && check
        ? {
            likeCheck: {
              impression,
              outcome: check,
              already: req.query.already === '1',
              limited: req.query.limited === '1',
            },
          }
        : {}),
    };
    const page = buildPage(checked.value, answers, panel);
    const missing = [greeting, ...Object.values(results)].flatMap((o) =>
      !o.ok && o.kind === 'unavailable' ? [o.message] : [],
    );
    if (missing.length > 0)
      logger.warn({ missing: [...new Set(missing)] }, 'page rendered without some parts');
    // Every page view is a fresh impression: the back button must not replay an old one.
    // What res.render('page', page) would send: app.locals, res.locals, then the page's own.
    const html = template({ ...(req.app.locals as object), ...res.locals, ...page });
    res.set('Cache-Control', 'no-store').type('html').send(html);
  };
}
