import { sendError } from '@friendly-calculator/common';
import type { ErrorRequestHandler, Request, Response } from 'express';
import type { Greeter } from '../greeter';
import { IMPRESSION_ID } from '../greeting/impression-id';
import { StoreUnavailable, type LikeOutcome } from '../experiment/store';

/**
 * Where a browser goes after a Like: back to the page it came from, but only
 * within the awesome-app's origin (never an open redirect). The page's own
 * `return_to` path comes first (cross-origin form posts usually carry only
 * the origin in Referer); then a same-origin Referer; else the app's root.
 */
export function redirectTarget(
  appUrl: string,
  returnTo: unknown,
  referer: string | undefined,
): URL {
  const app = new URL(appUrl);
  const candidates: string[] = [];
  if (typeof returnTo === 'string' && /^\/(?![/\\])/.test(returnTo) && !/[\\\s]/.test(returnTo)) {
    candidates.push(new URL(returnTo, app).toString());
  }
  if (referer) candidates.push(referer);
  for (const candidate of candidates) {
    try {
      const url = new URL(candidate);
      if (url.origin === app.origin) return url;
    } catch {
      // not a URL: ignore
    }
  }
  return new URL(app.pathname.endsWith('/') ? app.pathname : `${app.pathname}/`, app);
}

/**
 * The page learns the outcome by asking greetings about the impression
 * (`GET /impressions/{id}`), not from the link: a link cannot fake a thank-you.
 */
function backToPage(target: URL, impression: string, already: boolean): string {
  const url = new URL(target);
  for (const key of ['like', 'liked', 'already', 'reason']) url.searchParams.delete(key);
  url.searchParams.set('like', impression);
  // Only a hint for the wording ("you had already liked it"): the page still asks.
  if (already) url.searchParams.set('already', '1');
  return url.toString();
}

type Refusal = Exclude<LikeOutcome['status'], 'liked'> | 'unavailable' | 'uncertain';

const REFUSALS: Record<Refusal, [number, string]> = {
  used: [409, 'This greeting was already liked: one Like per greeting shown'],
  unknown: [404, 'Unknown or expired impression: reload the page to get a fresh greeting to like'],
  ended: [
    410,
    'This greeting belongs to an experiment phase that has ended: Likes count only for the phase that is running. Reload the page for a fresh greeting.',
  ],
  paused: [
    409,
    'The experiment is paused: Likes are not counted right now. Nothing was used up: try again once it runs.',
  ],
  shipped: [409, 'The experiment has shipped its winner: Likes are no longer counted.'],
  unavailable: [
    503,
    'The Like could not be counted: the greetings store is unavailable. Nothing was counted; please try again shortly.',
  ],
  uncertain: [
    503,
    'The greetings store did not confirm the Like in time: it may or may not have been counted. Trying again is safe: a Like never counts twice.',
  ],
};

const isForm = (req: Request) =>
  req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';

/** A JSON client gets JSON with a `reason`, whatever its Accept header says. */
function refuse(req: Request, res: Response, reason: string, status: number, message: string) {
  if (status === 503) res.set('Retry-After', '2');
  if (isForm(req)) sendError(res, status, message);
  else res.status(status).json({ error: message, status, reason });
}

/** `POST /like_greeting` with `impression` as a form field or JSON. */
export function likeHandler(greeter: Greeter, appUrl: string) {
  return async (req: Request, res: Response): Promise<void> => {
    const form = isForm(req);
    if (!form && !req.is('application/json')) {
      refuse(
        req,
        res,
        'unsupported',
        415,
        'Send the impression as a form field (application/x-www-form-urlencoded) or as JSON {"impression": "..."}',
      );
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const impression = body.impression;
    if (impression === undefined || impression === '') {
      refuse(
        req,
        res,
        'missing',
        400,
        'Missing impression: post the "impression" id you got with the greeting (form field or JSON)',
      );
      return;
    }
    if (typeof impression !== 'string' || !IMPRESSION_ID.test(impression)) {
      refuse(
        req,
        res,
        'malformed',
        400,
        'Malformed impression: expected the id you got with the greeting',
      );
      return;
    }

    let outcome: LikeOutcome | { status: 'unavailable' | 'uncertain' };
    try {
      outcome = await greeter.like(impression);
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      outcome = { status: error.uncertain ? 'uncertain' : 'unavailable' };
    }

    // A browser always goes back to the page, which says what happened (and offers a retry).
    if (form) {
      const target = redirectTarget(appUrl, body.return_to, req.get('referer'));
      res.redirect(303, backToPage(target, impression, outcome.status === 'used'));
      return;
    }
    if (outcome.status === 'liked') {
      res.json({ liked: true, phase: outcome.phase, variant: outcome.variant });
      return;
    }
    const [status, message] = REFUSALS[outcome.status];
    refuse(req, res, outcome.status, status, message);
  };
}

/** Body-parser failures of a JSON post (too large, broken JSON) answered in JSON too. */
export const likeErrors: ErrorRequestHandler = (err: unknown, req, res, next) => {
  const status = (err as { status?: unknown }).status;
  if (req.is('application/json') && typeof status === 'number' && status >= 400 && status < 500) {
    const reason = status === 413 ? 'too-large' : 'malformed';
    res.status(status).json({ error: (err as Error).message, status, reason });
    return;
  }
  next(err);
};
