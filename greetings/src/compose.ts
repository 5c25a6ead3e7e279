import type { Logger, Metrics } from '@friendly-calculator/common';
import type { Express } from 'express';
import { createApp } from './app';
import { createPolicy } from './bandit/policy';
import type { Random } from './bandit/random';
import type { GreetingsConfig } from './config';
import { createGreeter } from './greeter';
import type { BanditStore } from './store/bandit-store';
import { createMemoryStore } from './store/memory-store';
import { createRedisStore } from './store/redis-store';

export interface BuildOptions {
  logger: Logger;
  metrics: Metrics;
  random?: Random;
}

/**
 * Wires the greetings service from its configuration: the store (Redis when
 * REDIS_URL is set, else in memory), the policy and the app. Used by
 * `server.ts` and by other workspaces' tests that need a real greetings.
 */
export function buildGreetings(
  config: GreetingsConfig,
  { logger, metrics, random }: BuildOptions,
): { app: Express; store: BanditStore; close(): Promise<void> } {
  let store: BanditStore;
  if (config.REDIS_URL) {
    store = createRedisStore({ url: config.REDIS_URL, logger });
  } else {
    store = createMemoryStore();
    logger.warn(
      'REDIS_URL is not set: counters live IN MEMORY in this one process and are LOST on exit. Set REDIS_URL (e.g. redis://localhost:6379) to keep them and share them between replicas.',
    );
  }
  const greeter = createGreeter({
    store,
    policy: createPolicy(config.POLICY, config.EPSILON),
    variants: config.GREETING_VARIANTS,
    epsilon: config.EPSILON,
    impressionTtlSeconds: config.IMPRESSION_TTL_SECONDS,
    logger,
    metrics,
    ...(random ? { random } : {}),
  });
  const app = createApp({ greeter, store, awesomeAppUrl: config.AWESOME_APP_URL, logger, metrics });
  return { app, store, close: () => store.close() };
}
