import {
  errorHandler,
  healthRoutes,
  noSniff,
  HttpError,
  notFoundHandler,
  requestLogger,
  traceContext,
  type Logger,
  type Metrics,
} from '@friendly-calculator/common';
import express, { type Express } from 'express';
import { StoreUnavailable, type BanditStore } from './store/bandit-store';
import type { Greeter } from './greeter';
import { greetingHandler, statsHandler } from './routes/greeting';
import { likeHandler } from './routes/like';

export interface GreetingsDeps {
  greeter: Greeter;
  store: BanditStore;
  /** The only origin a Like may redirect back to. */
  awesomeAppUrl: string;
  logger: Logger;
  metrics: Metrics;
}

/** The greetings service as a value: no listening, no environment, no clients built here. */
export function createApp({
  greeter,
  store,
  awesomeAppUrl,
  logger,
  metrics,
}: GreetingsDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // First: every log line of the request, and the response, carry its trace id.
  app.use(traceContext());
  app.use(noSniff);
  app.use(requestLogger(logger, metrics));
  app.use(healthRoutes({ [store.kind]: () => store.ping() }));

  app.get('/greeting/:name', greetingHandler(greeter));
  app.get('/stats', statsHandler(greeter));
  app.post(
    '/like_greeting',
    express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 10 }),
    express.json({ limit: '1kb' }),
    likeHandler(greeter, awesomeAppUrl),
  );

  app.use(notFoundHandler);
  // The store being down is a 503 that says so, wherever it happens.
  app.use(
    (err: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
      next(
        err instanceof StoreUnavailable
          ? new HttpError(503, `The greetings store is unavailable: ${err.message}`)
          : err,
      );
    },
  );
  app.use(errorHandler(logger));
  return app;
}
