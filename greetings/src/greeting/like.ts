import type { Logger, Metrics } from '@friendly-calculator/common';
import { StoreUnavailable, type ExperimentStore, type LikeOutcome } from '../experiment/store';
import type { PhaseCache } from './phase-cache';

export interface LikeDeps {
  store: ExperimentStore;
  cache: PhaseCache;
  logger: Logger;
  metrics: Metrics;
}

/** `like(impression)`: one Like for the variant shown, once, while its phase runs. */
export function createLike({ store, cache, logger, metrics }: LikeDeps) {
  return async function like(impression: string): Promise<LikeOutcome> {
    for (let attempt = 0; ; attempt++) {
      const c = await cache.phase();
      const outcome = await store.like(impression, c.record.phase);
      if (outcome === 'stale') {
        await cache.load();
        if (attempt === 0) continue;
        throw new StoreUnavailable('the experiment changed twice during one Like');
      }
      if (outcome.status === 'liked') {
        metrics.increment(`likes.${outcome.variant}`);
        logger.info({ phase: outcome.phase, variant: outcome.variant }, 'greeting liked');
        cache.countLike(outcome.phase, outcome.variant);
        store.announce({
          kind: 'liked',
          phase: outcome.phase,
          variant: outcome.variant,
          at: new Date().toISOString(),
        });
      } else {
        metrics.increment(`likes_refused.${outcome.status}`);
      }
      return outcome;
    }
  };
}
