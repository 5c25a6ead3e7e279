import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import { createServer } from 'node:http';
import type { Logger } from 'pino';
import type { Readiness } from './health';
import { redactedText } from './redact';

export interface ServeOptions {
  app: RequestListener;
  port: number;
  host?: string;
  logger: Logger;
  /** After this long, connections still open are cut and the process exits with 1. */
  shutdownTimeoutMs?: number;
  /** Closes clients (Redis, StatsD, upstream pools) once no request is in flight. */
  onClose?: () => Promise<void>;
  /** How long a client may take to send one whole request; `REQUEST_TIMEOUT_MS` unless a test says less. */
  requestTimeoutMs?: number;
  /** The app's `/readyz` state: turned to draining the moment the stop begins. */
  readiness?: Readiness;
}

/**
 * How long a client may take to send one whole request, headers and body.
 * Our requests are small (a GET, or a Like of at most 1 kB), so 5 s is ample
 * even on a poor network, while a client that trickles its request (a byte a
 * second, holding a socket and a request open) is cut off after 5 s instead
 * of Node's default 5 minutes: answered 408 and disconnected.
 */
export const REQUEST_TIMEOUT_MS = 5_000;
/**
 * How often Node looks for requests past those limits (30 s by default,
 * which would let a trickling client stay up to 35 s): a slow request is cut
 * within REQUEST_TIMEOUT_MS + 1 s.
 */
const CHECK_EVERY_MS = 1_000;

export interface Running {
  server: Server;
  port: number;
  /** Turn unready, stop accepting, let in-flight requests finish, then run `onClose`. */
  stop(): Promise<void>;
}

const exitHooks: (() => Promise<void>)[] = [];

/**
 * Once the drain begins, every answer says `Connection: close`, those still
 * being worked on included. Otherwise Node keeps a keep-alive connection
 * open after the answer to a request that was in flight at SIGTERM (closing
 * the server closes only idle ones): the client would send its next request
 * to a process about to exit, and the drain would wait for that connection
 * until the hard timeout. Answers that have started already cannot be changed.
 */
function closeConnectionsWhenDraining(app: RequestListener): {
  listener: RequestListener;
  drain(): void;
} {
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  return {
    listener: (req, res) => {
      if (draining) {
        res.setHeader('Connection', 'close');
      } else {
        inFlight.add(res);
        res.once('close', () => inFlight.delete(res));
      }
      app(req, res);
    },
    drain() {
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      inFlight.clear();
    },
  };
}

/**
 * Work to finish after a graceful stop, just before the process exits (e.g.
 * sending the last batch of trace spans). The shutdown's hard timeout still applies.
 */
export function beforeExit(hook: () => Promise<void>): void {
  exitHooks.push(hook);
}

/** Listens, and turns SIGTERM/SIGINT into a graceful drain with a hard timeout. */
export async function serve(options: ServeOptions): Promise<Running> {
  const { logger, shutdownTimeoutMs = 10_000, requestTimeoutMs = REQUEST_TIMEOUT_MS } = options;
  const closer = closeConnectionsWhenDraining(options.app);
  const server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      // The headers are part of the request: the same limit (Node wants it no
      // larger). Both count from a request's first byte, so they never close
      // an idle keep-alive connection, which only keepAliveTimeout does.
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(CHECK_EVERY_MS, requestTimeoutMs),
    },
    closer.listener,
  );
  // Longer than the upstream clients' idle timeout, so a pooled keep-alive
  // socket is never closed under a client that is just about to reuse it.
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // Synchronously, before anything else: from here /readyz answers 503.
      options.readiness?.drain();
      closer.drain();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive sockets would otherwise hold `close` open until they time out.
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        logger.error({ shutdownTimeoutMs }, 'shutdown timed out: cutting open connections');
        server.closeAllConnections();
      }, shutdownTimeoutMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
      await options.onClose?.();
    })();
    return stopping;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    const hardExit = setTimeout(() => process.exit(1), shutdownTimeoutMs + 2_000);
    hardExit.unref();
    stop()
      .then(() => Promise.all(exitHooks.map((hook) => hook())))
      .then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'error while shutting down');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  logger.info({ port }, 'listening');
  return { server, port, stop };
}

/** For `server.ts` entry points: log a start-up failure as one line and exit 1. */
export function exitOnStartupError(service: string): (error: unknown) => never {
  return (error) => {
    // A start-up error may quote a configuration value: never its credentials.
    const message = redactedText(error instanceof Error ? error.message : String(error));
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service, time: new Date().toISOString(), msg: message })}\n`,
    );
    process.exit(1);
  };
}
