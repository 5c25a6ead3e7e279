export {
  ConfigError,
  commonEnv,
  env,
  loadConfig,
  LOG_LEVELS,
  scenarioEnv,
  type LogLevel,
} from './config';
export {
  errorHandler,
  isMalformedPath,
  loggableUrl,
  MALFORMED_PATH_MESSAGE,
  noSniff,
  notFoundHandler,
  requestLogger,
  sendError,
} from './express';
export {
  createReadiness,
  dependencyReporter,
  healthRoutes,
  type DependencyCheck,
  type DependencyReport,
  type DependencyState,
  type HealthOptions,
  type Readiness,
} from './health';
export { HttpError } from './http-error';
export {
  exitOnStartupError,
  REQUEST_TIMEOUT_MS,
  serve,
  type Running,
  type ServeOptions,
} from './lifecycle';
export {
  createLiveStreams,
  LIVE_HEARTBEAT_MS,
  LIVE_MIN_INTERVAL_MS,
  LIVE_RETRY_MS,
  type LiveStreams,
  type LiveStreamsOptions,
} from './live';
export { createLogger, silentLogger, traceFields, type Logger } from './logger';
export { createNullMetrics, createStatsdMetrics, elapsedMs, type Metrics } from './metrics';
export { checkName, MAX_NAME_LENGTH, type NameCheck, type NameProblem } from './name';
export { queryNames, queryParam } from './query';
export { randomString } from './random-pool';
export { redactedText, redactedUrl, redactedValue } from './redact';
export { STYLESHEET_PATH, stylesheet } from './stylesheet';
export { TimeoutError, withTimeout } from './timeout';
export {
  currentTrace,
  formatTraceparent,
  outgoingTraceHeaders,
  parseTraceparent,
  runWithTrace,
  TRACE_RESPONSE_HEADER,
  traceContext,
  type TraceIds,
} from './trace-context';
export {
  axisTicks,
  chartSummary,
  experimentChartSvg,
  percent,
  thresholdPercent,
  type ChartInput,
  type ChartVariant,
} from './experiment-chart';
export { escapeHtml, html, SafeHtml } from './html';
export {
  fixedScenarios,
  FlagFileRefused,
  scenariosOff,
  startScenarios,
  type ScenarioFileDetails,
  type ScenarioOptions,
  type Scenarios,
  type ScenarioState,
} from './flags';
export { graphiteEvents, noEvents, type EventSink, type GraphiteEvent } from './graphite-events';
