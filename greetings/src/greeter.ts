import { randomBytes } from 'node:crypto';
import type { Logger, Metrics } from '@friendly-calculator/common';
import { createPolicy, type Policy, type Strategy } from './bandit/policy';
import type { Random } from './bandit/random';
import { summary, type PhaseDefinition, type PhaseRecord } from './experiment/phase';
import type { Counts, StoppingRule } from './experiment/statistics';
import { render } from './experiment/variants';
import { phaseView, type PhaseView } from './experiment/view';
import {
  NoPhase,
  StoreUnavailable,
  type ExperimentStore,
  type ImpressionStatus,
  type LikeOutcome,
} from './store/experiment-store';

export interface Greeting {
  greeting: string;
  variant: string;
  /**
   * `explore` or `exploit` while the phase runs; `paused` (the control) and
   * `shipped` otherwise; `fallback` when the store cannot be reached.
   */
  strategy: Strategy | 'paused' | 'shipped' | 'fallback';
  /** Single-use id of this showing, for the Like; null when nothing can be liked. */
  impression: string | null;
  /** The current phase (as `GET /stats` says it, at most a moment old); absent on fallback. */
  experiment?: PhaseView;
}

export interface GreeterDeps {
  store: ExperimentStore;
  impressionTtlSeconds: number;
  stoppingRule: StoppingRule;
  /** The variant shown when the store cannot be reached and nothing is known yet. */
  fallback: { name: string; template: string };
  /** Phase 1, written to the store the first time it has no phase (by whichever replica is first). */
  initial: () => PhaseDefinition;
  logger: Logger;
  metrics: Metrics;
  random?: Random;
  now?: () => number;
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

/** A paused or shipped phase is re-read at most this often (a running one learns of changes at its next write). */
const REFRESH_MS = 500;
/** Statistics are worked out again at most this often while only impressions come in. */
const STATS_EVERY_MS = 250;

interface Cached {
  record: PhaseRecord;
  policy: Policy;
  names: string[];
  loadedAt: number;
  view?: PhaseView;
  viewAt: number;
  /** Counts changed since `view` was worked out. */
  dirty: boolean;
}

/**
 * The experiment as greetings runs it: choose a variant for each visitor
 * with the current phase's policy, record the impression, count Likes. The
 * current phase is cached; a running phase's every write checks in the
 * store that the phase is still current and running (one atomic script, one
 * round trip), so replicas agree on a change at their next write, and a
 * paused or shipped phase is re-read at least every REFRESH_MS.
 */
export function createGreeter(deps: GreeterDeps) {
  const { store, logger, metrics, stoppingRule } = deps;
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  let cached: Cached | undefined;

  const readCurrent = async (): Promise<PhaseRecord> => {
    try {
      return await store.current();
    } catch (error) {
      if (!(error instanceof NoPhase)) throw error;
      const definition = deps.initial();
      await store.initialize(definition, {
        at: definition.startedAt,
        action: 'initialize',
        actor: 'configuration',
        before: null,
        after: summary({ ...definition, state: 'running', shipped: null }),
      });
      return store.current();
    }
  };

  // One read at a time: a burst of requests after a change shares it.
  let loading: Promise<Cached> | undefined;
  const load = (): Promise<Cached> => {
    loading ??= reload().finally(() => {
      loading = undefined;
    });
    return loading;
  };
  const reload = async (): Promise<Cached> => {
    const record = await readCurrent();
    metrics.gauge('experiment.phase', record.phase);
    cached = {
      record,
      policy: createPolicy(record.policy, record.epsilon),
      names: record.variants.map((v) => v.name),
      loadedAt: now(),
      viewAt: 0,
      dirty: true,
    };
    return cached;
  };
  const phase = async (): Promise<Cached> =>
    cached && (cached.record.state === 'running' || now() - cached.loadedAt < REFRESH_MS)
      ? cached
      : load();

  /**
   * The phase's view: its counts and the statistics worked out from those
   * same counts, one snapshot. It is worked out again when counts changed, at
   * most every STATS_EVERY_MS (the statistics move by a hair per impression,
   * and cost about 0.1 ms, which would be a tenth of a page if paid on every
   * greeting); in between, the last snapshot is shown whole, "at most a moment
   * old", never fresh counts beside an interval of older ones.
   */
  const view = (c: Cached, fresh = false): PhaseView => {
    if (!c.view || (c.dirty && (fresh || now() - c.viewAt >= STATS_EVERY_MS))) {
      c.view = phaseView(c.record, stoppingRule);
      c.viewAt = now();
      c.dirty = false;
    }
    return c.view;
  };
  const setCounts = (c: Cached, counts: Counts[]) => {
    c.record.counts = counts;
    c.dirty = true;
  };

  const template = (c: Cached, name: string) =>
    c.record.variants.find((v) => v.name === name)?.template ?? deps.fallback.template;

  /**
   * A greeting for `name`. With `record` (a real showing that can be liked)
   * a running phase counts an impression; without it nothing is written.
   */
  async function greet(name: string, { record = true } = {}): Promise<Greeting> {
    try {
      for (let attempt = 0; ; attempt++) {
        const c = await phase();
        const { state, shipped } = c.record;
        if (state !== 'running') {
          const variant = state === 'shipped' && shipped ? shipped : c.names[0]!;
          return {
            greeting: render(template(c, variant), name),
            variant,
            strategy: state,
            impression: null,
            experiment: view(c),
          };
        }
        const arms = c.names.map((v, i) => ({
          variant: v,
          impressions: c.record.counts[i]!.shown,
          likes: c.record.counts[i]!.liked,
        }));
        const decision = c.policy.choose(arms, random);
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
          if (counts === 'stale') {
            // The phase changed under us: read it again and decide again, once.
            await load();
            if (attempt === 0) continue;
            throw new StoreUnavailable('the experiment changed twice during one greeting');
          }
          setCounts(c, counts);
          metrics.increment(`impressions.${decision.variant}`);
          metrics.increment(`strategy.${decision.strategy}`);
          logger.info(
            {
              phase: c.record.phase,
              variant: decision.variant,
              strategy: decision.strategy,
              counts: summarize(c),
            },
            'greeting chosen',
          );
        }
        return {
          greeting: render(template(c, decision.variant), name),
          variant: decision.variant,
          strategy: decision.strategy,
          impression,
          experiment: view(c),
        };
      }
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      // Degraded but friendly: the control (or what was shipped), no impression, nothing to like.
      const known = cached?.record;
      const variant =
        known?.state === 'shipped' && known.shipped
          ? known.shipped
          : (known?.variants[0] ?? deps.fallback).name;
      metrics.increment('strategy.fallback');
      metrics.increment('store.errors');
      logger.warn({ variant, strategy: 'fallback', err: error.message }, 'greeting chosen');
      const text = cached ? template(cached, variant) : deps.fallback.template;
      return { greeting: render(text, name), variant, strategy: 'fallback', impression: null };
    }
  }

