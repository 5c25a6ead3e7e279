import { Writable } from 'node:stream';
import { pino } from 'pino';
import { traceFields, type Logger } from '../logger';

/** A pino logger like createLogger's (same mixin), writing its lines, parsed, into an array. */
export function capturingLogger(level = 'info'): {
  lines: Record<string, unknown>[];
  logger: Logger;
} {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level, mixin: traceFields }, stream) };
}

/** pino's number for the `error` level: a line at or above it is an error. */
export const PINO_ERROR = 50;
