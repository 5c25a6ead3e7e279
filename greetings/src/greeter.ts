import type { Logger, Metrics } from '@friendly-calculator/common';
import { LRUCache } from 'lru-cache';
import type { Random } from './bandit/random';
import type { PhaseDefinition, PhaseRecord } from './experiment/phase';
import type { StoppingRule } from './experiment/statistics';
import { NoPhase, StoreUnavailable, type ExperimentStore, type Page } from './experiment/store';
import { phaseView, type PhaseView } from './experiment/view';
import { createGreet } from './greeting/greet';
import { createLike } from './greeting/like';
import { createPhaseCache } from './greeting/phase-cache';
import { createPhaseReader } from './greeting/store-reset';

export type { Greeting } from './greeting/greet';

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

/** One page of phases, newest first, and the `before` of the next (older) page. */
export interface PhasesPage {
  experiments: PhaseView[];
  older: number | null;
}

/**
 * The experiment as greetings runs it: choose a variant for each visitor
 * with the current phase's policy (greeting/greet.ts), record the impression,
 * count Likes (greeting/like.ts), on the cached current phase
 * (greeting/phase-cache.ts) read through greeting/store-reset.ts, which
 * notices a store that lost its phases.
 */
export function createGreeter(deps: GreeterDeps) {
  const { store, logger, metrics, stoppingRule } = deps;
  const now = deps.now ?? Date.now;
  const read = createPhaseReader({ store, initial: deps.initial, logger, metrics });
  const cache = createPhaseCache({ read, stoppingRule, metrics, now });

  /** The current phase record, read from the store now (phase 1 is created if there is none). */
  const currentRecord = async (): Promise<PhaseRecord> => (await cache.load()).record;

  /**
   * Views of the phases a history page showed lately. An ended phase never
   * changes, so its view (statistics: about 0.1 ms each) is worked out once,
   * not again for every page that shows it. A view is reused only for the
   * very record it was made from (`stamp`), so a store that was emptied and
   * numbered its phases anew never gets an old phase's view.
   */
  const views = new LRUCache<number, { stamp: string; view: PhaseView }>({ max: 1024 });
  const viewOf = (record: PhaseRecord): PhaseView => {
    const { phase, ...rest } = record;
    const stamp = JSON.stringify(rest);
    const kept = views.get(phase);
    if (kept?.stamp === stamp) return kept.view;
    const view = phaseView(record, stoppingRule);
    views.set(phase, { stamp, view });
    return view;
  };

  /** One page of phases, newest first: its size never depends on how many phases there were. */
  async function experiments(page: Page): Promise<PhasesPage> {
    await cache.phase(); // creates phase 1 if the store has none
    let records;
    try {
      records = await store.phases(page);
    } catch (error) {
      if (!(error instanceof NoPhase)) throw error;
      await cache.load(); // the store was emptied: phase 1 again (greeting/store-reset.ts)
      records = await store.phases(page);
    }
    const last = records[records.length - 1];
    return {
      experiments: records.map(viewOf),
      older: last && last.phase > 1 && records.length === page.limit ? last.phase : null,
    };
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
    let c;
    try {
      c = await cache.load();
    } catch (error) {
      if (error instanceof StoreUnavailable) return;
      throw error;
    }
    // load() has sent experiment.phase (every reload does).
    for (const variant of cache.view(c, true).variants) {
      const prefix = `experiment.current.${variant.name}`;
      metrics.gauge(`${prefix}.shown`, variant.shown);
      metrics.gauge(`${prefix}.liked`, variant.liked);
      metrics.gauge(`${prefix}.like_rate`, variant.likeRate);
      metrics.gauge(`${prefix}.p_best`, variant.pBest);
    }
  }

  return {
    greet: createGreet({
      store,
      cache,
      impressionTtlSeconds: deps.impressionTtlSeconds,
      fallback: deps.fallback,
      logger,
      metrics,
      random: deps.random ?? Math.random,
    }),
    like: createLike({ store, cache, logger, metrics }),
    impressionStatus: (impression: string) => store.impressionStatus(impression),
    /** The current phase, read from the store now. */
    current: async (): Promise<PhaseView> => cache.view(await cache.load(), true),
    currentRecord,
    experiments,
    /** After an admin action here: forget the cached phase, and tell every replica (the live view). */
    changed(phase: number) {
      cache.invalidate();
      store.announce({ kind: 'phase', phase, at: new Date(now()).toISOString() });
    },
    report,
  };
}

export type Greeter = ReturnType<typeof createGreeter>;
