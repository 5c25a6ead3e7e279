import { errorHandler, HttpError, notFoundHandler, type Logger } from '@friendly-calculator/common';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';

/** Browsers get a friendly HTML page; curl and JSON clients get the shared text/JSON answers. */
const wantsHtml = (req: Request) => req.accepts(['html', 'json', 'text']) === 'html';

function renderError(res: Response, status: number, title: string, message: string): void {
  res.status(status).render('error', { title, message }, (error, html) => {
    // A broken template must not hide the original problem behind a second one.
    if (error) res.type('text/plain').send(`${title}: ${message}\n`);
    else res.send(html);
  });
}

export const htmlNotFound: RequestHandler = (req, res, next) => {
  if (!wantsHtml(req)) {
    notFoundHandler(req, res, next);
    return;
  }
  renderError(
    res,
    404,
    'Nothing here',
    'This page does not exist. Addresses look like /Bob/1/1: a name and two numbers.',
  );
};

export function htmlErrorHandler(logger: Logger): ErrorRequestHandler {
  const fallback = errorHandler(logger);
  return (err: unknown, req, res, next) => {
    if (res.headersSent || !wantsHtml(req)) {
      fallback(err, req, res, next);
      return;
    }
    const status =
      err instanceof HttpError ? err.status : (err as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // e.g. a broken %-escape in the address, which Express refuses to decode,
      // or a repeated parameter; our own HttpError's message is safe to show.
      const message = err instanceof HttpError ? err.message : 'Please check it and try again.';
      renderError(res, status, 'That address is not quite right', message);
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
    renderError(res, 500, 'Something went wrong', 'Sorry, that is our fault. Please try again.');
  };
}