  async function like(impression: string): Promise<LikeOutcome> {
    for (let attempt = 0; ; attempt++) {
      const c = await phase();
      const outcome = await store.like(impression, c.record.phase);
      if (outcome === 'stale') {
        await load();
        if (attempt === 0) continue;
        throw new StoreUnavailable('the experiment changed twice during one Like');
      }
      if (outcome.status === 'liked') {
        metrics.increment(`likes.${outcome.variant}`);
        logger.info({ phase: outcome.phase, variant: outcome.variant }, 'greeting liked');
        // The next view shows this Like at once, not after STATS_EVERY_MS.
        if (cached) {
          const i = cached.names.indexOf(outcome.variant);
          if (cached.record.phase === outcome.phase && i >= 0) cached.record.counts[i]!.liked++;
          cached.dirty = true;
          cached.viewAt = 0;
        }
      } else {
        metrics.increment(`likes_refused.${outcome.status}`);
      }
      return outcome;
    }
  }

  const impressionStatus = (impression: string): Promise<ImpressionStatus> =>
    store.impressionStatus(impression);

  /** The current phase record, read from the store now (phase 1 is created if there is none). */
  const currentRecord = async (): Promise<PhaseRecord> => (await load()).record;

  /** The current phase, read from the store now. */
  async function current(): Promise<PhaseView> {
    return view(await load(), true);
  }

  /** Every phase, newest first, read from the store now. */
  async function experiments(): Promise<PhaseView[]> {
    await load(); // creates phase 1 if the store has none
    const all = await store.phases();
    return all.map((p) => phaseView(p, stoppingRule));
  }

  /**
   * The current phase's numbers as StatsD gauges, for the dashboard's
   * "current phase" panels: `experiment.phase`, and per variant
   * `experiment.current.<variant>.shown`, `.liked`, `.like_rate` (0 to 1) and
   * `.p_best` (0 to 1). server.ts calls this every second. The phase is read
   * from the store each time, so every replica sends the same totals (gauges:
   * the last one wins, nothing adds up) and an idle replica is not stale.
   * StatsD is told to forget a gauge that is not sent (`deleteGauges`,
   * graphite/statsd-udp.js), so a variant of an ended phase, or a greetings
   * that cannot reach its store, shows as no data rather than as its last value.
   */
  async function report(): Promise<void> {
    let c: Cached;
    try {
      c = await load();
    } catch (error) {
      if (error instanceof StoreUnavailable) return;
      throw error;
    }
    // load() has sent experiment.phase (every reload does).
    const v = view(c, true);
    for (const variant of v.variants) {
      const prefix = `experiment.current.${variant.name}`;
      metrics.gauge(`${prefix}.shown`, variant.shown);
      metrics.gauge(`${prefix}.liked`, variant.liked);
      metrics.gauge(`${prefix}.like_rate`, variant.likeRate);
      metrics.gauge(`${prefix}.p_best`, variant.pBest);
    }
  }

  /** Forget the cached phase (after an admin action here). */
  const invalidate = () => {
    cached = undefined;
  };

  return {
    greet,
    like,
    impressionStatus,
    current,
    currentRecord,
    experiments,
    invalidate,
    report,
  };
}

export type Greeter = ReturnType<typeof createGreeter>;

function summarize(c: Cached) {
  return Object.fromEntries(
    c.names.map((name, i) => [
      name,
      { shown: c.record.counts[i]!.shown, liked: c.record.counts[i]!.liked },
    ]),
  );
}
