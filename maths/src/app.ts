import {
  errorHandler,
  healthRoutes,
  noSniff,
  notFoundHandler,
  requestLogger,
  traceContext,
  type Logger,
  type Metrics,
} from '@friendly-calculator/common';
import { openApiHandler } from '@friendly-calculator/common/openapi';
import { swaggerUi } from '@friendly-calculator/common/swagger-ui';
import express, { type Express } from 'express';
import { mathsDocument } from './http/openapi';
import { batchHandler, indexHandler, operationHandler } from './routes/operations';

export interface MathsDeps {
  logger: Logger;
  metrics: Metrics;
}

/** The maths service as a value: no listening, no environment, no clients built here. */
export function createApp({ logger, metrics }: MathsDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // First: every log line of the request, and the response, carry its trace id.
  app.use(traceContext());
  app.use(noSniff);
  app.use(requestLogger(logger, metrics));
  // maths has no dependencies, so it is ready whenever it is alive.
  app.use(healthRoutes());
  app.get('/openapi.json', openApiHandler(mathsDocument()));
  // Before `/:op`: `/docs` is the document in Swagger UI, not an operation.
  app.use(swaggerUi());
  app.get('/', indexHandler);
  app.get('/calculate', batchHandler(metrics));
  app.get('/:op', operationHandler(metrics));

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
