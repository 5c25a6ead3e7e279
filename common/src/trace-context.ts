import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { randomString } from './random-pool';

/**
 * One id for one request across the three services, always on, with or
 * without OpenTelemetry: the W3C Trace Context (`traceparent`) of the request
 * being handled, kept in an AsyncLocalStorage so that every log line written
 * while handling it (pino's `mixin`, see logger.ts) and every upstream call
 * (awesome-app's clients) can find it without passing it around.
 *
 * Without OpenTelemetry, a request keeps the caller's trace id when the caller
 * sent a valid `traceparent`, or starts a new trace, and gets a span id of its
 * own. With OpenTelemetry on (`@friendly-calculator/common/tracing`), the ids
 * are those of the HTTP server span OpenTelemetry created for the request, so
 * logs, the response header and the exported trace agree.
 */
export interface TraceIds {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero: this service's span for the request. */
  readonly spanId: string;
  /** The W3C `sampled` flag: whether the trace is being recorded somewhere. */
  readonly sampled: boolean;
}

/**
 * The response header that carries the ids back, in the `traceparent` format:
 * `traceresponse: 00-<trace id>-<span id>-<flags>` (W3C Trace Context Level 2).
 */
export const TRACE_RESPONSE_HEADER = 'traceresponse';

const storage = new AsyncLocalStorage<TraceIds>();

/** The ids of the request being handled, or `undefined` outside a request (start-up, timers). */
export function currentTrace(): TraceIds | undefined {
  return storage.getStore();
}

/** Runs `fn` with `ids` as the current trace (for tests and work started outside a request). */
export function runWithTrace<T>(ids: TraceIds, fn: () => T): T {
  return storage.run(ids, fn);
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * A `traceparent` header's trace id, parent id and sampled flag, or
 * `undefined` when it is not valid: wrong shape, upper-case hex, an all-zero
 * id, version `ff`, or version `00` with anything after the flags.
 */
export function parseTraceparent(
  header: string | readonly string[] | undefined,
): { traceId: string; parentId: string; sampled: boolean } | undefined {
  // Several traceparent headers: the spec says to treat that as none.
  if (typeof header !== 'string') return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  return { traceId, parentId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** `00-<trace id>-<span id>-<flags>`: the `traceparent` (and `traceresponse`) format. */
export function formatTraceparent(ids: TraceIds): string {
  return `00-${ids.traceId}-${ids.spanId}-${ids.sampled ? '01' : '00'}`;
}

function randomId(bytes: number, zero: string): string {
  for (;;) {
    const id = randomString(bytes, 'hex');
    if (id !== zero) return id;
  }
}

export const newSpanId = (): string => randomId(8, ZERO_SPAN);
export const newTraceId = (): string => randomId(16, ZERO_TRACE);

/** Without OpenTelemetry: continue the caller's trace (a valid `traceparent`) or start one. */
function fromTraceparent(req: IncomingMessage): TraceIds {
  const parent = parseTraceparent(req.headers.traceparent);
  return {
    traceId: parent?.traceId ?? newTraceId(),
    spanId: newSpanId(),
    // Nothing records traces without OpenTelemetry: pass the caller's decision on unchanged.
    sampled: parent?.sampled ?? false,
  };
}

interface TraceSource {
  /** The ids of a request that has just arrived; `undefined`: as without OpenTelemetry. */
  idsFor(req: IncomingMessage): TraceIds | undefined;
  /**
   * Whether outgoing calls need a `traceparent` header from `outgoingHeaders`
   * (false when OpenTelemetry's HTTP client instrumentation adds its own).
   */
  readonly addsOutgoingHeader: boolean;
}

let source: TraceSource = { idsFor: fromTraceparent, addsOutgoingHeader: true };

/**
 * For `@friendly-calculator/common/tracing` only: take the ids from
 * OpenTelemetry instead. Nothing else calls this.
 */
export function useTraceSource(next: TraceSource): void {
  source = next;
}

/**
 * The headers that pass the current trace on to another service:
 * `{ traceparent }` with this service's span as the parent, or nothing
 * outside a request or when OpenTelemetry injects the header itself.
 */
export function outgoingTraceHeaders(): Record<string, string> {
  const ids = storage.getStore();
  return ids && source.addsOutgoingHeader ? { traceparent: formatTraceparent(ids) } : {};
}

/**
 * The first middleware of every app: gives the request its trace ids, sends
 * them back in `traceresponse`, and handles the rest of the request inside
 * them so log lines and upstream calls can find them.
 */
export function traceContext(): RequestHandler {
  return (req, res, next) => {
    const ids = source.idsFor(req) ?? fromTraceparent(req);
    res.setHeader(TRACE_RESPONSE_HEADER, formatTraceparent(ids));
    storage.run(ids, next);
  };
}
