import {
  errorHandler,
  healthRoutes,
  noSniff,
  notFoundHandler,
  requestLogger,
  scenariosOff,
  traceContext,
  type Logger,
  type Metrics,
  type Readiness,
  type Scenarios,
} from '@friendly-calculator/common';
import { openApiHandler } from '@friendly-calculator/common/openapi';
import { swaggerUi } from '@friendly-calculator/common/swagger-ui';
import express, { type Express } from 'express';
import { mathsDocument } from './http/openapi';
import { batchHandler, indexHandler, operationHandler } from './routes/operations';
import { scenarioGate } from './scenarios';

export interface MathsDeps {
  logger: Logger;
  metrics: Metrics;
  /** Draining state shared with `serve()` (`/readyz` answers 503 once it drains). */
  readiness?: Readiness;
  /** The scenario flags (mathsSlow, mathsErrors); default: every one off. */
  scenarios?: Scenarios;
  /** For mathsErrors' share of failed calls (tests pass a fixed one). */
  random?: () => number;
}

/** The maths service as a value: no listening, no environment, no clients built here. */
export function createApp({
  logger,
  metrics,
  readiness,
  scenarios = scenariosOff,
  random,
}: MathsDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // First: every log line of the request, and the response, carry its trace id.
  app.use(traceContext());
  app.use(noSniff);
  app.use(requestLogger(logger, metrics));
  // Every maths call, and only those, meets the scenarios first.
  const gate = scenarioGate(scenarios, random);
  // The page's call first: no other route shares its path, and a request the
  // router has matched skips the health and Swagger UI routers behind it.
  app.get('/calculate', gate, batchHandler(metrics));
  // maths has no dependencies (StatsD is fire-and-forget UDP): ready unless draining.
  app.use(healthRoutes({ readiness }));
  app.get('/openapi.json', openApiHandler(mathsDocument()));
  // Before `/:op`: `/docs` is the document in Swagger UI, not an operation.
  app.use(swaggerUi());
  app.get('/', indexHandler);
  app.get('/:op', gate, operationHandler(metrics));

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
