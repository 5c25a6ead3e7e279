// First, before Express is loaded: OpenTelemetry must patch modules as they load.
import './tracing';
import {
  createLogger,
  createReadiness,
  createStatsdMetrics,
  exitOnStartupError,
  redactedUrl,
  serve,
} from '@friendly-calculator/common';
import { createApp } from './app';
import { createGreetingsClient } from './clients/greetings';
import { createMathsClient } from './clients/maths';
import { createUpstream } from './clients/upstream';
import { loadAwesomeAppConfig } from './config';
import { createRelay } from './live/relay';

async function main(): Promise<void> {
  const config = loadAwesomeAppConfig(process.env);
  const logger = createLogger('awesome-app', config.LOG_LEVEL);
  const metrics = createStatsdMetrics({
    host: config.STATSD_HOST,
    port: config.STATSD_PORT,
    // Underscore, not hyphen: safe in every Graphite/StatsD tool and query.
    prefix: 'awesome_app',
    logger,
  });
  const timeoutMs = config.UPSTREAM_TIMEOUT_MS;
  const greetingsUpstream = createUpstream({
    name: 'greetings',
    baseUrl: config.GREETINGS_URL,
    timeoutMs,
    metrics,
  });
  const mathsUpstream = createUpstream({
    name: 'maths',
    baseUrl: config.MATHS_URL,
    timeoutMs,
    metrics,
  });

  const readiness = createReadiness();
  const relay = createRelay({
    greetingsUrl: config.GREETINGS_URL,
    maxConnections: config.LIVE_MAX_CONNECTIONS,
    logger,
    metrics,
  });
  // SIGTERM: the room's streams end at once and reconnect to a replica that stays.
  readiness.onDrain?.(() => relay.drain());
  const app = createApp({
    greetings: createGreetingsClient(greetingsUpstream),
    maths: createMathsClient(mathsUpstream),
    logger,
    metrics,
    greetingsPublicUrl: config.GREETINGS_PUBLIC_URL,
    grafanaUrl: config.GRAFANA_URL,
    graphiteUrl: config.GRAPHITE_URL,
    tracesUrl: config.TRACES_URL,
    dependencyTimeoutMs: timeoutMs + 500,
    readiness,
    present: {
      publicUrl: config.PUBLIC_URL?.replace(/\/$/, ''),
      localUrl: `http://localhost:${config.PORT}`,
      live: relay.handler,
      greetingsUrl: config.GREETINGS_URL,
      timeoutMs,
    },
  });
  await serve({
    app,
    port: config.PORT,
    logger,
    readiness,
    onClose: async () => {
      relay.close();
      await Promise.all([greetingsUpstream.close(), mathsUpstream.close(), metrics.close()]);
    },
  });
  logger.info(
    {
      greetings: redactedUrl(config.GREETINGS_URL),
      maths: redactedUrl(config.MATHS_URL),
      timeoutMs,
    },
    'calling upstream services',
  );
}

main().catch(exitOnStartupError('awesome-app'));
