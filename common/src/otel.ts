/**
 * The OpenTelemetry SDK, loaded by tracing.ts only when tracing is on.
 *
 * Four instrumentations and no others (no fs, dns or net spans):
 * - HTTP: one server span per request (not for /healthz and /readyz), named
 *   after the Express route (`GET /:name/:x/:y`), never the raw path.
 * - Express: only to name that span; its own middleware spans are off, so a
 *   page's trace reads page → upstream calls → their handlers → Redis.
 * - undici: awesome-app's calls to greetings and maths, each a client span that
 *   sends `traceparent` on (the instrumentation adds the header).
 * - ioredis: greetings' Redis commands (the Lua scripts show as `evalsha`).
 *
 * And one tracer for spans of our own (`inSpan` in tracing.ts: maths' operations).
 *
 * The request's trace ids (trace-context.ts: logs, `traceresponse`, the page's
 * footer) become those of the HTTP server span, so there is one id per request.
 */
import type { IncomingMessage } from 'node:http';
import { IncomingMessage as IncomingMessageClass } from 'node:http';
import {
  diag,
  DiagLogLevel,
  SpanStatusCode,
  TraceFlags,
  trace,
  type DiagLogger,
  type SpanContext,
} from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { queryNames } from './query';
import { withTimeout } from './timeout';
import { beforeExit } from './lifecycle';
import { redactedText, redactedValue } from './redact';
import { useSpanMarker, useSpanRunner, type TracingSettings } from './tracing';
import { useTraceSource, type TraceIds } from './trace-context';

const QUIET = new Set(['/healthz', '/readyz']);

/** The last batch may take this long to send at shutdown; then it is dropped (the process must stop within 2 s). */
export const FINAL_FLUSH_MS = 1000;

/** Where spans go, for the warning: the traces endpoint, or the general one plus /v1/traces. */
function tracesEndpoint(): string {
  const traces = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return redactedValue(traces);
  return redactedValue(
    `${(process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').trim().replace(/\/+$/, '')}/v1/traces`,
  );
}

/**
 * OpenTelemetry reports a failed export (no receiver, a refused connection)
 * through its diagnostic logger (every copy of @opentelemetry/core calls the
 * one global `diag`), as an error with a stack trace each time. A missing
 * receiver is worth one line, not one stack trace per batch: the service
 * itself is fine. This logger says it once, as a JSON log line like the
 * service's own, and keeps quiet after.
 */
export function onceWarningLogger(
  service: string,
  write = (line: string) => process.stderr.write(line),
) {
  let warned = false;
  const warnOnce = (message: string) => {
    if (warned) return;
    warned = true;
    const firstLine = redactedText(message.split('\n')[0]!).slice(0, 200);
    write(
      `${JSON.stringify({
        level: 'warn',
        time: new Date().toISOString(),
        service,
        msg: `traces cannot be sent to ${tracesEndpoint()}: spans are dropped while no receiver answers (the service is not affected); said once`,
        cause: firstLine,
      })}\n`,
    );
  };
  const quiet = () => undefined;
  const logger: DiagLogger = {
    error: warnOnce,
    warn: warnOnce,
    info: quiet,
    debug: quiet,
    verbose: quiet,
  };
  return { logger, warnOnce };
}

export function startOpenTelemetry(settings: TracingSettings): void {
  const warning = onceWarningLogger(settings.serviceName);
  diag.setLogger(warning.logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  // Both exporters read OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS and
  // _TIMEOUT themselves, and add /v1/traces to the general endpoint.
  const exporter =
    settings.protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
  const provider = new NodeTracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over the default name.
    resource: defaultResource()
      .merge(resourceFromAttributes({ 'service.name': settings.serviceName }))
      .merge(detectResources({ detectors: [envDetector] })),
    // The sampler comes from OTEL_TRACES_SAMPLER / _ARG (default: parentbased_always_on),
    // the batching from OTEL_BSP_*.
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  // W3C traceparent propagation and an AsyncLocalStorage context manager.
  provider.register();

  // The server span of each request, for trace-context.ts to take its ids from.
  const serverSpans = new WeakMap<IncomingMessage, SpanContext>();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => QUIET.has((req.url ?? '').split('?')[0] ?? ''),
        // As in the request logs: the query's names, never its values (a
        // sign-in token, a visitor's data). Its attributes replace the
        // instrumentation's own `url.query`.
        startIncomingSpanHook: (req) => {
          const query = queryNames(req.url ?? '');
          return query === undefined ? {} : { 'url.query': query };
        },
        // Our services call each other through undici; the exporter's own
        // requests are never traced.
        disableOutgoingRequestInstrumentation: true,
        requestHook: (span, req) => {
          if (req instanceof IncomingMessageClass) serverSpans.set(req, span.spanContext());
        },
      }),
      new ExpressInstrumentation({
        ignoreLayersType: [
          ExpressLayerType.MIDDLEWARE,
          ExpressLayerType.REQUEST_HANDLER,
          ExpressLayerType.ROUTER,
        ],
      }),
      new UndiciInstrumentation(),
      new IORedisInstrumentation({
        // The command and, for a script, its SHA; never the arguments (impression ids, keys).
        dbStatementSerializer: (command, args) =>
          command === 'evalsha' && typeof args[0] === 'string' ? `${command} ${args[0]}` : command,
      }),
    ],
  });

  useTraceSource({
    // /healthz and /readyz have no span: they get ids of their own as without tracing.
    idsFor(req) {
      const span = serverSpans.get(req);
      return span && idsOf(span);
    },
    // The undici instrumentation sends traceparent (its client span as the parent).
    addsOutgoingHeader: false,
  });

  // Spans of our own (maths' operations, through inSpan): children of the current span.
  const tracer = provider.getTracer('@friendly-calculator/common');
  useSpanMarker((event, attributes) => {
    const span = trace.getActiveSpan();
    span?.setAttributes(attributes);
    span?.addEvent(event, attributes);
  });
  useSpanRunner((name, attributes, fn) =>
    tracer.startActiveSpan(name, { attributes }, (span) => {
      try {
        return fn();
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    }),
  );

  // Spans still waiting in the batch are sent before the process exits, if
  // the receiver takes them promptly: without one, the exporter would retry
  // for up to 10 s (OTEL_EXPORTER_OTLP_TIMEOUT) and the stop would hang.
  beforeExit(() =>
    withTimeout(
      provider.shutdown(),
      FINAL_FLUSH_MS,
      `the last spans were not sent within ${FINAL_FLUSH_MS} ms`,
    ).catch((error: unknown) =>
      warning.warnOnce(error instanceof Error ? error.message : String(error)),
    ),
  );
}

function idsOf(span: SpanContext): TraceIds {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    sampled: (span.traceFlags & TraceFlags.SAMPLED) !== 0,
  };
}
