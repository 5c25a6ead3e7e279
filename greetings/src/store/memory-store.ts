import type { ArmCounts } from '../bandit/policy';
import { USED_MEMORY_SECONDS, type BanditStore, type LikeOutcome } from './bandit-store';

interface Pending {
  variant: string;
  expiresAt: number;
}

/**
 * Counters in this process's memory: fine for a demo on one machine, lost on
 * exit, and wrong for several replicas (each would count on its own).
 */
export function createMemoryStore(now: () => number = Date.now): BanditStore {
  const impressions = new Map<string, number>();
  const likes = new Map<string, number>();
  // Insertion order is expiry order (one TTL for all), so pruning pops from the front.
  const pending = new Map<string, Pending>();
  const used = new Map<string, number>();

  const prune = (map: Map<string, { expiresAt: number } | number>) => {
    const t = now();
    for (const [key, value] of map) {
      const expiresAt = typeof value === 'number' ? value : value.expiresAt;
      if (expiresAt > t) break;
      map.delete(key);
    }
  };

  const counts = <V extends string>(variants: readonly V[]): ArmCounts<V>[] =>
    variants.map((variant) => ({
      variant,
      impressions: impressions.get(variant) ?? 0,
      likes: likes.get(variant) ?? 0,
    }));

  return {
    kind: 'memory',
    counts: (variants) => Promise.resolve(counts(variants)),
    recordImpression(variant, impression, ttlSeconds, variants) {
      prune(pending);
      impressions.set(variant, (impressions.get(variant) ?? 0) + 1);
      pending.set(impression, { variant, expiresAt: now() + ttlSeconds * 1000 });
      return Promise.resolve(counts(variants));
    },
    like(impression): Promise<LikeOutcome> {
      prune(used);
      const entry = pending.get(impression);
      if (entry && entry.expiresAt > now()) {
        pending.delete(impression);
        used.set(impression, now() + USED_MEMORY_SECONDS * 1000);
        likes.set(entry.variant, (likes.get(entry.variant) ?? 0) + 1);
        return Promise.resolve({ status: 'liked', variant: entry.variant });
      }
      return Promise.resolve(used.has(impression) ? { status: 'used' } : { status: 'unknown' });
    },
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
