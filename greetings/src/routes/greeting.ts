import {
  checkName,
  HttpError,
  MAX_NAME_LENGTH,
  type NameProblem,
} from '@friendly-calculator/common';
import type { Request, Response } from 'express';
import type { PhaseView } from '../experiment/view';
import type { Greeter, Greeting } from '../greeter';
import { IMPRESSION_ID } from '../greeting/impression-id';
import { nextLink, pageOf } from '../http/pagination';

const NAME_PROBLEMS: Record<NameProblem, (length: number) => string> = {
  empty: (length) => `The name must be 1 to ${MAX_NAME_LENGTH} characters long (got ${length})`,
  'too-long': (length) =>
    `The name must be 1 to ${MAX_NAME_LENGTH} characters long (got ${length})`,
  control: () => 'The name must not contain control characters',
  dots: () => 'The name must not be just dots',
};

/** A visitor's name, trimmed, by the rule the page uses too (common's `checkName`); else a 400. */
export function validName(raw: string): string {
  const checked = checkName(raw);
  if (!checked.ok) throw new HttpError(400, NAME_PROBLEMS[checked.problem](checked.length));
  return checked.name;
}

/** Browsers say so when they load a page ahead of time, not for the visitor to see now. */
const isPrefetch = (req: Request) =>
  /prefetch|prerender/i.test(req.get('sec-purpose') ?? req.get('purpose') ?? '');

const experimentJson = new WeakMap<PhaseView, string>();

/**
 * `JSON.stringify(greeting)`, with the experiment's part written once per
 * snapshot: greetings hands out the same `PhaseView` object (worked out at
 * most every 250 ms) with every greeting in between, so under load most
 * answers reuse its JSON, and only the few fields of the greeting itself are
 * written per request. `experiment` is the last field of every greeting.
 */
export function greetingJson(greeting: Greeting): string {
  const { experiment, ...rest } = greeting;
  if (!experiment) return JSON.stringify(greeting);
  let json = experimentJson.get(experiment);
  if (json === undefined) {
    json = JSON.stringify(experiment);
    experimentJson.set(experiment, json);
  }
  return `${JSON.stringify(rest).slice(0, -1)},"experiment":${json}}`;
}

/**
 * `GET /greeting/{name}`: plain text for curl, JSON with the impression for
 * the page. Only a real showing that can be liked records an impression: a
 * JSON GET (the text answer carries no impression id to like), never HEAD,
 * never a prefetch.
 */
export function greetingHandler(greeter: Greeter) {
  return async (req: Request<{ name: string }>, res: Response): Promise<void> => {
    const name = validName(req.params.name);
    const json = req.accepts(['text/plain', 'application/json']) === 'application/json';
    const record = json && req.method === 'GET' && !isPrefetch(req);
    const greeting = await greeter.greet(name, { record });
    // Each answer carries a single-use impression: never to be replayed from a cache.
    res.set('Cache-Control', 'no-store');
    if (json) res.type('application/json').send(greetingJson(greeting));
    // Never HTML: the name is the visitor's own text.
    else res.type('text/plain').send(greeting.greeting);
  };
}

/** `GET /impressions/{id}`: what became of a shown greeting (`pending`, `liked` or `unknown`). */
export function impressionHandler(greeter: Greeter) {
  return async (req: Request<{ id: string }>, res: Response): Promise<void> => {
    const { id } = req.params;
    if (!IMPRESSION_ID.test(id))
      throw new HttpError(400, 'Malformed impression: expected the id you got with the greeting');
    res
      .set('Cache-Control', 'no-store')
      .json({ impression: id, ...(await greeter.impressionStatus(id)) });
  };
}

/** `GET /stats`: the current phase (the same shape as `/experiments/current`). */
export function currentHandler(greeter: Greeter) {
  return async (_req: Request, res: Response): Promise<void> => {
    res.set('Cache-Control', 'no-store').json(await greeter.current());
  };
}

/** `GET /experiments?limit&before`: one page of phases, newest first, and the link to older ones. */
export function experimentsHandler(greeter: Greeter) {
  return async (req: Request, res: Response): Promise<void> => {
    const page = pageOf(req, 10);
    const { experiments, older } = await greeter.experiments(page);
    res
      .set('Cache-Control', 'no-store')
      .json({ experiments, next: nextLink('/experiments', page, older) });
  };
}
