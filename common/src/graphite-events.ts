import type { Logger } from 'pino';
import { redactedText } from './redact';

/**
 * Graphite events (graphite-web's `POST /events/`): the marks the dashboard
 * draws as annotations ("mathsSlow 1s on", "phase 3 started"). Posting one
 * never fails or delays the action that caused it for long: a short timeout,
 * and a failure is a warning in the log.
 */
export interface GraphiteEvent {
  what: string;
  tags: readonly string[];
  data?: string;
}

export type EventSink = (event: GraphiteEvent) => Promise<boolean>;

/** Posts nothing (GRAPHITE_URL unset). */
export const noEvents: EventSink = () => Promise.resolve(false);

export interface GraphiteEventOptions {
  /** graphite-web's address, e.g. `http://graphite:8080` (GRAPHITE_URL). */
  url: string | undefined;
  logger?: Pick<Logger, 'warn'>;
  /** Told why an event was not posted (`npm run scenario` says it in one warning line). */
  onFailure?: (reason: string) => void;
  timeoutMs?: number;
}

/** An event sink posting to graphite-web, or `noEvents` when `url` is unset. */
export function graphiteEvents({
  url,
  logger,
  onFailure,
  timeoutMs = 2000,
}: GraphiteEventOptions): EventSink {
  if (!url) return noEvents;
  const endpoint = `${url.replace(/\/+$/, '')}/events/`;
  return async (event) => {
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ what: event.what, tags: event.tags, data: event.data ?? '' }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new Error(`graphite-web answered ${res.status}`);
      return true;
    } catch (error) {
      const { cause: why } = error as Error & { cause?: { code?: string; message?: string } };
      const cause = why?.code ?? why?.message;
      onFailure?.(`${(error as Error).message}${cause ? ` (${cause})` : ''}`);
      logger?.warn(
        { err: redactedText((error as Error).message), event: event.what },
        'graphite event not posted',
      );
      return false;
    }
  };
}
