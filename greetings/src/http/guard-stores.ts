import { RedisStore } from 'connect-redis';
import session from 'express-session';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Logger } from '@friendly-calculator/common';
import { closeRedisClient, createRedisClient, type RedisTarget } from '../store/redis-client';

/** 10 failed authentications per client address per minute, then 429 until the minute passes. */
export const SIGN_IN_FAILURES_PER_MINUTE = 10;

/**
 * Where the admin sessions and the per-client counters live: the same Redis
 * as the experiment when greetings has one (so every replica shares them),
 * else this process' memory. The counters are rate-limiter-flexible's
 * (atomic in Redis, a fixed window per key that expires by itself); while
 * Redis is away each replica counts in memory (its "insurance" limiter), so
 * a Like or a sign-in is limited, never failed, by the limiter itself.
 */
export interface GuardStores {
  likes: RateLimiterAbstract;
  signInFailures: RateLimiterAbstract;
  sessions: session.Store;
  /** Resolves when their Redis answers (at once in memory). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createGuardStores(options: {
  /** The experiment's Redis (one URL, or through Sentinel); none: in memory. */
  redis: RedisTarget | undefined;
  likesPerMinute: number;
  logger: Logger;
}): GuardStores {
  const likes = {
    keyPrefix: 'greetings:limit:likes',
    points: options.likesPerMinute,
    duration: 60,
  };
  const failures = {
    keyPrefix: 'greetings:limit:sign-in-failures',
    points: SIGN_IN_FAILURES_PER_MINUTE,
    duration: 60,
  };
  if (!options.redis)
    return {
      likes: new RateLimiterMemory(likes),
      signInFailures: new RateLimiterMemory(failures),
      sessions: new session.MemoryStore(),
      ping: async () => {},
      close: async () => {},
    };
  // Its own connection, built like the store's (fail fast, follow a
  // failover): a limiter or a session read never waits on a Redis that is away.
  const redis = createRedisClient(options.redis, {
    logger: options.logger,
    purpose: 'limits, sessions',
  });
  const shared = (opts: typeof likes) =>
    new RateLimiterRedis({
      ...opts,
      storeClient: redis,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(opts),
    });
  return {
    likes: shared(likes),
    signInFailures: shared(failures),
    sessions: new RedisStore({ client: redis, prefix: 'greetings:session:' }),
    ping: async () => {
      await redis.ping();
    },
    close: () => closeRedisClient(redis),
  };
}
