// First, before Express is loaded: OpenTelemetry must patch modules as they load.
import './tracing';
import {
  createLogger,
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
  await serve({
    app: createApp({ logger, metrics }),
    port: config.PORT,
    logger,
    onClose: () => metrics.close(),
  });
}

main().catch(exitOnStartupError('maths'));
