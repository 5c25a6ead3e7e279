import type { Metrics } from '@friendly-calculator/common';
import { createPolicy, type Policy } from '../bandit/policy';
import type { PhaseRecord } from '../experiment/phase';
import type { Counts, StoppingRule } from '../experiment/statistics';
import { phaseView, type PhaseView } from '../experiment/view';

/** A paused or shipped phase is re-read at most this often (a running one learns of changes at its next write). */
const REFRESH_MS = 500;
/** Statistics are worked out again at most this often while only impressions come in. */
const STATS_EVERY_MS = 250;

export interface Cached {
  record: PhaseRecord;
  policy: Policy;
  names: string[];
  loadedAt: number;
  view?: PhaseView;
  viewAt: number;
  /** Counts changed since `view` was worked out. */
  dirty: boolean;
}

export interface PhaseCacheDeps {
  /** Reads the current phase from the store (creating phase 1 if it has none). */
  read: () => Promise<PhaseRecord>;
  stoppingRule: StoppingRule;
  metrics: Metrics;
  now: () => number;
}

/**
 * The current phase, cached. A running phase's every write checks in the
 * store that the phase is still current and running (one atomic script), so
 * replicas agree on a change at their next write; a paused or shipped phase
 * is re-read at least every REFRESH_MS.
 */
export function createPhaseCache({ read, stoppingRule, metrics, now }: PhaseCacheDeps) {
  let cached: Cached | undefined;

  // One read at a time: a burst of requests after a change shares it.
  let loading: Promise<Cached> | undefined;
  const load = (): Promise<Cached> => {
    loading ??= reload().finally(() => {
      loading = undefined;
    });
    return loading;
  };
  const reload = async (): Promise<Cached> => {
    const record = await read();
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
  /** A Like counted here shows in the next view at once, not after STATS_EVERY_MS. */
  const countLike = (phaseNumber: number, variant: string) => {
    if (!cached) return;
    const i = cached.names.indexOf(variant);
    if (cached.record.phase === phaseNumber && i >= 0) cached.record.counts[i]!.liked++;
    cached.dirty = true;
    cached.viewAt = 0;
  };

  return {
    load,
    phase,
    view,
    setCounts,
    countLike,
    /** The last phase read, if any (for the fallback when the store is away). */
    last: () => cached,
    /** Forget the cached phase (after an admin action here). */
    invalidate: () => {
      cached = undefined;
    },
  };
}

export type PhaseCache = ReturnType<typeof createPhaseCache>;

/** The template of `name` in the cached phase, or `fallback`'s. */
export const templateOf = (c: Cached, name: string, fallback: string): string =>
  c.record.variants.find((v) => v.name === name)?.template ?? fallback;
