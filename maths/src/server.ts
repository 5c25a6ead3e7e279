// First, before Express is loaded: OpenTelemetry must patch modules as they load.
import './tracing';
import {
  createLogger,
  createReadiness,
  createStatsdMetrics,
  exitOnStartupError,
  serve,
  startScenarios,
} from '@friendly-calculator/common';
import { createApp } from './app';
import { loadMathsConfig } from './config';
import { MATHS_FLAGS } from './scenarios';

async function main(): Promise<void> {
  const config = loadMathsConfig(process.env);
  const logger = createLogger('maths', config.LOG_LEVEL);
  const metrics = createStatsdMetrics({
    host: config.STATSD_HOST,
    port: config.STATSD_PORT,
    prefix: 'maths',
    logger,
  });
  // FLAGD_RESOLVER / FLAGD_OFFLINE_FLAG_SOURCE_PATH (docs/scenarios.md); unset: every flag off.
  const scenarios = await startScenarios({
    flags: MATHS_FLAGS,
    logger,
    env: {
      FLAGD_RESOLVER: config.FLAGD_RESOLVER,
      FLAGD_OFFLINE_FLAG_SOURCE_PATH: config.FLAGD_OFFLINE_FLAG_SOURCE_PATH,
    },
  });
  const readiness = createReadiness();
  await serve({
    app: createApp({ logger, metrics, readiness, scenarios }),
    port: config.PORT,
    logger,
    readiness,
    onClose: async () => {
      await scenarios.close();
      await metrics.close();
    },
  });
}

main().catch(exitOnStartupError('maths'));
