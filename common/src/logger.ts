import { pino, type Logger } from 'pino';
import type { LogLevel } from './config';
import { currentTrace } from './trace-context';

export type { Logger } from 'pino';

/**
 * One JSON line per event on stdout, the service's name on every line.
 * Writes are asynchronous and batched: lines wait until 16 KiB are pending or
 * 100 ms have passed, so under load a write carries dozens of lines (in a CPU
 * profile of the benchmark, maths spent 9 % of its main thread handing single
 * lines to the file system, 2 % at 4 KiB a write), and when idle a line still
 * appears within 100 ms. What is still buffered is written out when the
 * process exits.
 *
 * A line written while a request is being handled carries that request's
 * `trace_id` and `span_id` (trace-context.ts), so one `grep` for a trace id
 * finds a page's lines in all three services.
 */
export function createLogger(service: string, level: LogLevel = 'info'): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceFields,
    },
    // SonicBoom wants minLength below maxWrite (16 KiB by default): one write may take 64 KiB.
    pino.destination({
      dest: 1,
      sync: false,
      minLength: 16 * 1024,
      maxWrite: 64 * 1024,
      periodicFlush: 100,
    }),
  );
}

/** `{ trace_id, span_id }` inside a request, nothing outside one. A new object each time: pino merges into it. */
export function traceFields(): Record<string, string> {
  const ids = currentTrace();
  return ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

/** A logger that writes nothing: for tests. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
