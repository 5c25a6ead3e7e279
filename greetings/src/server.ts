// First, before Express is loaded: OpenTelemetry must patch modules as they load.
import './tracing';
import {
  createLogger,
  createStatsdMetrics,
  exitOnStartupError,
  serve,
} from '@friendly-calculator/common';
import { buildGreetings } from './compose';
import { loadGreetingsConfig } from './config';

async function main(): Promise<void> {
  const config = loadGreetingsConfig(process.env);
  const logger = createLogger('greetings', config.LOG_LEVEL);
  const metrics = createStatsdMetrics({
    host: config.STATSD_HOST,
    port: config.STATSD_PORT,
    prefix: 'greetings',
    logger,
  });
  const greetings = buildGreetings(config, { logger, metrics });
  logger.info(
    {
      policy: config.POLICY,
      epsilon: config.EPSILON,
      variants: config.GREETING_VARIANTS,
      store: greetings.store.kind,
    },
    'experiment configured',
  );
  await serve({
    app: greetings.app,
    port: config.PORT,
    logger,
    onClose: async () => {
      await greetings.close();
      await metrics.close();
    },
  });
}

main().catch(exitOnStartupError('greetings'));
