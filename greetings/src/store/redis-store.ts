import { Redis, type RedisOptions } from 'ioredis';
import { redactedUrl, type Logger } from '@friendly-calculator/common';
import type { ArmCounts } from '../bandit/policy';
import {
  StoreUnavailable,
  USED_MEMORY_SECONDS,
  type BanditStore,
  type LikeOutcome,
} from './bandit-store';

const COUNTS_KEY = 'greetings:counts';
const impressionKey = (id: string) => `greetings:impression:${id}`;
const usedKey = (id: string) => `greetings:used:${id}`;

/**
 * Both writes are Lua scripts, so each is one atomic step and one round trip:
 * replicas sharing a Redis can never lose or double-count an increment.
 */
const RECORD_IMPRESSION = `
redis.call('HINCRBY', KEYS[1], ARGV[1] .. ':impressions', 1)
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
return redis.call('HGETALL', KEYS[1])`;

const LIKE = `
local variant = redis.call('GET', KEYS[1])
if variant then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
  redis.call('HINCRBY', KEYS[3], variant .. ':likes', 1)
  return {'liked', variant}
end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'used'} end
return {'unknown'}`;

interface ScriptedRedis extends Redis {
  recordImpression(
    counts: string,
    impression: string,
    variant: string,
    ttl: number,
  ): Promise<string[]>;
  likeImpression(
    impression: string,
    used: string,
    counts: string,
    usedTtl: number,
  ): Promise<string[]>;
}

export interface RedisStoreOptions {
  url: string;
  logger: Logger;
  /** A command that takes longer fails, so a hung Redis cannot hang a request. */
  commandTimeoutMs?: number;
}

function parseCounts<V extends string>(
  flat: readonly string[],
  variants: readonly V[],
): ArmCounts<V>[] {
  const fields = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, Number(flat[i + 1]));
  return variants.map((variant) => ({
    variant,
    impressions: fields.get(`${variant}:impressions`) ?? 0,
    likes: fields.get(`${variant}:likes`) ?? 0,
  }));
}

export function createRedisStore({
  url,
  logger,
  commandTimeoutMs = 500,
}: RedisStoreOptions): BanditStore {
  const options: RedisOptions = {
    // Fail fast while Redis is away instead of queueing commands without bound.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 1000,
    // Reconnect by itself, forever, backing off to one attempt every 2 s.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  };
  const redis = new Redis(url, options) as ScriptedRedis;
  redis.defineCommand('recordImpression', { numberOfKeys: 2, lua: RECORD_IMPRESSION });
  redis.defineCommand('likeImpression', { numberOfKeys: 3, lua: LIKE });

  let lastError = 0;
  redis.on('error', (error: Error) => {
    if (Date.now() - lastError > 10_000) {
      lastError = Date.now();
      logger.warn({ err: error.message }, 'redis unavailable (repeats muted for 10 s)');
    }
  });
  redis.on('ready', () => logger.info({ url: redactedUrl(url) }, 'redis ready'));

  const call = async <T>(command: () => Promise<T>): Promise<T> => {
    if (redis.status !== 'ready') throw new StoreUnavailable(`redis is ${redis.status}`);
    try {
      return await command();
    } catch (error) {
      throw new StoreUnavailable(error instanceof Error ? error.message : String(error));
    }
  };

  return {
    kind: 'redis',
    counts: (variants) =>
      call(async () => {
        const hash = await redis.hgetall(COUNTS_KEY);
        return parseCounts(Object.entries(hash).flat(), variants);
      }),
    recordImpression: (variant, impression, ttlSeconds, variants) =>
      call(async () =>
        parseCounts(
          await redis.recordImpression(COUNTS_KEY, impressionKey(impression), variant, ttlSeconds),
          variants,
        ),
      ),
    like: (impression) =>
      call(async (): Promise<LikeOutcome> => {
        const [status, variant] = await redis.likeImpression(
          impressionKey(impression),
          usedKey(impression),
          COUNTS_KEY,
          USED_MEMORY_SECONDS,
        );
        if (status === 'liked' && variant) return { status: 'liked', variant };
        return status === 'used' ? { status: 'used' } : { status: 'unknown' };
      }),
    ping: () => call(() => redis.ping()).then(() => undefined),
    close: async () => {
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}
