import { randomUUID } from 'node:crypto';
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
  /** Viewers per awesome-app process, as each last reported them to greetings. */
  viewers?: Record<string, number>;
}

/** How long to wait before opening the stream again after greetings refused it. */
const RETRY_MS = 1_000;
/** This process's count goes to greetings at most this often when it changes... */
const REPORT_MIN_MS = 250;
/** ...and this often anyway (greetings forgets a report after 30 s). */
const REPORT_EVERY_MS = 10_000;

/** The room's snapshot: greetings' own, how many watch (`live`: the whole room, every process), and whether greetings is reachable now. */
export type RoomSnapshot = Partial<UpstreamSnapshot> & {
  live: number;
  greetings: 'live' | 'connecting' | 'away';
};

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
 * `greetings: 'away'` meanwhile, keeping the last numbers. Until the first
 * answer after the first viewer arrives it is `connecting`, not `away`:
 * greetings is not known to be gone, only not asked yet.
 *
 * `live` is the whole room's: this process tells greetings how many watch
 * through it (`PUT /experiments/current/viewers/<its name>`, on a change and
 * every 10 s), greetings passes every process's report to every replica, and
 * the snapshot carries them back; the room is this process's own count now
 * plus the others' reports.
 */
export function createRelay({ greetingsUrl, maxConnections, logger, metrics }: RelayDeps): {
  handler: RequestHandler;
  drain(): void;
  close(): void;
} {
  let upstream: EventSource | undefined;
  let last: UpstreamSnapshot | undefined;
  let state: RoomSnapshot['greetings'] = 'connecting';
  let retry: NodeJS.Timeout | undefined;
  const source = `awesome-app-${randomUUID()}`;
  const others = () =>
    Object.entries(last?.viewers ?? {}).reduce(
      (n, [name, count]) => (name === source ? n : n + count),
      0,
    );
  const publish = () =>
    streams.publish({ ...last, live: streams.count + others(), greetings: state });

  // The report: the latest count, sent one at a time, at most every 250 ms.
  let reported = -1;
  let reportedAt = 0;
  let sending = false;
  let reportTimer: NodeJS.Timeout | undefined;
  const report = (force = false): void => {
    if (sending || reportTimer) return;
    const count = streams.count;
    if (!force && count === reported) return;
    const wait = reportedAt + REPORT_MIN_MS - Date.now();
    if (wait > 0) {
      reportTimer = setTimeout(() => {
        reportTimer = undefined;
        report(force);
      }, wait);
      reportTimer.unref();
      return;
    }
    sending = true;
    reportedAt = Date.now();
    fetch(`${greetingsUrl}/experiments/current/viewers/${source}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count }),
      signal: AbortSignal.timeout(2_000),
    })
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.ok) reported = count;
      })
      // Best effort: greetings away is told by the stream; the next change or tick tries again.
      .catch(() => undefined)
      .finally(() => {
        sending = false;
        if (streams.count !== reported) report();
      });
  };
  const ticker = setInterval(() => {
    if (streams.count > 0 || reported !== 0) report(true);
  }, REPORT_EVERY_MS);
  ticker.unref();

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
      report();
      if (count > 0) upstream ??= open();
      else {
        if (retry) clearTimeout(retry);
        upstream?.close();
        upstream = undefined;
        state = 'connecting'; // what the next first viewer is told until greetings answers
      }
      publish();
    },
  });

  return {
    handler: (req, res) => streams.handler(req, res),
    drain: () => streams.drain(),
    close() {
      clearInterval(ticker);
      if (reportTimer) clearTimeout(reportTimer);
      if (retry) clearTimeout(retry);
      streams.drain();
      upstream?.close();
      upstream = undefined;
    },
  };
}
