import { randomBytes } from 'node:crypto';
import type { Logger, Metrics } from '@friendly-calculator/common';
import { bestVariant, likeRate, type ArmCounts, type Policy, type Strategy } from './bandit/policy';
import type { Random } from './bandit/random';
import { render, type Variant } from './bandit/variants';
import { StoreUnavailable, type BanditStore, type LikeOutcome } from './store/bandit-store';

export interface Greeting {
  greeting: string;
  variant: Variant;
  strategy: Strategy | 'fallback';
  /** Single-use id of this showing, for the Like; null when the store is down. */
  impression: string | null;
  /**
   * The experiment right after this impression (as `GET /stats` would say),
   * so a page can chart it without a second call; absent on fallback.
   */
  experiment?: Stats;
}

export interface Stats {
  epsilon: number;
  policy: string;
  best: Variant | null;
  variants: { variant: Variant; impressions: number; likes: number; likeRate: number }[];
}

export interface GreeterDeps {
  store: BanditStore;
  policy: Policy;
  variants: readonly Variant[];
  epsilon: number;
  impressionTtlSeconds: number;
  logger: Logger;
  metrics: Metrics;
  random?: Random;
}

// Random bytes are drawn from the CSPRNG 4 KiB at a time and handed out 16
// at a time (as Node does for randomUUID): one call into OpenSSL per 256 ids.
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = POOL_SIZE;

/** 128 random bits, URL-safe: unguessable, so nobody can like a greeting they were not shown. */
export function newImpressionId(): string {
  if (offset + 16 > pool.length) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + 16);
  offset += 16;
  return id;
}
export const IMPRESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * The experiment: choose a variant with the policy, record the impression,
 * count likes. Decisions use the counts returned by the previous impression
 * write (at most one request old), so a greeting costs one Redis round trip.
 */
export function createGreeter(deps: GreeterDeps) {
  const { store, policy, variants, logger, metrics } = deps;
  const random = deps.random ?? Math.random;
  let snapshot: ArmCounts<Variant>[] | undefined;

  async function greet(name: string): Promise<Greeting> {
    try {
      snapshot ??= await store.counts(variants);
      const decision = policy.choose(snapshot, random);
      const impression = newImpressionId();
      const counts = await store.recordImpression(
        decision.variant,
        impression,
        deps.impressionTtlSeconds,
        variants,
      );
      snapshot = counts;
      metrics.increment(`impressions.${decision.variant}`);
      metrics.increment(`strategy.${decision.strategy}`);
      logger.info(
        { variant: decision.variant, strategy: decision.strategy, counts: summarize(counts) },
        'greeting chosen',
      );
      return {
        greeting: render(decision.variant, name),
        ...decision,
        impression,
        experiment: toStats(counts),
      };
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      // Degraded but friendly: the default greeting, no impression, nothing to like.
      const variant = variants[0]!;
      metrics.increment('strategy.fallback');
      metrics.increment('store.errors');
      logger.warn({ variant, strategy: 'fallback', err: error.message }, 'greeting chosen');
      return { greeting: render(variant, name), variant, strategy: 'fallback', impression: null };
    }
  }

  async function like(impression: string): Promise<LikeOutcome> {
    const outcome = await store.like(impression);
    if (outcome.status === 'liked') {
      metrics.increment(`likes.${outcome.variant}`);
      logger.info({ variant: outcome.variant }, 'greeting liked');
    }
    return outcome;
  }

  const toStats = (counts: ArmCounts<Variant>[]): Stats => ({
    epsilon: deps.epsilon,
    policy: policy.name,
    best: bestVariant(counts),
    variants: counts.map((c) => ({ ...c, likeRate: likeRate(c) })),
  });

  async function stats(): Promise<Stats> {
    return toStats(await store.counts(variants));
  }

  return { greet, like, stats };
}

export type Greeter = ReturnType<typeof createGreeter>;

function summarize(counts: readonly ArmCounts[]) {
  return Object.fromEntries(
    counts.map((c) => [c.variant, { impressions: c.impressions, likes: c.likes }]),
  );
}
