import { HttpError, sendError } from '@friendly-calculator/common';
import type { ErrorRequestHandler, Request } from 'express';
import { ActionRefused } from '../experiment/phase';
import { StoreUnavailable } from '../experiment/store';

/** The `reason` of an admin error, by status, when the error does not name its own. */
const REASON_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'too-large',
  415: 'unsupported',
  429: 'throttled',
  503: 'unavailable',
};

/** JSON when the request's body is JSON or it takes JSON (an API client), whatever else it accepts. */
export const wantsJson = (req: Request) =>
  req.is('application/json') === 'application/json' ||
  req.accepts(['application/json', 'text/html', 'text/plain']) === 'application/json';

/**
 * Admin errors as a JSON client can read them: `{error, status, reason}`
 * (a browser still gets text). A 429 or 503 says when to come back.
 */
export const adminErrors: ErrorRequestHandler = (err: unknown, req, res, next) => {
  const known = asKnown(err);
  if (!known || res.headersSent) {
    next(err);
    return;
  }
  const { status, message, details } = known;
  if (typeof details.retryAfter === 'number') res.set('Retry-After', String(details.retryAfter));
  else if (status === 503) res.set('Retry-After', '2');
  const reason = typeof details.reason === 'string' ? details.reason : REASON_BY_STATUS[status];
  const body = { ...details, ...(reason ? { reason } : {}) };
  if (wantsJson(req)) res.status(status).json({ error: message, status, ...body });
  else sendError(res, status, message, body);
};

function asKnown(
  err: unknown,
): { status: number; message: string; details: Readonly<Record<string, unknown>> } | undefined {
  if (err instanceof HttpError && err.status < 500)
    return { status: err.status, message: err.message, details: err.details };
  if (err instanceof HttpError && err.status === 503)
    return { status: 503, message: err.message, details: err.details };
  if (err instanceof ActionRefused)
    return { status: err.status, message: err.message, details: {} };
  if (err instanceof StoreUnavailable)
    return {
      status: 503,
      message: `The greetings store is unavailable: ${err.message}.`,
      details: { reason: err.uncertain ? 'uncertain' : 'unavailable' },
    };
  // Body parsers' client errors (broken JSON, too large): safe to show.
  const e = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true)
    return { status: e.status, message: String(e.message), details: {} };
  return undefined;
}
