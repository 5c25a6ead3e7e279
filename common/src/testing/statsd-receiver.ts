import { createSocket } from 'node:dgram';
import { silentLogger } from '../logger';
import { createStatsdMetrics, type Metrics } from '../metrics';

/** A real UDP socket on an ephemeral port that collects StatsD lines. */
export interface StatsdReceiver {
  readonly port: number;
  /** Every metric line received so far, e.g. `maths.requests.add:1|c`. */
  readonly lines: readonly string[];
  /** Resolves once `predicate(lines)` holds, or rejects after `timeoutMs`. */
  waitFor(predicate: (lines: readonly string[]) => boolean, timeoutMs?: number): Promise<void>;
  clear(): void;
  close(): Promise<void>;
}

export async function startStatsdReceiver(): Promise<StatsdReceiver> {
  const socket = createSocket('udp4');
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (message) => {
    // hot-shots batches several metrics into one datagram, one per line.
    for (const line of message.toString('utf8').split('\n')) if (line) lines.push(line);
    for (const wake of waiters) wake();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return {
    port,
    lines,
    clear: () => {
      lines.length = 0;
    },
    waitFor: (predicate, timeoutMs = 3000) =>
      new Promise<void>((resolve, reject) => {
        if (predicate(lines)) {
          resolve();
          return;
        }
        const wake = () => {
          if (!predicate(lines)) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`timed out waiting for StatsD lines; got:\n${lines.join('\n')}`));
        }, timeoutMs);
        waiters.add(wake);
      }),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** A real hot-shots client wired to a fresh receiver: what a metrics test needs. */
export interface StatsdPair {
  receiver: StatsdReceiver;
  metrics: Metrics;
  /**
   * Waits until every line sent so far has arrived (a marker sent last comes
   * back), then clears the receiver: a test that counts lines counts only its
   * own, never a late datagram of the test before it.
   */
  settle(): Promise<void>;
  /** Closes the client (flushing it), then the receiver. */
  close(): Promise<void>;
}

export async function startStatsdPair(prefix: string): Promise<StatsdPair> {
  const receiver = await startStatsdReceiver();
  const metrics = createStatsdMetrics({
    host: '127.0.0.1',
    port: receiver.port,
    prefix,
    logger: silentLogger(),
    flushIntervalMs: 20,
  });
  let markers = 0;
  return {
    receiver,
    metrics,
    settle: async () => {
      const marker = `test.settled_${++markers}`;
      metrics.increment(marker);
      await receiver.waitFor((lines) => lines.some((l) => l.startsWith(`${prefix}.${marker}:`)));
      receiver.clear();
    },
    close: async () => {
      await metrics.close();
      await receiver.close();
    },
  };
}
