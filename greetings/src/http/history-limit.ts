import { sendError, type Metrics } from '@friendly-calculator/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RateLimit, Sema } from 'async-sema';

export interface HistoryLimitOptions {
  /** Pages worked on at once (the rest wait their turn). */
  concurrency?: number;
  /** Requests that may wait; one more is refused at once. */
  queue?: number;
  /** The longest a request waits for its turn before it is refused. */
  maxWaitMs?: number;
  /** Pages begun per second at most, evenly spaced: the history's share of the event loop. */
  pagesPerSecond?: number;
  metrics: Metrics;
}

/** What a refused history request is told to wait, in seconds. */
export const HISTORY_RETRY_AFTER_SECONDS = 1;

/**
 * The public history (`GET /experiments`) waits its turn, so it can never
 * take the event loop, or Redis, from the visitors' greetings and Likes: at
 * most `concurrency` pages are worked on at once (async-sema's semaphore),
 * begun at most `pagesPerSecond` a second, evenly spaced (async-sema's
 * `RateLimit`), so however many clients ask, the history costs a bounded
 * share of the process. The others wait (a waiting request costs nothing);
 * a request that finds `queue` others waiting, or has waited `maxWaitMs`,
 * is refused with 503 `{"reason":"busy"}` + `Retry-After`. Only this route
 * is refused: the greeting and the Like never pass here.
 */
export function historyLimit({
  concurrency = 1,
  queue = 256,
  maxWaitMs = 5000,
  pagesPerSecond = 50,
  metrics,
}: HistoryLimitOptions): RequestHandler {
  const sema = new Sema(concurrency);
  const pace = RateLimit(pagesPerSecond, { uniformDistribution: true });
  return async (req: Request, res: Response, next: NextFunction) => {
    if (sema.nrWaiting() >= queue) {
      refuse(res, metrics);
      return;
    }
    const turn = sema.acquire();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), maxWaitMs)));
    const got = await Promise.race([turn.then(() => true), late]);
    clearTimeout(timer);
    if (!got) {
      // The turn comes later all the same: hand it straight on (unpaced).
      void turn.then(() => sema.release());
      refuse(res, metrics);
      return;
    }
    await pace();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      sema.release();
    };
    res.once('finish', release);
    res.once('close', release);
    // The client went away while it waited: nothing to answer.
    if (req.socket.destroyed) {
      release();
      return;
    }
    next();
  };
}

function refuse(res: Response, metrics: Metrics): void {
  metrics.increment('history_refused.busy');
  res.set('Retry-After', String(HISTORY_RETRY_AFTER_SECONDS)).set('Cache-Control', 'no-store');
  sendError(
    res,
    503,
    `Too many history requests at once: try again in ${HISTORY_RETRY_AFTER_SECONDS} s. Greetings and Likes are not affected.`,
    { reason: 'busy' },
  );
}
