import {
  createLiveStreams,
  LIVE_MIN_INTERVAL_MS,
  type Logger,
  type Metrics,
  type Readiness,
} from '@friendly-calculator/common';
import type { RequestHandler } from 'express';
import { StoreUnavailable, type ExperimentChange, type ExperimentStore } from '../experiment/store';
import type { PhaseView } from '../experiment/view';

/** One of the bandit's latest decisions, as the projector lists them. */
export interface Decision {
  name: string;
  variant: string;
  strategy: string;
  at: string;
}

/** What a live stream carries: the current phase (`GET /experiments/current`'s shape) and the latest decisions. */
export type LiveSnapshot = PhaseView & { decisions: Decision[] };

/** Decisions kept for the projector, newest first. */
export const DECISIONS_KEPT = 8;
/** With viewers, the phase is read again at least this often, in case a change was lost on the way. */
const REFRESH_MS = 5_000;

export interface LiveFeedDeps {
  store: ExperimentStore;
  /** The current phase, read from the store now. */
  current: () => Promise<PhaseView>;
  publish: (snapshot: LiveSnapshot) => void;
  /** Whether anyone watches (no viewers: nothing is read). */
  watched: () => boolean;
  logger: Logger;
}

/**
 * Turns every replica's changes (the store's `subscribe`) into whole
 * snapshots for the live streams: on a change the current phase is read
 * from the store, one read at a time and at most 4 a second however many
 * changes arrive, so every replica's streams show every replica's Likes.
 */
export function createLiveFeed({ store, current, publish, watched, logger }: LiveFeedDeps) {
  const decisions: Decision[] = [];
  let reading = false;
  let again = false;
  let lastRead = 0;
  let timer: NodeJS.Timeout | undefined;

  const read = async () => {
    reading = true;
    again = false;
    lastRead = Date.now();
    try {
      publish({ ...(await current()), decisions: [...decisions] });
    } catch (error) {
      // The store is away: the streams keep the last snapshot; `resync` reads again.
      if (!(error instanceof StoreUnavailable)) logger.warn({ err: error }, 'live snapshot failed');
    } finally {
      reading = false;
      if (again) changed();
    }
  };
  /** Read soon: now if the last read was long enough ago, else at its turn. */
  const changed = () => {
    if (!watched()) return;
    if (reading) {
      again = true;
      return;
    }
    if (timer) return;
    const wait = Math.max(0, lastRead + LIVE_MIN_INTERVAL_MS - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      void read();
    }, wait);
  };

  const unsubscribe = store.subscribe((change: ExperimentChange) => {
    if (change.kind === 'shown') {
      decisions.unshift({
        name: change.name,
        variant: change.variant,
        strategy: change.strategy,
        at: change.at,
      });
      decisions.length = Math.min(decisions.length, DECISIONS_KEPT);
    }
    changed();
  });
  const refresh = setInterval(changed, REFRESH_MS);
  refresh.unref();

  return {
    /** Someone started watching: read now so they see current numbers. */
    changed,
    close() {
      unsubscribe();
      clearInterval(refresh);
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * `GET /experiments/current/events` (presenter mode) as compose.ts wires it: common's live
 * streams fed by the store's changes, drained with the process.
 */
export function createLive(
  config: { LIVE_MAX_CONNECTIONS: number },
  deps: {
    store: ExperimentStore;
    greeter: { current: () => Promise<PhaseView> };
    logger: Logger;
    metrics: Metrics;
    readiness?: Readiness | undefined;
  },
): { handler: RequestHandler; close(): void } {
  const streams = createLiveStreams<LiveSnapshot>({
    event: 'experiment',
    maxConnections: config.LIVE_MAX_CONNECTIONS,
    logger: deps.logger,
    metrics: deps.metrics,
    // A new viewer: read now, so the next event is current.
    onCount: () => feed.changed(),
  });
  const feed = createLiveFeed({
    store: deps.store,
    current: () => deps.greeter.current(),
    publish: (snapshot) => streams.publish(snapshot),
    watched: () => streams.count > 0,
    logger: deps.logger,
  });
  deps.readiness?.onDrain?.(() => streams.drain());
  return {
    handler: streams.handler,
    close() {
      feed.close();
      streams.drain();
    },
  };
}
