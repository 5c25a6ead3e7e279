import type { ArmCounts } from '../bandit/policy';

/**
 * Where the experiment's counters live. Implementations: Redis (shared by
 * every replica) and in-memory (one process, lost on exit).
 */
export interface BanditStore {
  readonly kind: 'redis' | 'memory';
  /** Impressions and likes of each variant (0 for a variant never seen). */
  counts<V extends string>(variants: readonly V[]): Promise<ArmCounts<V>[]>;
  /**
   * In one atomic step: count an impression of `variant` and remember the
   * single-use `impression` id for `ttlSeconds`. Returns the fresh counts.
   */
  recordImpression<V extends string>(
    variant: V,
    impression: string,
    ttlSeconds: number,
    variants: readonly V[],
  ): Promise<ArmCounts<V>[]>;
  /**
   * In one atomic step: consume `impression` and count a like for its variant.
   * `used` when it was already liked, `unknown` when it never existed or expired.
   */
  like(impression: string): Promise<LikeOutcome>;
  /** Resolves when the store answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type LikeOutcome =
  { status: 'liked'; variant: string } | { status: 'used' } | { status: 'unknown' };

/** The store could not be reached or did not answer in time. */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
}

/** How long a consumed impression is remembered, so a replay says "already liked". */
export const USED_MEMORY_SECONDS = 24 * 60 * 60;
