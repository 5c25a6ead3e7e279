import { HttpError } from '@friendly-calculator/common';
import type { Request, Response } from 'express';
import { IMPRESSION_ID, type Greeter } from '../greeter';
import { StoreUnavailable } from '../store/bandit-store';

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

function withOutcome(target: URL, liked: boolean, reason?: string): string {
  const url = new URL(target);
  url.searchParams.delete('liked');
  url.searchParams.delete('reason');
  url.searchParams.set('liked', liked ? '1' : '0');
  if (reason) url.searchParams.set('reason', reason);
  return url.toString();
}

const REFUSALS = {
  used: [409, 'This greeting was already liked: one Like per greeting shown'],
  unknown: [404, 'Unknown or expired impression: reload the page to get a fresh greeting to like'],
} as const;

/** `POST /like_greeting` with `impression` as a form field or JSON. */
export function likeHandler(greeter: Greeter, appUrl: string) {
  return async (req: Request, res: Response): Promise<void> => {
    const isForm =
      req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded';
    if (!isForm && !req.is('application/json')) {
      throw new HttpError(
        415,
        'Send the impression as a form field (application/x-www-form-urlencoded) or as JSON {"impression": "..."}',
      );
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const impression = body.impression;
    if (impression === undefined || impression === '') {
      throw new HttpError(
        400,
        'Missing impression: post the "impression" id you got with the greeting (form field or JSON)',
      );
    }
    if (typeof impression !== 'string' || !IMPRESSION_ID.test(impression)) {
      throw new HttpError(400, 'Malformed impression: expected the id you got with the greeting');
    }

    let outcome;
    try {
      outcome = await greeter.like(impression);
    } catch (error) {
      if (error instanceof StoreUnavailable) {
        throw new HttpError(
          503,
          'The Like could not be counted: the greetings store is unavailable. Please try again shortly.',
        );
      }
      throw error;
    }

    if (outcome.status === 'liked') {
      if (isForm) {
        res.redirect(
          303,
          withOutcome(redirectTarget(appUrl, body.return_to, req.get('referer')), true),
        );
      } else {
        res.json({ liked: true, variant: outcome.variant });
      }
      return;
    }
    const [status, message] = REFUSALS[outcome.status];
    throw new HttpError(status, message, isForm ? {} : { reason: outcome.status });
  };
}
