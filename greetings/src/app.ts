import {
  errorHandler,
  healthRoutes,
  HttpError,
  noSniff,
  notFoundHandler,
  requestLogger,
  stylesheet,
  traceContext,
  type Logger,
  type Metrics,
  type DependencyCheck,
  type Readiness,
} from '@friendly-calculator/common';
import { openApiHandler } from '@friendly-calculator/common/openapi';
import { swaggerUi } from '@friendly-calculator/common/swagger-ui';
import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { Admin } from './experiment/admin';
import type { Greeter } from './greeter';
import { adminRoutes } from './routes/admin';
import {
  currentHandler,
  experimentsHandler,
  greetingHandler,
  impressionHandler,
} from './routes/greeting';
import type { GuardStores } from './http/guard-stores';
import { historyLimit } from './http/history-limit';
import { likesLimit } from './http/likes-limit';
import { greetingsDocument } from './http/openapi';
import { likeErrors, likeHandler } from './routes/like';
import { StoreUnavailable, type ExperimentStore } from './experiment/store';

export interface GreetingsDeps {
  greeter: Greeter;
  admin: Admin;
  store: ExperimentStore;
  /** ADMIN_TOKEN: undefined turns the admin routes off. */
  adminToken: string | undefined;
  /** Sessions and per-client counters (http/guard-stores.ts). */
  guards: GuardStores;
  /** TRUST_PROXY: which proxies' X-Forwarded-For names the client (undefined: none). */
  trustProxy?: number | string[] | undefined;
  /** Greetings' own public origins (GREETINGS_PUBLIC_URL): the admin forms' only `Origin`. */
  publicOrigins: readonly string[];
  /** The only origin a Like may redirect back to. */
  awesomeAppUrl: string;
  logger: Logger;
  metrics: Metrics;
  /** Draining state shared with `serve()` (`/readyz` answers 503 once it drains). */
  readiness?: Readiness;
  /** The scenario flag file's state, when scenarios are read from one (common/src/flags.ts). */
  scenariosCheck?: DependencyCheck;
  /** `GET /experiments/current/events`: the live streams (common's live.ts); absent: no such route. */
  live?: RequestHandler;
  /** `PUT /experiments/current/viewers/:source`: an awesome-app process's viewer count (live-feed.ts). */
  liveReport?: RequestHandler[];
}

/** The greetings service as a value: no listening, no environment, no clients built here. */
export function createApp(deps: GreetingsDeps): Express {
  const { greeter, store, logger, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // req.ip: the socket's address unless TRUST_PROXY names the proxies in front.
  app.set('trust proxy', deps.trustProxy ?? false);

  // First: every log line of the request, and the response, carry its trace id.
  app.use(traceContext());
  app.use(noSniff);
  app.use(requestLogger(logger, metrics));
  // The page's call first: no other route shares its path, and a request the
  // router has matched skips the health and Swagger UI routers behind it.
  app.get('/greeting/:name', greetingHandler(greeter));
  // Ready never depends on Redis: without it greetings still serves (fallback
  // greetings, Likes refused with a clear 503). /health/dependencies shows it.
  app.use(
    healthRoutes({
      dependencies: {
        ...(store.kind === 'redis' ? { redis: () => store.ping() } : {}),
        ...(deps.scenariosCheck ? { scenarios: deps.scenariosCheck } : {}),
      },
      readiness: deps.readiness,
    }),
  );

  app.get('/openapi.json', openApiHandler(greetingsDocument()));
  app.use(swaggerUi());
  app.get('/impressions/:id', impressionHandler(greeter));
  app.get('/stats', currentHandler(greeter));
  // The public history waits its turn (http/history-limit.ts): never the greeting's.
  app.get('/experiments', historyLimit({ metrics }), experimentsHandler(greeter));
  app.get('/experiments/current', currentHandler(greeter));
  if (deps.live) app.get('/experiments/current/events', deps.live);
  if (deps.liveReport) app.put('/experiments/current/viewers/:source', ...deps.liveReport);
  app.post(
    '/like_greeting',
    express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 10 }),
    express.json({ limit: '1kb' }),
    likesLimit(deps.guards.likes, deps.awesomeAppUrl, metrics),
    likeHandler(greeter, deps.awesomeAppUrl),
    likeErrors,
  );
  // The project's one stylesheet (common's), for the admin and sign-in pages.
  const style = stylesheet();
  app.get('/style.css', style.handler);
  app.use(
    adminRoutes({
      admin: deps.admin,
      greeter,
      store,
      token: deps.adminToken,
      guards: deps.guards,
      publicOrigins: deps.publicOrigins,
      styleHref: style.href,
      pageUrl: deps.awesomeAppUrl,
      logger,
      metrics,
    }),
  );

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
