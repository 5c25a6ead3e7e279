import { HttpError } from '@friendly-calculator/common';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';

/** An admin body's size and JSON nesting at most (OWASP input validation: bound what is parsed). */
export const MAX_ADMIN_BODY = '16kb';
export const MAX_JSON_DEPTH = 32;

const OPEN = new Set([0x7b, 0x5b]); // { [
const CLOSE = new Set([0x7d, 0x5d]); // } ]

/**
 * Refuses JSON nested deeper than `max` from its raw bytes, before it is
 * parsed or walked (a body 3,000 levels deep must be a 400, not a stack
 * overflow somewhere later). Brackets inside strings do not count.
 */
export function refuseDeepJson(raw: Buffer, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (OPEN.has(c)) {
      if (++depth > max)
        throw new HttpError(
          400,
          `The JSON body is nested deeper than ${max} levels: nothing was changed.`,
          {
            reason: 'bad_request',
          },
        );
    } else if (CLOSE.has(c)) depth--;
  }
}

/**
 * Every admin POST takes JSON or the form encoding, nothing else: a body of
 * another type (text/plain, multipart, merge-patch, or none said) is 415
 * before anything reads it, so it can never slip past the rules as an empty
 * body. Then the body is parsed within its limits (16 kB; JSON 32 levels deep).
 */
export function adminBodies(): RequestHandler[] {
  const typed: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
    if (req.method === 'POST' && hasBody(req)) {
      const kind = req.is(['application/json', 'application/x-www-form-urlencoded']);
      if (kind === false || kind === null)
        throw new HttpError(
          415,
          'Admin requests take application/json or application/x-www-form-urlencoded: nothing was changed.',
          { reason: 'unsupported' },
        );
    }
    next();
  };
  return [
    typed,
    express.urlencoded({ extended: false, limit: MAX_ADMIN_BODY, parameterLimit: 40 }),
    express.json({ limit: MAX_ADMIN_BODY, verify: (_req, _res, raw) => refuseDeepJson(raw) }),
  ];
}

/** A body is there when its length is said and not zero, or it is chunked. */
const hasBody = (req: Request) =>
  req.get('transfer-encoding') !== undefined ||
  (req.get('content-length') !== undefined && req.get('content-length') !== '0');
