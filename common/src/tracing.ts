/**
 * `@friendly-calculator/common/tracing`: OpenTelemetry traces, off until asked for.
 *
 * Each service's `src/tracing.ts` calls `startTracing('<service>')`, and its
 * `server.ts` imports that file FIRST: OpenTelemetry instruments a module by
 * patching it as it is loaded, so this must run before anything requires
 * Express, ioredis or undici. Nothing else in the code knows tracing exists.
 *
 * Off (the default) when neither `OTEL_EXPORTER_OTLP_ENDPOINT` nor
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, or `OTEL_SDK_DISABLED=true`:
 * then not one OpenTelemetry module is even loaded, no SDK, no exporter,
 * nothing sent. The request's trace id (trace-context.ts) works either way.
 * Code that wants a span of its own (maths' operations) calls `inSpan`, which
 * is a plain call while tracing is off.
 *
 * This file reads `process.env` itself (the `OTEL_*` variables are
 * OpenTelemetry's standard ones, read by its own packages too), and imports
 * only Node built-ins (and ./redact, which imports nothing), so that loading
 * it first loads nothing else.
 */
import { redactedText, redactedValue } from './redact';

/** Attributes of a span of our own (`inSpan`). */
export type SpanAttributes = Readonly<Record<string, string | number | boolean>>;

/** Runs `fn` inside a span; set by otel.ts once the SDK is started. */
export type SpanRunner = <T>(name: string, attributes: SpanAttributes, fn: () => T) => T;

let spanRunner: SpanRunner | undefined;

/** Called by otel.ts only: from then on `inSpan` makes real spans. */
export function useSpanRunner(runner: SpanRunner): void {
  spanRunner = runner;
}

/**
 * Runs `fn` (synchronous) inside a child span of the current one named `name`
 * (e.g. maths' `maths.divide`), when tracing is on; a throw marks the span as
 * an error and goes on. When tracing is off this is just `fn()`: no span, no
 * OpenTelemetry module, one comparison.
 */
export function inSpan<T>(name: string, attributes: SpanAttributes, fn: () => T): T {
  return spanRunner ? spanRunner(name, attributes, fn) : fn();
}

/** Marks the current span; set by otel.ts once the SDK is started. */
export type SpanMarker = (event: string, attributes: SpanAttributes) => void;

let spanMarker: SpanMarker | undefined;

/** Called by otel.ts only: from then on `markSpan` marks real spans. */
export function useSpanMarker(marker: SpanMarker): void {
  spanMarker = marker;
}

/**
 * Gives the current span `attributes` and an event named `event` (e.g. the
 * scenario that delays or fails this request: `scenario.name: mathsSlow`), so
 * the trace shows why this span was slow or failed. Nothing when tracing is off.
 */
export function markSpan(event: string, attributes: SpanAttributes): void {
  spanMarker?.(event, attributes);
}

/** What the environment asks for; `undefined` when tracing is off. */
export interface TracingSettings {
  readonly serviceName: string;
  readonly protocol: 'http/protobuf' | 'http/json';
}

const PROTOCOLS = ['http/protobuf', 'http/json'] as const;

/**
 * Reads the standard variables. Throws one clear line for a value this
 * project cannot honour (e.g. `grpc`), like the services' own config does.
 */
export function tracingSettings(
  service: string,
  env: Readonly<Record<string, string | undefined>>,
): TracingSettings | undefined {
  const set = (name: string) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  if (set('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  if (!set('OTEL_EXPORTER_OTLP_ENDPOINT') && !set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'))
    return undefined;
  const name = set('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  // The specification's default.
  const protocol = set(name) ?? 'http/protobuf';
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new Error(
      `Invalid configuration: ${name}: expected one of ${PROTOCOLS.join(', ')} (got ${JSON.stringify(redactedValue(env[name] ?? ''))})`,
    );
  }
  return {
    serviceName: set('OTEL_SERVICE_NAME') ?? service,
    protocol: protocol as TracingSettings['protocol'],
  };
}

/**
 * Starts OpenTelemetry for `service` when the environment asks for it, and
 * returns whether it did. A bad `OTEL_*` value stops the process with one line,
 * like any other bad configuration.
 */
export function startTracing(service: string): boolean {
  let settings: TracingSettings | undefined;
  try {
    settings = tracingSettings(service, process.env);
  } catch (error) {
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service, time: new Date().toISOString(), msg: redactedText((error as Error).message) })}\n`,
    );
    process.exit(1);
  }
  if (!settings) return false;
  // A synchronous require, on purpose: the SDK must be in place before this
  // module returns and server.ts goes on to load Express. When tracing is off
  // this line never runs and no OpenTelemetry code is loaded at all.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('./otel') as typeof import('./otel');
  sdk.startOpenTelemetry(settings);
  return true;
}
