// First, before Express is loaded: OpenTelemetry must patch modules as they load.
import './tracing';
import {
  createLogger,
  createReadiness,
  createStatsdMetrics,
  exitOnStartupError,
  serve,
} from '@friendly-calculator/common';
import { createApp } from './app';
import { loadMathsConfig } from './config';

async function main(): Promise<void> {
  const config = loadMathsConfig(process.env);
  const logger = createLogger('maths', config.LOG_LEVEL);
  const metrics = createStatsdMetrics({
    host: config.STATSD_HOST,
    port: config.STATSD_PORT,
    prefix: 'maths',
    logger,
  });
  const readiness = createReadiness();
  await serve({
    app: createApp({ logger, metrics, readiness }),
    port: config.PORT,
    logger,
    readiness,
    onClose: () => metrics.close(),
  });
}

main().catch(exitOnStartupError('maths'));
