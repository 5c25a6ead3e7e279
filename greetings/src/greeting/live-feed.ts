import {
  createLiveStreams,
  LIVE_MIN_INTERVAL_MS,
  type Logger,
  type Metrics,
  type Readiness,
} from '@friendly-calculator/common';
import { HttpError } from '@friendly-calculator/common';
import express, { type RequestHandler } from 'express';
import {
  MAX_VIEWERS_PER_SOURCE,
  StoreUnavailable,
  VIEWERS_SOURCE,
  type ExperimentChange,
  type ExperimentStore,
} from '../experiment/store';
import type { PhaseView } from '../experiment/view';

/** One of the bandit's latest decisions, as the projector lists them. */
export interface Decision {
  name: string;
  variant: string;
  strategy: string;
  at: string;
}

/**
 * What a live stream carries: the current phase (`GET /experiments/current`'s
 * shape), the latest decisions, and `viewers`: how many watch through each
 * awesome-app process (its last report, younger than VIEWERS_TTL_MS), so
 * each can show the whole room.
 */
export type LiveSnapshot = PhaseView & { decisions: Decision[]; viewers: Record<string, number> };

/** Decisions kept for the projector, newest first. */
export const DECISIONS_KEPT = 8;
/** A viewers report counts this long: awesome-app repeats its own every 10 s, so a process that died drops out. */
export const VIEWERS_TTL_MS = 30_000;
/** At most this many awesome-app processes are counted (a bound, whoever reports). */
export const VIEWERS_SOURCES_KEPT = 100;
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
  const reports = new Map<string, { count: number; seenAt: number }>();
  /** The fresh reports (the old ones forgotten). */
  const viewers = (): Record<string, number> => {
    const now = Date.now();
    const fresh: Record<string, number> = {};
    for (const [source, report] of reports) {
      if (now - report.seenAt > VIEWERS_TTL_MS) reports.delete(source);
      else fresh[source] = report.count;
    }
    return fresh;
  };
  let reading = false;
  let again = false;
  let lastRead = 0;
  let timer: NodeJS.Timeout | undefined;

  const read = async () => {
    reading = true;
    again = false;
    lastRead = Date.now();
    try {
      publish({ ...(await current()), decisions: [...decisions], viewers: viewers() });
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
    if (change.kind === 'viewers') {
      viewers(); // forget the stale ones first, so the bound counts live processes
      if (reports.has(change.source) || reports.size < VIEWERS_SOURCES_KEPT)
        reports.set(change.source, { count: change.count, seenAt: Date.now() });
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
): { handler: RequestHandler; report: RequestHandler[]; close(): void } {
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
    report: viewersReport(deps.store),
    close() {
      feed.close();
      streams.drain();
    },
  };
}

/**
 * `PUT /experiments/current/viewers/{source}` `{"count": n}`: an awesome-app
 * process says how many watch the room through it (on every change, and
 * every 10 s). The report goes to every replica as a change (the store's
 * announce: Redis pub/sub), so every replica's streams carry every
 * process's count; nothing is stored. 204; 400 for a bad name or count.
 */
export function viewersReport(store: ExperimentStore): RequestHandler[] {
  return [
    express.json({ limit: '1kb' }),
    (req, res, next) => {
      const source = String(req.params.source);
      const count = (req.body as { count?: unknown } | undefined)?.count;
      if (!VIEWERS_SOURCE.test(source))
        return next(
          new HttpError(400, 'The source must be 1 to 64 letters, digits or . _ : - characters.', {
            reason: 'bad_request',
          }),
        );
      if (
        !Number.isInteger(count) ||
        (count as number) < 0 ||
        (count as number) > MAX_VIEWERS_PER_SOURCE
      )
        return next(
          new HttpError(
            400,
            `The body must be {"count": n}, n a whole number from 0 to ${MAX_VIEWERS_PER_SOURCE}.`,
            { reason: 'bad_request' },
          ),
        );
      store.announce({
        kind: 'viewers',
        source,
        count: count as number,
        at: new Date().toISOString(),
      });
      res.status(204).end();
    },
  ];
}
