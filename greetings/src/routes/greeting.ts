import {
  checkName,
  HttpError,
  MAX_NAME_LENGTH,
  type NameProblem,
} from '@friendly-calculator/common';
import type { Request, Response } from 'express';
import type { Greeter } from '../greeter';

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

/** `GET /greeting/{name}`: plain text for curl, JSON with the impression for the page. */
export function greetingHandler(greeter: Greeter) {
  return async (req: Request<{ name: string }>, res: Response): Promise<void> => {
    const name = validName(req.params.name);
    const greeting = await greeter.greet(name);
    res.format({
      // Never HTML: the name is the visitor's own text.
      'text/plain': () => res.send(greeting.greeting),
      'application/json': () => res.json(greeting),
      default: () => res.type('text/plain').send(greeting.greeting),
    });
  };
}

/** `GET /stats`: the experiment so far. */
export function statsHandler(greeter: Greeter) {
  return async (_req: Request, res: Response): Promise<void> => {
    res.json(await greeter.stats());
  };
}
