import { HttpError } from '@friendly-calculator/common';
import type { Request, Response } from 'express';
import type { Greeter } from '../greeter';

export const MAX_NAME_LENGTH = 64;

/** Trims and checks a visitor's name: 1 to 64 characters, no control characters. */
export function validName(raw: string): string {
  const name = raw.trim();
  const length = [...name].length;
  if (length === 0 || length > MAX_NAME_LENGTH) {
    throw new HttpError(
      400,
      `The name must be 1 to ${MAX_NAME_LENGTH} characters long (got ${length})`,
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new HttpError(400, 'The name must not contain control characters');
  }
  return name;
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
