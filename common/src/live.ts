import type { IncomingMessage, ServerResponse } from 'node:http';
import { Session } from 'better-sse';
import type { Logger } from 'pino';
import type { Metrics } from './metrics';

/** At most one event per stream this often: 4 a second, however fast things change. */
export const LIVE_MIN_INTERVAL_MS = 250;
/** A comment line this often keeps proxies and load balancers (idle cut-off often 60 s) from dropping a quiet stream. */
export const LIVE_HEARTBEAT_MS = 15_000;
/** How long a browser waits before it reconnects (the stream's `retry:` field). */
export const LIVE_RETRY_MS = 1_000;

export interface LiveStreamsOptions {
  /** The event's name (`experiment`). */
  event: string;
  /** LIVE_MAX_CONNECTIONS: more open streams than this in this process → 503. */
  maxConnections: number;
  logger: Logger;
  metrics: Metrics;
  /** The StatsD names: `<prefix>.viewers` (gauge, every second) and `<prefix>.events` (counter). */
  metricPrefix?: string;
  /** Called whenever the number of open streams changes (e.g. to publish it). */
  onCount?: (count: number) => void;
  minIntervalMs?: number;
  heartbeatMs?: number;
}

export interface LiveStreams<T> {
  /** The route: opens a `text/event-stream` that gets the latest snapshot at once, then every newer one. */
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The whole snapshot, never a delta: each stream gets the newest, at most every 250 ms. */
  publish(snapshot: T): void;
  /** Open streams now. */
  readonly count: number;
  /** Ends every stream at once and refuses new ones (SIGTERM: clients reconnect elsewhere). */
  drain(): void;
}

interface Viewer {
  session: Session;
  res: ServerResponse;
  /** The version it was sent last, and when. */
  version: number;
  sentAt: number;
}

/**
 * The live streams of one process (presenter mode): connect, heartbeat,
 * cap, coalescing and the drain, and nothing else; callers hand it whole
 * snapshots with `publish`. Server-Sent Events by better-sse: it writes the
 * event-stream format (fields, multi-line data, `retry:`), the heartbeat
 * comment and the connection's head for Node's response, and notices a
 * client gone; this module keeps the rules of the contract around it.
 */
export function createLiveStreams<T>(options: LiveStreamsOptions): LiveStreams<T> {
  const {
    event,
    maxConnections,
    logger,
    metrics,
    metricPrefix = 'live',
    minIntervalMs = LIVE_MIN_INTERVAL_MS,
    heartbeatMs = LIVE_HEARTBEAT_MS,
  } = options;
  const viewers = new Set<Viewer>();
  let latest: { version: number; data: string } | undefined;
  let version = 0;
  let draining = false;
  let timer: NodeJS.Timeout | undefined;

  const counted = () => {
    metrics.gauge(`${metricPrefix}.viewers`, viewers.size);
    options.onCount?.(viewers.size);
  };
  // StatsD forgets a gauge not sent since its last flush: say the number every second.
  const gauges = setInterval(() => metrics.gauge(`${metricPrefix}.viewers`, viewers.size), 1000);
  gauges.unref();

  const send = (viewer: Viewer, now: number) => {
    if (!latest || !viewer.session.isConnected) return;
    viewer.session.push(latest.data, event);
    viewer.version = latest.version;
    viewer.sentAt = now;
  };

  /** Every stream behind the latest that may be sent to now gets it; the others at their turn. */
  const flush = () => {
    timer = undefined;
    if (!latest) return;
    const now = Date.now();
    let sent = 0;
    let wait = Infinity;
    for (const viewer of viewers) {
      if (viewer.version === latest.version || !viewer.session.isConnected) continue;
      const due = viewer.sentAt + minIntervalMs - now;
      if (due <= 0) {
        send(viewer, now);
        sent++;
      } else wait = Math.min(wait, due);
    }
    if (sent > 0) metrics.increment(`${metricPrefix}.events`, sent);
    if (wait !== Infinity) timer = setTimeout(flush, wait);
  };
  const schedule = () => {
    timer ??= setTimeout(flush, 0);
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (draining || viewers.size >= maxConnections) {
      metrics.increment(`${metricPrefix}.refused`);
      res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '5' });
      res.end(
        JSON.stringify({
          error: draining
            ? 'This process is shutting down: connect again (another replica will answer).'
            : `Too many live viewers on this process (at most ${maxConnections}, LIVE_MAX_CONNECTIONS): try again later.`,
          status: 503,
        }),
      );
      return;
    }
    const session = new Session(req, res, {
      keepAlive: heartbeatMs,
      retry: LIVE_RETRY_MS,
      // Snapshots are serialized once per publish, not once per stream.
      serializer: (data) => String(data),
      headers: {
        // Exactly the contract's: never stored, never transformed (compressed) on the way.
        'Cache-Control': 'no-cache, no-transform',
        // nginx and friends: pass each event on at once instead of buffering.
        'X-Accel-Buffering': 'no',
      },
    });
    const viewer: Viewer = { session, res, version: -1, sentAt: 0 };
    viewers.add(viewer);
    counted();
    session.once('connected', () => {
      // At once on connect: the current snapshot, so a reconnect costs nothing.
      send(viewer, Date.now());
      if (latest) metrics.increment(`${metricPrefix}.events`);
    });
    session.once('disconnected', () => {
      viewers.delete(viewer);
      counted();
    });
  };

  return {
    handler,
    publish(snapshot) {
      latest = { version: ++version, data: JSON.stringify(snapshot) };
      schedule();
    },
    get count() {
      return viewers.size;
    },
    drain() {
      if (draining) return;
      draining = true;
      clearInterval(gauges);
      if (timer) clearTimeout(timer);
      logger.info({ streams: viewers.size }, 'live streams ended for the drain');
      for (const viewer of viewers) {
        viewer.res.end();
        // The connection too, so the client's reconnect goes to a process that stays.
        viewer.res.socket?.end();
      }
    },
  };
}
