import { createLiveStreams, type Logger, type Metrics } from '@friendly-calculator/common';
import { EventSource } from 'eventsource';
import type { RequestHandler } from 'express';

/** What greetings' live stream carries (its `/experiments/current` shape and the latest decisions), as far as the projector reads it. */
export interface UpstreamSnapshot {
  phase: number;
  state: string;
  variants: {
    name: string;
    shown: number;
    liked: number;
    likeRate: number;
    pBest: number;
    interval: [number, number];
  }[];
  best: string | null;
  decisions: { name: string; variant: string; strategy: string; at: string }[];
}

/** How long to wait before opening the stream again after greetings refused it. */
const RETRY_MS = 1_000;

/** The room's snapshot: greetings' own, how many watch (`live`), and whether greetings is reachable now. */
export type RoomSnapshot = Partial<UpstreamSnapshot> & { live: number; greetings: 'live' | 'away' };

export interface RelayDeps {
  /** GREETINGS_URL: the stream is `<it>/experiments/current/events`. */
  greetingsUrl: string;
  maxConnections: number;
  logger: Logger;
  metrics: Metrics;
}

/**
 * `/present/events`: the room's streams (common's live.ts) fed by ONE
 * stream from greetings per awesome-app process, opened while anyone
 * watches. greetings sends every replica's changes; EventSource reconnects
 * by itself when greetings restarts (its `retry: 1000`), and the room is told
 * `greetings: 'away'` meanwhile, keeping the last numbers.
 */
export function createRelay({ greetingsUrl, maxConnections, logger, metrics }: RelayDeps): {
  handler: RequestHandler;
  drain(): void;
  close(): void;
} {
  let upstream: EventSource | undefined;
  let last: UpstreamSnapshot | undefined;
  let state: RoomSnapshot['greetings'] = 'away';
  let retry: NodeJS.Timeout | undefined;
  const publish = () => streams.publish({ ...last, live: streams.count, greetings: state });

  const open = () => {
    const source = new EventSource(`${greetingsUrl}/experiments/current/events`);
    source.addEventListener('experiment', (event) => {
      try {
        last = JSON.parse(String(event.data)) as UpstreamSnapshot;
      } catch {
        return;
      }
      state = 'live';
      publish();
    });
    source.addEventListener('error', () => {
      if (state === 'live') logger.warn('live stream from greetings lost: reconnecting');
      state = 'away';
      publish();
      // EventSource retries a dropped connection by itself, but gives up on an
      // answer that is not 200 (a draining or full greetings says 503): try again.
      if (source.readyState === EventSource.CLOSED && upstream === source) {
        retry = setTimeout(() => {
          retry = undefined;
          if (upstream === source) upstream = open();
        }, RETRY_MS);
      }
    });
    return source;
  };

  const streams = createLiveStreams<RoomSnapshot>({
    event: 'experiment',
    maxConnections,
    logger,
    metrics,
    onCount: (count) => {
      if (count > 0) upstream ??= open();
      else {
        if (retry) clearTimeout(retry);
        upstream?.close();
        upstream = undefined;
        state = 'away';
      }
      publish();
    },
  });

  return {
    handler: (req, res) => streams.handler(req, res),
    drain: () => streams.drain(),
    close() {
      if (retry) clearTimeout(retry);
      streams.drain();
      upstream?.close();
      upstream = undefined;
    },
  };
}
