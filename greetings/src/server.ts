// First, before Express is loaded: OpenTelemetry must patch modules as they load.
import './tracing';
import {
  createLogger,
  createReadiness,
  createStatsdMetrics,
  exitOnStartupError,
  serve,
} from '@friendly-calculator/common';
import { buildGreetings } from './compose';
import { loadGreetingsConfig } from './config';

const REPORT_EVERY_MS = 1000;

async function main(): Promise<void> {
  const config = loadGreetingsConfig(process.env);
  const logger = createLogger('greetings', config.LOG_LEVEL);
  const metrics = createStatsdMetrics({
    host: config.STATSD_HOST,
    port: config.STATSD_PORT,
    prefix: 'greetings',
    logger,
  });
  const readiness = createReadiness();
  const greetings = buildGreetings(config, { logger, metrics, readiness });
  logger.info(
    {
      policy: config.POLICY,
      epsilon: config.EPSILON,
      variants: config.GREETING_VARIANTS,
      store: greetings.store.kind,
      admin: config.ADMIN_TOKEN ? 'on' : 'off (set ADMIN_TOKEN)',
    },
    'experiment configured (phase 1, unless the store already has phases)',
  );
  // In the background: the store may still be connecting, or away; greetings serves either way.
  void (async () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        const phase = await greetings.warmUp();
        logger.info(
          { phase: phase.phase, state: phase.state, policy: phase.policy },
          'experiment ready',
        );
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  })();
  // The current phase's numbers as gauges, every second (StatsD flushes every
  // 10 s and forgets a gauge not sent since its last flush: graphite/statsd-udp.js).
  const reporting = setInterval(() => {
    greetings.report().catch((error: unknown) => {
      logger.warn({ err: (error as Error).message }, 'experiment gauges not sent');
    });
  }, REPORT_EVERY_MS);
  reporting.unref();
  await serve({
    app: greetings.app,
    port: config.PORT,
    logger,
    readiness,
    onClose: async () => {
      clearInterval(reporting);
      await greetings.close();
      await metrics.close();
    },
  });
}

main().catch(exitOnStartupError('greetings'));
