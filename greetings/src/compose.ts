import {
  noEvents,
  scenariosOff,
  type EventSink,
  type Logger,
  type Metrics,
  type Readiness,
  type Scenarios,
} from '@friendly-calculator/common';
import type { Express } from 'express';
import { createApp } from './app';
import type { Random } from './bandit/random';
import type { GreetingsConfig } from './config';
import { createAdmin } from './experiment/admin';
import { createGuardStores, type GuardStores } from './http/guard-stores';
import { localOrigins } from './http/public-origins';
import type { PhaseDefinition } from './experiment/phase';
import { DEFAULT_STOPPING_RULE } from './experiment/statistics';
import type { PhaseView } from './experiment/view';
import { CATALOG } from './experiment/variants';
import { createGreeter } from './greeter';
import type { ExperimentStore } from './experiment/store';
import { createMemoryStore, MEMORY_MAX_IMPRESSIONS } from './store/memory-store';
import { redisTargetOf } from './store/redis-client';
import { createRedisStore } from './store/redis-store';
import { withPhaseEvents, withStoreScenario } from './scenarios';
import { createLive } from './greeting/live-feed';

export interface BuildOptions {
  logger: Logger;
  metrics: Metrics;
  random?: Random;
  now?: () => number;
  /** Draining state shared with `serve()` (server.ts). */
  readiness?: Readiness;
  /** The scenario flags (greetingsStoreSlow, greetingsLikeErrors); default: every one off, the store not even wrapped. */
  scenarios?: Scenarios;
  /** Where phase actions are posted as Graphite events (GRAPHITE_URL); default: nowhere. */
  events?: EventSink;
}

/** The Redis store's command timeout (its default), which a slow-store scenario runs into. */
const STORE_TIMEOUT_MS = 500;

/** Redis when REDIS_URL or REDIS_SENTINELS is set, else in memory (said loudly); behind the store scenario when flags are read. */
function createStore(
  config: GreetingsConfig,
  logger: Logger,
  now: () => number,
  scenarios: Scenarios,
): ExperimentStore {
  let store: ExperimentStore;
  const target = redisTargetOf(config);
  if (target) {
    store = createRedisStore({
      target,
      logger,
      commandTimeoutMs: STORE_TIMEOUT_MS,
      minReplicasAck: config.REDIS_MIN_REPLICAS_ACK,
    });
  } else {
    store = createMemoryStore(now);
    logger.warn(
      `REDIS_URL is not set (nor REDIS_SENTINELS): the experiment lives IN MEMORY in this one process (at most ${MEMORY_MAX_IMPRESSIONS} impressions remembered) and is LOST on exit. Set REDIS_URL (e.g. redis://localhost:6379) to keep it and share it between replicas.`,
    );
  }
  if (scenarios !== scenariosOff) store = withStoreScenario(store, scenarios, STORE_TIMEOUT_MS);
  return store;
}

/** Phase 1 from GREETING_VARIANTS, POLICY and EPSILON (used only when the store has no phase yet). */
const firstPhase = (
  config: GreetingsConfig,
  variants: PhaseDefinition['variants'],
  now: () => number,
): PhaseDefinition => ({
  phase: 1,
  policy: config.POLICY,
  epsilon: config.EPSILON,
  variants,
  startedAt: new Date(now()).toISOString(),
});

/** The wired greetings service (buildGreetings). */
export interface Greetings {
  app: Express;
  store: ExperimentStore;
  /** Admin sessions and per-client counters (http/guard-stores.ts). */
  guards: GuardStores;
  /** Reads the current phase (creating phase 1 if the store has none), so the first visitor waits for nothing. */
  warmUp(): Promise<PhaseView>;
  /** Sends the current phase's numbers as gauges (server.ts: every second). */
  report(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Wires the greetings service from its configuration: the store (Redis when
 * REDIS_URL or REDIS_SENTINELS is set, else in memory), phase 1 from GREETING_VARIANTS, POLICY
 * and EPSILON (used only when the store has no phase yet), the greeter, the
 * admin actions and the app. Used by `server.ts` and by tests.
 */
export function buildGreetings(
  config: GreetingsConfig,
  {
    logger,
    metrics,
    random,
    now = Date.now,
    readiness,
    scenarios = scenariosOff,
    events = noEvents,
  }: BuildOptions,
): Greetings {
  const store = createStore(config, logger, now, scenarios);
  const variants = config.GREETING_VARIANTS.map((name) => ({ name, template: CATALOG[name]! }));
  const stoppingRule = { ...DEFAULT_STOPPING_RULE, minShown: config.MIN_SHOWN_FOR_BEST };
  const greeter = createGreeter({
    store,
    impressionTtlSeconds: config.IMPRESSION_TTL_SECONDS,
    stoppingRule,
    fallback: variants[0]!,
    initial: () => firstPhase(config, variants, now),
    logger,
    metrics,
    now,
    ...(random ? { random } : {}),
  });
  const admin = withPhaseEvents(
    createAdmin({
      store,
      greeter,
      defaultEpsilon: config.EPSILON,
      stoppingRule,
      logger,
      metrics,
      now: () => new Date(now()),
    }),
    events,
  );
  const guards = createGuardStores({
    redis: redisTargetOf(config),
    likesPerMinute: config.LIKES_PER_MINUTE_PER_CLIENT,
    logger,
  });
  const live = createLive(config, { store, greeter, logger, metrics, readiness });
  const app = createApp({
    greeter,
    live: live.handler,
    liveReport: live.report,
    admin,
    store,
    ...(scenarios.check ? { scenariosCheck: scenarios.check } : {}),
    guards,
    trustProxy: config.TRUST_PROXY,
    publicOrigins: config.GREETINGS_PUBLIC_URL ?? localOrigins(config.PORT),
    adminToken: config.ADMIN_TOKEN,
    awesomeAppUrl: config.AWESOME_APP_URL,
    logger,
    metrics,
    readiness,
  });
  return {
    app,
    store,
    guards,
    warmUp: () => greeter.current(),
    report: () => greeter.report(),
    close: async () => {
      live.close();
      await guards.close();
      await store.close();
    },
  };
}
