import { Redis, type RedisOptions } from 'ioredis';
import { redactedUrl, type Logger } from '@friendly-calculator/common';

/**
 * Where greetings' Redis is: one URL, or a primary found through Sentinel
 * (REDIS_SENTINELS, REDIS_MASTER_NAME). Sentinel is a connection setting,
 * not a second store: every Redis client greetings has (the experiment's
 * store, the sessions, the rate limits) is built here from the same target,
 * so all of them follow a failover alike.
 */
export type RedisTarget =
  | { kind: 'url'; url: string }
  | { kind: 'sentinel'; sentinels: readonly { host: string; port: number }[]; name: string };

/** The target the configuration names, or none (greetings then keeps everything in memory). */
export function redisTargetOf(config: {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS?: readonly { host: string; port: number }[] | undefined;
  REDIS_MASTER_NAME: string;
}): RedisTarget | undefined {
  if (config.REDIS_SENTINELS)
    return { kind: 'sentinel', sentinels: config.REDIS_SENTINELS, name: config.REDIS_MASTER_NAME };
  if (config.REDIS_URL) return { kind: 'url', url: config.REDIS_URL };
  return undefined;
}

/** The target for a log line: never a password. */
export function describeTarget(target: RedisTarget): string {
  return target.kind === 'url'
    ? redactedUrl(target.url)
    : `sentinel ${target.name} via ${target.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
}

export interface RedisClientOptions {
  logger: Logger;
  /** What this connection is for, in its log lines ("store", "limits, sessions"). */
  purpose: string;
  /** A command that takes longer fails, so a hung Redis cannot hang a request. */
  commandTimeoutMs?: number;
  /** ioredis' `enableAutoPipelining`: the commands of one event-loop turn in one write. */
  autoPipelining?: boolean;
}

/**
 * A client that fails fast while Redis is away (no offline queue, no retry
 * of a command) and reconnects by itself, forever. Through Sentinel it asks
 * the Sentinels for the primary on every (re)connection, checks that the
 * node it reached really is the primary, and:
 * - `failoverDetector`: listens to the Sentinels' `+switch-master`, so a
 *   primary that hangs rather than closes its connections (a paused
 *   process, a dead network) is left as soon as a replica is promoted;
 * - `reconnectOnError`: a `READONLY` answer (the node it talks to was made
 *   a replica) drops the connection, and the next one asks the Sentinels.
 */
export function createRedisClient(
  target: RedisTarget,
  { logger, purpose, commandTimeoutMs = 500, autoPipelining = false }: RedisClientOptions,
): Redis {
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 1000,
    enableAutoPipelining: autoPipelining,
    // Back off to one attempt every 2 s (every second through Sentinel, which names the new primary).
    retryStrategy: (attempt) => Math.min(attempt * 100, target.kind === 'url' ? 2000 : 1000),
  };
  const redis =
    target.kind === 'url'
      ? new Redis(target.url, common)
      : new Redis({
          ...common,
          sentinels: target.sentinels.map((s) => ({ ...s })),
          name: target.name,
          role: 'master',
          failoverDetector: true,
          sentinelCommandTimeout: commandTimeoutMs,
          sentinelRetryStrategy: (attempt) => Math.min(attempt * 100, 1000),
          sentinelReconnectStrategy: (attempt) => Math.min(attempt * 100, 1000),
          // 1: reconnect, without sending the refused command again (it was not run: the caller says so).
          reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 1 : false),
        });
  let lastError = 0;
  redis.on('error', (error: Error) => {
    if (Date.now() - lastError > 10_000) {
      lastError = Date.now();
      logger.warn({ err: error.message }, `redis unavailable (${purpose}; repeats muted for 10 s)`);
    }
  });
  redis.on('ready', () => logger.info({ redis: describeTarget(target), purpose }, 'redis ready'));
  // ioredis gives up for good ("end") when its Sentinel connector is told of a
  // failover while it is still resolving the primary (the failover detector
  // of the connection just lost closes the connector mid-connect). Nothing
  // but `closeRedisClient` may end this client: start it again.
  redis.on('end', () => {
    if (closing.has(redis)) return;
    logger.warn({ purpose }, 'redis client ended by itself: connecting again');
    setTimeout(() => {
      if (!closing.has(redis) && redis.status === 'end') redis.connect().catch(() => undefined);
    }, 100).unref();
  });
  return redis;
}

/** Clients being closed on purpose (they stay ended). */
const closing = new WeakSet<Redis>();

/**
 * QUIT (only on a ready connection, for at most a second), then drop the
 * connection whatever happened; `disconnect` also closes the failover
 * detector's connections to the Sentinels, which QUIT alone leaves
 * reconnecting forever. A client still connecting is only disconnected: on
 * one with an offline queue (the subscriber), QUIT would wait for a
 * connection that may never come (every Sentinel away), holding up the
 * shutdown until the drain's deadline.
 */
export async function closeRedisClient(redis: Redis): Promise<void> {
  closing.add(redis);
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      redis.quit().catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, 1000))),
    ]).finally(() => clearTimeout(timer));
  }
  redis.disconnect();
}
