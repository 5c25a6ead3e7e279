import { pino, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger } from 'pino';

/**
 * One JSON line per event on stdout, the service's name on every line.
 * Writes are asynchronous: lines logged while a write is in flight go out
 * together in the next one, so under load logging costs a few system calls
 * instead of one per line, and when idle each line still appears at once.
 * What is still buffered is written out when the process exits.
 */
export function createLogger(service: string, level: LogLevel = 'info'): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing: for tests. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
