import type { Metrics } from '@friendly-calculator/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { IMPRESSION_ID } from '../greeting/impression-id';
import { redirectTarget } from '../routes/like';
import { clientAddress } from './client-address';

/**
 * At most LIKES_PER_MINUTE_PER_CLIENT Like attempts per client address per
 * minute (counted in the store, so replicas share the limit): one script
 * cannot decide the experiment, while a room of people behind one address
 * (a class, a conference's NAT) still can all like. Over the limit a JSON
 * client gets 429 `rate_limited` with `Retry-After`; a browser's form post
 * goes back to the page (`limited=1` only changes the notice's wording: the
 * page still asks greetings what became of the impression).
 */
export function likesLimit(
  limiter: RateLimiterAbstract,
  appUrl: string,
  metrics: Metrics,
): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      await limiter.consume(clientAddress(req));
    } catch (refusal) {
      // The limiter itself failing (it has an in-memory insurance) never costs a Like.
      if (!(refusal instanceof RateLimiterRes)) {
        next();
        return;
      }
      metrics.increment('likes_refused.rate_limited');
      refuse(req, res, Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)), appUrl, limiter.points);
      return;
    }
    next();
  };
}

function refuse(
  req: Request,
  res: Response,
  retryAfter: number,
  appUrl: string,
  perMinute: number,
): void {
  res.set('Retry-After', String(retryAfter));
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (req.is('application/x-www-form-urlencoded') === 'application/x-www-form-urlencoded') {
    const url = redirectTarget(appUrl, body.return_to, req.get('referer'));
    for (const key of ['like', 'liked', 'already', 'limited', 'reason'])
      url.searchParams.delete(key);
    if (typeof body.impression === 'string' && IMPRESSION_ID.test(body.impression))
      url.searchParams.set('like', body.impression);
    url.searchParams.set('limited', '1');
    res.redirect(303, url.toString());
    return;
  }
  res.status(429).json({
    error: `Too many Likes from your address: at most ${perMinute} a minute. Nothing was counted; try again in ${retryAfter} s.`,
    status: 429,
    reason: 'rate_limited',
  });
}
