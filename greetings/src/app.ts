import {
  errorHandler,
  healthRoutes,
  HttpError,
  noSniff,
  notFoundHandler,
  requestLogger,
  traceContext,
  type Logger,
  type Metrics,
  type Readiness,
} from '@friendly-calculator/common';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Admin } from './experiment/admin';
import type { Greeter } from './greeter';
import { adminRoutes } from './routes/admin';
import {
  currentHandler,
  experimentsHandler,
  greetingHandler,
  impressionHandler,
} from './routes/greeting';
import { likeErrors, likeHandler } from './routes/like';
import { StoreUnavailable, type ExperimentStore } from './store/experiment-store';

export interface GreetingsDeps {
  greeter: Greeter;
  admin: Admin;
  store: ExperimentStore;
  /** ADMIN_TOKEN: undefined turns the admin routes off. */
  adminToken: string | undefined;
  /** The only origin a Like may redirect back to. */
  awesomeAppUrl: string;
  logger: Logger;
  metrics: Metrics;
  /** Draining state shared with `serve()` (`/readyz` answers 503 once it drains). */
  readiness?: Readiness;
}

/** The greetings service as a value: no listening, no environment, no clients built here. */
export function createApp(deps: GreetingsDeps): Express {
  const { greeter, store, logger, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // First: every log line of the request, and the response, carry its trace id.
  app.use(traceContext());
  app.use(noSniff);
  app.use(requestLogger(logger, metrics));
  // Ready never depends on Redis: without it greetings still serves (fallback
  // greetings, Likes refused with a clear 503). /health/dependencies shows it.
  app.use(
    healthRoutes({
      dependencies: store.kind === 'redis' ? { redis: () => store.ping() } : {},
      readiness: deps.readiness,
    }),
  );

  app.get('/greeting/:name', greetingHandler(greeter));
  app.get('/impressions/:id', impressionHandler(greeter));
  app.get('/stats', currentHandler(greeter));
  app.get('/experiments', experimentsHandler(greeter));
  app.get('/experiments/current', currentHandler(greeter));
  app.post(
    '/like_greeting',
    express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 10 }),
    express.json({ limit: '1kb' }),
    likeHandler(greeter, deps.awesomeAppUrl),
    likeErrors,
  );
  app.use(adminRoutes({ admin: deps.admin, greeter, token: deps.adminToken, logger, metrics }));

  app.use(notFoundHandler);
  // The store being down is a 503 that says so, wherever it happens.
  app.use((err: unknown, _req: Request, _res: Response, next: NextFunction) => {
    next(
      err instanceof StoreUnavailable
        ? new HttpError(503, `The greetings store is unavailable: ${err.message}`)
        : err,
    );
  });
  app.use(errorHandler(logger));
  return app;
}
