import {
  elapsedMs,
  outgoingTraceHeaders,
  TimeoutError,
  type Metrics,
} from '@friendly-calculator/common';
import { Pool, type Dispatcher } from 'undici';

import type { Failure, Outcome } from '../outcome';

export type { Failure, Outcome } from '../outcome';

/** One upstream service: a keep-alive connection pool and a deadline per call. */
export interface Upstream {
  readonly name: string;
  /**
   * `GET path` with `Accept: application/json`. A 2xx body goes through
   * `read`, which returns `undefined` when the JSON is not the expected shape.
   */
  getJson<T>(
    path: string,
    read: (json: unknown) => T | undefined,
    headers?: Readonly<Record<string, string>>,
  ): Promise<Outcome<T>>;
  close(): Promise<void>;
}

export interface UpstreamOptions {
  /** Used in messages and metric names: `upstream.<name>.errors`. */
  name: string;
  /** e.g. `http://localhost:5002` (a path prefix is kept). */
  baseUrl: string;
  /** The whole call, connect to last byte, must finish within this. */
  timeoutMs: number;
  metrics: Metrics;
}

export function createUpstream({ name, baseUrl, timeoutMs, metrics }: UpstreamOptions): Upstream {
  const url = new URL(baseUrl);
  const prefix = url.pathname.replace(/\/+$/, '');
  // Idle sockets are kept for 30 s, well under the services' own 65 s
  // keep-alive timeout, so a pooled socket is never closed under a request.
  const pool = new Pool(url.origin, { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 30_000 });

  // Built once, not per call: every page makes two calls.
  const errorsMetric = `upstream.${name}.errors`;
  const latencyMetric = `upstream.${name}.latency`;
  const unavailable = (message: string): Failure => {
    metrics.increment(errorsMetric);
    return { ok: false, kind: 'unavailable', message };
  };

  return {
    name,
    async getJson<T>(
      path: string,
      read: (json: unknown) => T | undefined,
      headers: Readonly<Record<string, string>> = {},
    ): Promise<Outcome<T>> {
      const start = process.hrtime.bigint();
      try {
        const { statusCode, text } = await getText(
          pool,
          prefix + path,
          timeoutMs,
          `${name} timed out`,
          headers,
        );
        if (statusCode === 404) {
          // We only call paths that exist: a 404 means the URL points at the wrong thing.
          return unavailable(`${name} answered 404 Not Found for ${path} (is its URL right?)`);
        }
        if (statusCode >= 400 && statusCode < 500) {
          return { ok: false, kind: 'rejected', status: statusCode, message: errorText(text) };
        }
        if (statusCode < 200 || statusCode >= 300) {
          return unavailable(`${name} answered with status ${statusCode}`);
        }
        const value = read(parseJson(text));
        return value === undefined
          ? unavailable(`${name} answered with something unexpected`)
          : { ok: true, value };
      } catch (error) {
        return unavailable(describe(name, error, timeoutMs));
      } finally {
        metrics.timing(latencyMetric, elapsedMs(start));
      }
    },
    close: () => pool.close(),
  };
}

/**
 * The most of an answer a call reads. greetings' JSON (a greeting and the
 * experiment's numbers) and maths' results are a few hundred bytes; 64 KiB
 * leaves plenty of room while an upstream that is broken (or not ours)
 * cannot make awesome-app buffer megabytes per page. Past it the request is
 * aborted and the call fails like any other unreadable answer.
 */
export const MAX_BODY_BYTES = 64 * 1024;

class BodyTooLarge extends Error {
  override readonly name = 'BodyTooLarge';
}

/**
 * `GET path` (`Accept: application/json`), the body read whole as UTF-8, at
 * most `MAX_BODY_BYTES` of it.
 *
 * Written on undici's `dispatch` with a small handler rather than
 * `pool.request()` + `body.text()`: no body stream, no AbortController and
 * fewer promises per call. In the benchmark that took about 40 µs (8 %) off
 * awesome-app's CPU per page, and awesome-app is the stack's bottleneck.
 *
 * The deadline covers connecting, waiting for headers and reading the body.
 * When it passes, the call settles at once (even during a step that cannot
 * be cancelled, such as a DNS lookup of a service that has gone away, which
 * can take many seconds) and undici aborts the request, closing its socket;
 * a request still waiting for a socket is aborted as soon as it gets one.
 */
function getText(
  pool: Pool,
  path: string,
  timeoutMs: number,
  message: string,
  headers: Readonly<Record<string, string>>,
): Promise<{ statusCode: number; text: string }> {
  return new Promise((resolve, reject) => {
    let statusCode = 0;
    const chunks: Buffer[] = [];
    let received = 0;
    let controller: Dispatcher.DispatchController | undefined;
    let timedOut: TimeoutError | undefined;
    const timer = setTimeout(() => {
      timedOut = new TimeoutError(message);
      controller?.abort(timedOut);
      reject(timedOut);
    }, timeoutMs);
    pool.dispatch(
      // The request's trace goes along (`traceparent`), so greetings and maths log the same trace id.
      {
        method: 'GET',
        path,
        headers: { ...headers, accept: 'application/json', ...outgoingTraceHeaders() },
      },
      {
        onRequestStart(c) {
          controller = c;
          if (timedOut) c.abort(timedOut);
        },
        onResponseStart(_c, status) {
          // Called again after a 1xx: the last status is the answer.
          statusCode = status;
        },
        onResponseData(c, chunk) {
          received += chunk.length;
          if (received > MAX_BODY_BYTES) {
            const tooLarge = new BodyTooLarge(`more than ${MAX_BODY_BYTES / 1024} KiB`);
            clearTimeout(timer);
            c.abort(tooLarge);
            reject(tooLarge);
            return;
          }
          chunks.push(chunk);
        },
        onResponseEnd() {
          clearTimeout(timer);
          // Decoded once, whole: a character split between chunks stays intact.
          resolve({ statusCode, text: Buffer.concat(chunks).toString('utf8') });
        },
        onResponseError(_c, error) {
          clearTimeout(timer);
          reject(error);
        },
      },
    );
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The `error` field of our services' JSON errors, else a generic line. */
function errorText(text: string): string {
  const json = parseJson(text);
  if (typeof json === 'object' && json !== null && 'error' in json) {
    const { error } = json;
    if (typeof error === 'string' && error !== '') return error;
  }
  return 'the request was refused';
}

/** A short, human sentence for why a call failed. */
function describe(name: string, error: unknown, timeoutMs: number): string {
  if (error instanceof TimeoutError) {
    return `${name} did not answer within ${timeoutMs} ms`;
  }
  if (error instanceof BodyTooLarge) return `${name} answered with ${error.message}`;
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') return `${name} is not running (connection refused)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `${name}'s address could not be resolved`;
  return `${name} could not be reached (${code ?? (error instanceof Error ? error.message : String(error))})`;
}

/** `ECONNREFUSED` and friends; Node wraps "tried IPv6 and IPv4" failures in an AggregateError. */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  if (Array.isArray(errors)) return errors.map(errorCode).find((c) => c !== undefined);
  return undefined;
}
