import type { Logger, Metrics } from '@friendly-calculator/common';
import type { Strategy } from '../bandit/policy';
import type { Random } from '../bandit/random';
import { StoreUnavailable, type ExperimentStore } from '../experiment/store';
import { render } from '../experiment/variants';
import type { PhaseView } from '../experiment/view';
import { newImpressionId } from './impression-id';
import { templateOf, type Cached, type PhaseCache } from './phase-cache';

export interface Greeting {
  greeting: string;
  variant: string;
  /**
   * `explore` or `exploit` while the phase runs; `paused` (the control) and
   * `shipped` otherwise; `fallback` when the store cannot be reached.
   */
  strategy: Strategy | 'paused' | 'shipped' | 'fallback';
  /** `exploit` only: several greetings shared the best like rate and this one was picked at random among them. */
  tie?: true;
  /** Single-use id of this showing, for the Like; null when nothing can be liked. */
  impression: string | null;
  /** The current phase (as `GET /stats` says it, at most a moment old); absent on fallback. */
  experiment?: PhaseView;
}

export interface GreetDeps {
  store: ExperimentStore;
  cache: PhaseCache;
  impressionTtlSeconds: number;
  /** The variant shown when the store cannot be reached and nothing is known yet. */
  fallback: { name: string; template: string };
  logger: Logger;
  metrics: Metrics;
  random: Random;
}

/**
 * `greet(name)`: a greeting with the current phase's policy. With `record`
 * (a real showing that can be liked) a running phase counts an impression;
 * without it nothing is written. When the store is away: the control (or
 * what was shipped), no impression, nothing to like.
 */
export function createGreet(deps: GreetDeps) {
  const { cache, logger, metrics } = deps;
  const text = (c: Cached, variant: string, name: string) =>
    render(templateOf(c, variant, deps.fallback.template), name);

  function fallback(name: string, error: StoreUnavailable): Greeting {
    const c = cache.last();
    const known = c?.record;
    const variant =
      known?.state === 'shipped' && known.shipped
        ? known.shipped
        : (known?.variants[0] ?? deps.fallback).name;
    metrics.increment('strategy.fallback');
    metrics.increment('store.errors');
    logger.warn({ variant, strategy: 'fallback', err: error.message }, 'greeting chosen');
    const template = c ? templateOf(c, variant, deps.fallback.template) : deps.fallback.template;
    return { greeting: render(template, name), variant, strategy: 'fallback', impression: null };
  }

  return async function greet(name: string, { record = true } = {}): Promise<Greeting> {
    try {
      for (let attempt = 0; ; attempt++) {
        const c = await cache.phase();
        const { state, shipped } = c.record;
        if (state !== 'running') {
          const variant = state === 'shipped' && shipped ? shipped : c.names[0]!;
          const experiment = cache.view(c);
          return {
            greeting: text(c, variant, name),
            variant,
            strategy: state,
            impression: null,
            experiment,
          };
        }
        const greeting = await choose(deps, c, name, record);
        if (greeting) return greeting;
        // The phase changed under us: read it again and decide again, once.
        await cache.load();
        if (attempt > 0)
          throw new StoreUnavailable('the experiment changed twice during one greeting');
      }
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      return fallback(name, error);
    }
  };
}

/** The one impression of a running phase; null when the phase changed under us. */
async function choose(
  deps: GreetDeps,
  c: Cached,
  name: string,
  record: boolean,
): Promise<Greeting | null> {
  const { store, cache, logger, metrics } = deps;
  const arms = c.names.map((v, i) => ({
    variant: v,
    impressions: c.record.counts[i]!.shown,
    likes: c.record.counts[i]!.liked,
  }));
  const decision = c.policy.choose(arms, deps.random);
  let impression: string | null = null;
  if (record) {
    impression = newImpressionId();
    const counts = await store.recordImpression(
      c.record.phase,
      c.names,
      decision.variant,
      impression,
      deps.impressionTtlSeconds,
    );
    if (counts === 'stale') return null;
    cache.setCounts(c, counts);
    // The chart beside this greeting must not say it was never shown: a view
    // from before its first showing is worked out again now (else it may be
    // up to STATS_EVERY_MS old, "a moment old").
    const index = c.names.indexOf(decision.variant);
    if (c.view && c.view.variants[index]?.shown === 0) cache.view(c, true);
    metrics.increment(`impressions.${decision.variant}`);
    metrics.increment(`strategy.${decision.strategy}`);
    store.announce({
      kind: 'shown',
      phase: c.record.phase,
      variant: decision.variant,
      strategy: decision.strategy,
      name,
      at: new Date().toISOString(),
    });
    logger.info(
      {
        phase: c.record.phase,
        variant: decision.variant,
        strategy: decision.strategy,
        ...(decision.tie ? { tie: true } : {}),
        counts: summarize(c),
      },
      'greeting chosen',
    );
  }
  return {
    greeting: render(templateOf(c, decision.variant, deps.fallback.template), name),
    variant: decision.variant,
    strategy: decision.strategy,
    ...(decision.tie ? { tie: true as const } : {}),
    impression,
    experiment: cache.view(c),
  };
}

function summarize(c: Cached) {
  return Object.fromEntries(
    c.names.map((name, i) => [
      name,
      { shown: c.record.counts[i]!.shown, liked: c.record.counts[i]!.liked },
    ]),
  );
}
