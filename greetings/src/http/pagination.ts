import { HttpError } from '@friendly-calculator/common';
import type { Request } from 'express';
import type { Page } from '../experiment/store';

export const MAX_PAGE_LIMIT = 100;

const whole = (req: Request, name: string, min: number, max: number): number | undefined => {
  const value = req.query[name];
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max))
    throw new HttpError(400, `${name}: expected a whole number from ${min} to ${max}`, {
      reason: 'bad_request',
    });
  return n;
};

/**
 * `?limit=N&before=C` of a newest-first list: at most MAX_PAGE_LIMIT items,
 * so no answer's size grows with the history (before is exclusive: a phase
 * number, or an audit entry's id).
 */
export function pageOf(req: Request, defaultLimit: number): Page {
  return {
    limit: whole(req, 'limit', 1, MAX_PAGE_LIMIT) ?? defaultLimit,
    before: whole(req, 'before', 1, Number.MAX_SAFE_INTEGER),
  };
}

/** The `next` link of a page: the same path and limit, older items; null on the last page. */
export function nextLink(path: string, page: Page, older: number | null): string | null {
  return older === null ? null : `${path}?limit=${page.limit}&before=${older}`;
}
